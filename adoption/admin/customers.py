"""Admin for customers: branch staff see their own branch's only."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from ..models import Customer
from .scoping import BranchScopedAdmin, accent_insensitive


@admin.register(Customer)
class CustomerAdmin(BranchScopedAdmin, SimpleHistoryAdmin):
    list_display = [
        "code",
        "name",
        "branch",
        "commune",
        "village",
        "customer_type",
        "connected_on",
        "disconnected_on",
    ]
    list_filter = [("branch", admin.RelatedOnlyFieldListFilter), "customer_type"]
    list_select_related = ["branch", "commune", "village"]
    search_fields = ["code", *accent_insensitive("name")]
    autocomplete_fields = ["commune", "village"]
    date_hierarchy = "connected_on"
    # Hundreds of thousands of rows: skip the unfiltered COUNT(*) on every search.
    show_full_result_count = False
