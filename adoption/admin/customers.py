"""Admin for customers: branch staff see their own branch's only."""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Customer
from . import territory as territory_admin
from .history import HistoryAdmin
from .paging import EstimatedCountPaginator, VisibleBranchFilter
from .scoping import BranchScopedAdmin

CODE_START = re.compile(r"PA[0-9]{2}[A-Z0-9]{0,9}")


@admin.register(Customer)
class CustomerAdmin(BranchScopedAdmin, HistoryAdmin):
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
    # No date_hierarchy: its list of years is a DISTINCT over every customer (150 ms on
    # 200,000); the date filter offers the recent connections without a query.
    list_filter = [("branch", VisibleBranchFilter), "customer_type", "connected_on"]
    list_select_related = ["branch", "commune", "village"]
    # The search box is wired by get_search_results; this only makes the admin show it.
    search_fields = ["name"]
    autocomplete_fields = ["commune", "village"]
    search_help_text = _("Part of a name, without accents if you like, or the start of a code.")
    # Hundreds of thousands of rows: skip the unfiltered COUNT(*) on every search.
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    actions = [territory_admin.move_customers]

    def get_readonly_fields(self, request, obj=None):
        # Where a customer lives changes from a date, through the action: an edit here would
        # rewrite the months before it.
        return ["branch", "commune", "village", "places"] if obj else []

    @admin.display(description=_("places over time"))
    def places(self, obj):
        return territory_admin.customer_history(obj)

    def get_search_results(self, request, queryset, search_term):
        # A code's start ("PA20BQ00123") uses the code index instead of scanning every name.
        term = search_term.strip().upper()
        if CODE_START.fullmatch(term):
            return queryset.filter(code__startswith=term), False
        # Anything else is part of a name: every word must appear, accents ignored, each
        # word answered by the trigram index (adoption.search.UnaccentContains).
        for word in search_term.split():
            queryset = queryset.filter(name__unaccent_contains=word)
        return queryset, False
