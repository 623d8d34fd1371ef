"""The one base for every admin that keeps history (django-simple-history).

simple-history's history form view (`…/<id>/history/<history_id>/`) checks only that the user
may view *or* change the object, then saves whatever form is posted to it: a view-only user
could revert, or post any values, through it. Saving there is a change like any other, so it
needs this admin's change permission on the object as it stands now, with the same object
checks as the change page (branch scope, the outreach editing window).
"""

from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from simple_history.admin import SimpleHistoryAdmin


class HistoryAdmin(SimpleHistoryAdmin):
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method not in ("GET", "HEAD"):
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
