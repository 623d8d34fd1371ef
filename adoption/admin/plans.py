"""Admin for outreach plans: branch staff plan their own branch's visits; managers read all."""

from django.contrib import admin

from .. import permissions
from ..models import OutreachPlan
from .scoping import BranchScopedAdmin, accent_insensitive


@admin.register(OutreachPlan)
class OutreachPlanAdmin(BranchScopedAdmin):
    list_display = ["date", "branch", "commune", "village", "partner", "staff_names"]
    list_filter = [("branch", admin.RelatedOnlyFieldListFilter), "partner", "date"]
    list_select_related = ["branch", "commune", "village", "partner"]
    search_fields = [
        "branch__code",
        *accent_insensitive("branch__name", "commune__name", "village__name", "staff_names"),
    ]
    autocomplete_fields = ["commune", "village"]
    date_hierarchy = "date"
    readonly_fields = ["created_by", "created_at"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        branch = permissions.staff_branch(request.user)
        if branch is not None:
            initial.setdefault("branch", branch.pk)
        return initial

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
