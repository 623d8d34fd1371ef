"""Admin for outreach plans: branch staff plan their own branch's visits; managers read all."""

from django.contrib import admin

from ..models import OutreachPlan
from .scoping import BranchScopedAdmin, StaffEntryMixin, accent_insensitive


@admin.register(OutreachPlan)
class OutreachPlanAdmin(StaffEntryMixin, BranchScopedAdmin):
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
