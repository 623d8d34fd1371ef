"""django-tables2 tables of the dashboard, built from aggregated rows (lists of dicts).

Cells render as 44,1 % and 1.234.567 (Vietnamese) for people; exports carry the plain numbers.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import formatting

NUMBER_ATTRS = {"td": {"class": "num"}, "th": {"class": "num"}}


class FormattedColumn(tables.Column):
    """A number shown through one of adoption.formatting's formats, exported as is."""

    def __init__(self, *args, fmt, **kwargs):
        kwargs.setdefault("attrs", NUMBER_ATTRS)
        super().__init__(*args, **kwargs)
        self.fmt = fmt

    def render(self, value):
        return self.fmt(value)

    def value(self, value):
        return value


class AreaTable(tables.Table):
    """Adoption of a set of areas at the last month of the range."""

    customers = FormattedColumn(verbose_name=_("Customers"), fmt=formatting.count)
    noncash_customers = FormattedColumn(verbose_name=_("Non-cash customers"), fmt=formatting.count)
    rate = FormattedColumn(verbose_name=_("Adoption rate (%)"), fmt=formatting.percent)
    change_3m = FormattedColumn(
        verbose_name=_("Change over 3 months (points)"), fmt=formatting.points
    )
    change_12m = FormattedColumn(
        verbose_name=_("Change over 12 months (points)"), fmt=formatting.points
    )
    target = FormattedColumn(verbose_name=_("Target (%)"), fmt=formatting.percent)
    gap = FormattedColumn(verbose_name=_("Gap to target (points)"), fmt=formatting.decimal)

    class Meta:
        orderable = True
        empty_text = _("No data for these months.")
        attrs = {"class": "table", "id": "area-table"}


class DistrictTable(AreaTable):
    name = tables.Column(
        verbose_name=_("District"),
        linkify=lambda record: reverse("dashboard:branch", args=[record["code"]]),
    )

    class Meta(AreaTable.Meta):
        sequence = ("name", "...")


class CommuneTable(AreaTable):
    name = tables.Column(verbose_name=_("Commune"))

    class Meta(AreaTable.Meta):
        sequence = ("name", "...")


class PartnerTable(tables.Table):
    name = tables.Column(verbose_name=_("Partner or channel"))
    kinds = tables.Column(verbose_name=_("Channel kind"), orderable=False)
    active = tables.Column(verbose_name=_("Status"))
    payments = FormattedColumn(verbose_name=_("Payments"), fmt=formatting.count)
    amount = FormattedColumn(verbose_name=_("Amount (VND)"), fmt=formatting.vnd)
    payments_last_month = FormattedColumn(
        verbose_name=_("Payments, last month"), fmt=formatting.count
    )
    amount_last_month = FormattedColumn(
        verbose_name=_("Amount, last month (VND)"), fmt=formatting.vnd
    )

    def render_active(self, value):
        return _("Active") if value else _("Inactive")

    def value_active(self, value):
        return str(self.render_active(value))

    class Meta:
        orderable = True
        empty_text = _("No partners yet.")
        attrs = {"class": "table", "id": "partner-table"}
