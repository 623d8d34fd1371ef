"""Tables of the commune and map pages (django-tables2), exported like every dashboard table."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from . import formatting
from .tables import FormattedColumn, PercentColumn, StatusColumn


class MonthColumn(tables.Column):
    """A month shown as 06/2025; exported as the real date of its first day."""

    def render(self, value):
        return f"{value:%m/%Y}"

    def value(self, value):
        return value


class CommuneMonthTable(tables.Table):
    month = MonthColumn(verbose_name=_("Month"))
    customers = FormattedColumn(verbose_name=_("Customers"), fmt=formatting.count)
    noncash_customers = FormattedColumn(verbose_name=_("Non-cash customers"), fmt=formatting.count)
    payments = FormattedColumn(verbose_name=_("Payments"), fmt=formatting.count)
    amount = FormattedColumn(verbose_name=_("Amount (VND)"), fmt=formatting.vnd)
    customers_rate = PercentColumn(verbose_name=_("Rate, customers (%)"))
    bills_rate = PercentColumn(verbose_name=_("Rate, bills (%)"))
    vnd_rate = PercentColumn(verbose_name=_("Rate, VND (%)"))
    paying_rate = PercentColumn(verbose_name=_("Paying-customer rate (%)"))
    new_noncash_customers = FormattedColumn(verbose_name=_("New non-cash"), fmt=formatting.count)
    back_to_cash_customers = FormattedColumn(verbose_name=_("Back to cash"), fmt=formatting.count)
    retention_6m = PercentColumn(verbose_name=_("6-month retention (%)"))

    class Meta:
        orderable = False
        empty_text = _("No data for these months.")
        attrs = {"class": "table", "id": "commune-months"}


class MapTable(tables.Table):
    name = tables.Column(
        verbose_name=_("Commune"), linkify=lambda record: record.get("url"), orderable=False
    )
    branch = tables.Column(verbose_name=_("Branch"), orderable=False)
    status = StatusColumn(verbose_name=_("Status"), orderable=False, default="–")
    rate = FormattedColumn(
        verbose_name=_("Adoption rate (%)"), fmt=formatting.percent, orderable=False
    )
    gap = FormattedColumn(
        verbose_name=_("Difference from target (points)"), fmt=formatting.points, orderable=False
    )
    customers = FormattedColumn(verbose_name=_("Customers"), fmt=formatting.count, orderable=False)

    class Meta:
        empty_text = _("No data for these months.")
        attrs = {"class": "table", "id": "map-table"}
