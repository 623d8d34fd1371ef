"""Admin for payments.

Imported payments are read-only: the partner's file is the record, and a correction is a
new import. Import records and the upload pages are in adoption.admin.imports.
"""

import re

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import Payment
from ..models.customers import CUSTOMER_CODE_PATTERN
from .paging import EstimatedCountPaginator
from .scoping import BranchScopedAdmin


@admin.register(Payment)
class PaymentAdmin(BranchScopedAdmin):
    branch_path = "customer__branch"
    list_display = [
        "reference",
        "customer",
        "period",
        "amount",
        "channel",
        "paid_at",
        "import_batch",
        "entered_by",
        "reversed_at",
    ]
    list_filter = [
        "channel__is_cash",
        "channel",
        ("import_batch", admin.EmptyFieldListFilter),
        ("reversed_at", admin.EmptyFieldListFilter),
        "period",
    ]
    list_select_related = ["customer", "channel", "import_batch", "entered_by"]
    # The largest table. Newest rows first by primary key: paid_at has no index, and sorting
    # millions of rows by it takes seconds. No date_hierarchy for the same reason (it scans
    # every row for the years it offers); the period filter covers "which month".
    ordering = ["-id"]
    search_fields = ["customer__code", "reference"]
    search_help_text = _("A customer code or a partner's transaction reference, in full.")
    autocomplete_fields = ["customer"]
    readonly_fields = ["import_batch", "entered_by"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    # No bulk delete: a payment keyed in by hand is corrected or deleted on its own page, where
    # its history is; an imported one is reversed. (Drawing the checkboxes was also a fifth of
    # the list's time.)
    actions = None

    def get_search_results(self, request, queryset, search_term):
        # Exact matches on indexed columns instead of the admin's OR of icontains.
        term = search_term.strip()
        if not term:
            return queryset, False
        if re.fullmatch(CUSTOMER_CODE_PATTERN, term.upper()):
            return queryset.filter(customer__code=term.upper()), False
        return queryset.filter(reference=term), False

    def has_change_permission(self, request, obj=None):
        imported = obj is not None and obj.import_batch_id is not None
        return not imported and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        imported = obj is not None and obj.import_batch_id is not None
        return not imported and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.entered_by = request.user
        super().save_model(request, obj, form, change)
