"""Admin for closing a month: reversals and validation findings are records to read (they are
written by adoption.reversals and adoption.validation only); control totals are typed in here
when a partner sends them on paper or by e-mail. The month's steps are on its month page."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import ControlTotal, Finding, MonthClose, MonthEvent, Reversal
from .scoping import ReadOnlyMixin


class ReadOnlyAdmin(ReadOnlyMixin, admin.ModelAdmin):
    pass


@admin.register(Reversal)
class ReversalAdmin(ReadOnlyAdmin):
    list_display = [
        "reference",
        "channel",
        "period",
        "amount",
        "kind",
        "reversed_at",
        "recorded_by",
    ]
    list_filter = ["kind", "period", "channel"]
    search_fields = ["reference"]
    list_select_related = ["channel", "recorded_by"]


@admin.register(Finding)
class FindingAdmin(ReadOnlyAdmin):
    list_display = ["period", "rule", "branch", "detail", "flagged_row"]
    list_filter = ["rule", "period", "branch"]
    list_select_related = ["branch"]

    @admin.display(description=_("flagged row"))
    def flagged_row(self, finding):
        return format_html('<a href="{}">{}</a>', *row_link(finding)) if row_link(finding) else ""


def row_link(finding):
    """(url, text) opening the row a finding flags: the payment, else the customer."""
    if finding.reference:
        url = reverse("admin:adoption_payment_changelist")
        return f"{url}?q={finding.reference}", finding.reference
    if finding.customer_id:
        return reverse("admin:adoption_customer_change", args=[finding.customer_id]), _("customer")
    return None


@admin.register(ControlTotal)
class ControlTotalAdmin(admin.ModelAdmin):
    list_display = ["channel", "period", "rows", "amount", "source", "explanation"]
    list_filter = ["period", "channel"]
    fields = ["channel", "period", "rows", "amount", "source", "explanation"]

    def save_model(self, request, obj, form, change):
        obj.entered_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(MonthClose)
class MonthCloseAdmin(ReadOnlyAdmin):
    list_display = ["company", "period", "status", "approved_at", "changed_at"]
    list_filter = ["status", "company"]


@admin.register(MonthEvent)
class MonthEventAdmin(ReadOnlyAdmin):
    list_display = ["company", "period", "branch", "action", "user", "at", "reason"]
    list_filter = ["action", "company"]
