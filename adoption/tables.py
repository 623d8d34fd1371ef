"""django-tables2 tables: the dashboard's (built from aggregated rows) and outreach's.

Cells render as 44,1 % and 1.234.567 (Vietnamese) for people; exports carry the plain numbers.
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import formatting
from .models import BARRIER_FIELDS, OutreachActivity
from .permissions import can_edit_outreach

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
    # Empty where no target covers the month (summaries.Targets): the page says so.
    target = FormattedColumn(
        verbose_name=_("Target (%)"), fmt=formatting.percent, default=_("no target")
    )
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


# Outreach.


class NumberColumn(FormattedColumn):
    """A whole count."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, fmt=formatting.count, **kwargs)


class PercentColumn(FormattedColumn):
    """A rate or a change in percentage points, one decimal on screen; exports keep two."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, fmt=formatting.decimal, **kwargs)

    def value(self, value):
        return None if value is None else round(value, 2)


class DateColumn(tables.DateColumn):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "d/m/Y")
        super().__init__(*args, **kwargs)


class OutreachTable(tables.Table):
    """A branch's activities in one month; the edit link only where the user may edit."""

    date = DateColumn()
    place = tables.Column(_("Place"), accessor="commune__name", order_by=("commune__name",))
    branch = tables.Column(_("Branch"), accessor="branch__name")
    households_reached = NumberColumn(_("Households"))
    registrations = NumberColumn(_("Registered"))
    edit = tables.Column("", empty_values=(), orderable=False)

    class Meta:
        model = OutreachActivity
        fields = ("date", "place", "branch", "households_reached", "registrations", "edit")
        row_attrs = {"id": lambda record: f"activity-{record.pk}"}
        empty_text = _("No outreach recorded this month.")
        orderable = False

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def render_place(self, record):
        if record.village:
            return f"{record.village.name}, {record.commune.name}"
        return record.commune.name

    def render_edit(self, record):
        if not can_edit_outreach(self.user, record):
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("outreach:edit", args=[record.pk]), _("Edit")
        )


class OutreachEffectTable(tables.Table):
    date = DateColumn(verbose_name=_("Date"))
    branch = tables.Column(_("Branch"))
    commune = tables.Column(_("Commune"))
    village = tables.Column(_("Village"))
    partner = tables.Column(_("Partner"))
    households_reached = NumberColumn(_("Households reached"))
    registrations = NumberColumn(_("Registered"))
    rate_before = PercentColumn(_("Rate 3 months before (%)"))
    rate_after = PercentColumn(_("Rate 3 months after (%)"))
    change = PercentColumn(_("Change (points)"))
    control_communes = NumberColumn(_("Communes without outreach"))
    control_before = PercentColumn(_("Without outreach: before (%)"))
    control_after = PercentColumn(_("Without outreach: after (%)"))
    control_change = PercentColumn(_("Without outreach: change (points)"))
    did = PercentColumn(_("Difference in differences (points)"))

    class Meta:
        order_by = ("-date",)
        empty_text = _("No outreach in this period.")


class OutreachTotalsTable(tables.Table):
    month = DateColumn(verbose_name=_("Month"), format="m/Y")
    branch__name = tables.Column(_("Branch"))
    activities = NumberColumn(_("Activities"))
    households_reached = NumberColumn(_("Households reached"))
    registrations = NumberColumn(_("Registered"))
    accounts_opened = NumberColumn(_("Accounts or wallets opened"))
    gifts = NumberColumn(_("Gifts"))
    barriers_named = NumberColumn(_("Barriers named"))

    class Meta:
        order_by = ("-month", "branch__name")
        empty_text = _("No outreach in this period.")

    def __init__(self, *args, **kwargs):
        barrier_columns = [
            (name, NumberColumn(OutreachActivity._meta.get_field(name).verbose_name.capitalize()))
            for name in BARRIER_FIELDS
        ]
        super().__init__(*args, extra_columns=barrier_columns, **kwargs)


class FunnelActivityTable(tables.Table):
    date = DateColumn(verbose_name=_("Date"))
    branch = tables.Column(_("Branch"))
    commune = tables.Column(_("Commune"))
    village = tables.Column(_("Village"))
    registered = NumberColumn(_("Registered customers"))
    paid_noncash = NumberColumn(_("Paid without cash since"))
    paid_noncash_rate = PercentColumn(_("Paid without cash (%)"))
    retained = NumberColumn(_("Still without cash 6 months later"))
    retained_rate = PercentColumn(_("Still without cash (%)"))

    class Meta:
        order_by = ("-date",)
        empty_text = _("No customer codes were recorded at these activities.")


class FunnelBranchTable(tables.Table):
    branch = tables.Column(_("Branch"))
    activities = NumberColumn(_("Activities"))
    registered = NumberColumn(_("Registered customers"))
    paid_noncash = NumberColumn(_("Paid without cash since"))
    paid_noncash_rate = PercentColumn(_("Paid without cash (%)"))
    registered_followed = NumberColumn(_("Registered 6+ months ago"))
    retained = NumberColumn(_("Still without cash 6 months later"))
    retained_rate = PercentColumn(_("Still without cash (%)"))

    class Meta:
        empty_text = _("No outreach in this period.")
