"""django-tables2 tables: the dashboard's (built from aggregated rows) and outreach's.

Cells render as 44,1 % and 1.234.567 (Vietnamese) for people; exports carry the plain numbers.
"""

from datetime import date

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


STATUS_CLASSES = {"met": "status-met", "behind": "status-behind", "miss": "status-miss"}


class StatusColumn(tables.Column):
    """A status word (adoption.target_status), its colour a class: the word is the text
    equivalent of the colour. Tables are sorted by status when the URL names no sort."""

    def render(self, value, record):
        return format_html(
            '<span class="status {}">{}</span>', STATUS_CLASSES.get(value, ""), record["label"]
        )

    def value(self, value, record):
        return str(record["label"])


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
    # Empty where no target covers the month (targets.Targets): the page says so.
    target = FormattedColumn(
        verbose_name=_("Target (%)"), fmt=formatting.percent, default=_("no target")
    )
    # Rate − target (adoption.target_status): + when ahead, − when behind.
    gap = FormattedColumn(verbose_name=_("Difference from target (points)"), fmt=formatting.points)
    status = StatusColumn(verbose_name=_("Status"), default="–", orderable=False)

    class Meta:
        orderable = True
        empty_text = _("No data for these months.")
        attrs = {"class": "table", "id": "area-table"}


# The rate column's heading on each base (adoption.outlook.BASES).
RATE_HEADINGS = {
    "customers": _("Adoption rate (%)"),
    "bills": _("Share of bills paid without cash (%)"),
    "vnd": _("Share of VND paid without cash (%)"),
}


def rate_column(base):
    """The rate column of an AreaTable showing `base`, as an extra column that replaces it."""
    return ("rate", FormattedColumn(verbose_name=RATE_HEADINGS[base], fmt=formatting.percent))


class DistrictTable(AreaTable):
    # The branch page, with the overview's filters (the view adds them to "url").
    name = tables.Column(verbose_name=_("District"), linkify=lambda record: record.get("url"))

    class Meta(AreaTable.Meta):
        sequence = ("name", "status", "...")


class CommuneTable(AreaTable):
    # The commune page, with the branch page's filters (the view adds them to "url").
    name = tables.Column(verbose_name=_("Commune"), linkify=lambda record: record.get("url"))

    class Meta(AreaTable.Meta):
        sequence = ("name", "status", "...")


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
    """dd/mm/yyyy on screen; exports carry the date itself: a date cell in XLSX, ISO in CSV."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("format", "d/m/Y")
        super().__init__(*args, **kwargs)

    def value(self, value, **kwargs):
        if value is None or isinstance(value, date):
            return value
        return super().value(value=value, **kwargs)


class PlaceColumn(tables.Column):
    """Where an activity or a plan is: "village, commune", or the commune; sorted by commune,
    exported as shown."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, accessor="commune__name", order_by=("commune__name",), **kwargs)

    def render(self, record):
        if record.village:
            return f"{record.village.name}, {record.commune.name}"
        return record.commune.name


class OutreachTable(tables.Table):
    """A branch's activities in one month; the edit link only where the user may edit."""

    date = DateColumn()
    place = PlaceColumn(_("Place"))
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

    def render_edit(self, record):
        if not can_edit_outreach(self.user, record):
            return ""
        return format_html(
            '<a href="{}">{}</a>', reverse("outreach:edit", args=[record.pk]), _("Edit")
        )


class OutreachActivityTable(tables.Table):
    """The branch page's outreach activities in the range of months shown."""

    date = DateColumn(verbose_name=_("Date"))
    commune = tables.Column(_("Commune"), accessor="commune__name")
    village = tables.Column(_("Village"), accessor="village__name", default="–")
    partner = tables.Column(_("Partner"), accessor="partner__name", default="–")
    households_reached = NumberColumn(_("Households reached"))
    registrations = NumberColumn(_("Registrations"))

    class Meta:
        attrs = {"class": "table"}
        empty_text = _("No outreach activities in these months.")
        orderable = False


FLAG_LABELS = {
    "small_commune": _("few households"),
    "few_comparison": _("few comparison communes"),
    "no_data": _("no data before or after"),
}


class OutreachComparisonTable(tables.Table):
    """One row per commune and month with outreach; rows too small to read are flagged, and
    the rates behind each change are in the exports only (the screen stays narrow)."""

    month = DateColumn(verbose_name=_("Month"), format="m/Y")
    branch = tables.Column(_("Branch"))
    commune = tables.Column(_("Commune"))
    activities = NumberColumn(_("Activities"))
    households = NumberColumn(_("Household customers"))
    rate_before = PercentColumn(_("Rate 3 months before (%)"), visible=False)
    rate_after = PercentColumn(_("Rate 3 months after (%)"), visible=False)
    change = PercentColumn(_("Change (points)"))
    control_communes = NumberColumn(_("Comparison communes"))
    control_before = PercentColumn(_("Comparison: before (%)"), visible=False)
    control_after = PercentColumn(_("Comparison: after (%)"), visible=False)
    control_change = PercentColumn(_("Comparison: change (points)"))
    did = PercentColumn(_("Difference (points)"))
    pre_did = PercentColumn(_("Difference in the 6 months before (points)"))
    flags = tables.Column(_("Left out of the summary"), orderable=False)

    class Meta:
        order_by = ("-month",)
        per_page = 25
        empty_text = _("No outreach in this period.")
        attrs = {"class": "table", "id": "comparison-table"}
        row_attrs = {"class": lambda record: "" if record["included"] else "excluded"}

    def render_flags(self, value):
        return ", ".join(str(FLAG_LABELS[flag]) for flag in value)

    def value_flags(self, value):
        return self.render_flags(value)


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


# Where next and visit plans.


class PlaceRankTable(tables.Table):
    """A branch's communes or villages in the order to visit them (adoption.outreach_next)."""

    rank = NumberColumn(_("Rank"))
    place = tables.Column(_("Place"))
    commune = tables.Column(_("Commune"))
    cash = NumberColumn(_("Households still paying cash"))
    active = NumberColumn(_("Household customers"))
    rate = PercentColumn(_("Adoption rate (%)"))
    gap = PercentColumn(_("Gap to target (points)"))
    to_target = NumberColumn(_("Households to reach the target"))
    last_visit = DateColumn(verbose_name=_("Last visit"), empty_values=())
    days_since_visit = NumberColumn(_("Days since the last visit"))
    barriers = tables.Column(_("Barriers named last time"), orderable=False)
    plan = tables.Column("", empty_values=(), orderable=False, exclude_from_export=True)

    class Meta:
        order_by = ("rank",)
        empty_text = _("No places in this branch's area.")

    def __init__(self, *args, can_plan=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_plan = can_plan

    def render_last_visit(self, value):
        return value.strftime("%d/%m/%Y") if value else _("never")

    def value_last_visit(self, value):
        return value

    @staticmethod
    def _barrier_text(barriers):
        field = OutreachActivity._meta.get_field
        return ", ".join(
            f"{field(name).verbose_name} ({formatting.count(n)})" for name, n in barriers
        )

    def render_barriers(self, value):
        # The three most named on a phone's screen; the exports hold them all.
        return self._barrier_text(value[:3])

    def value_barriers(self, value):
        return self._barrier_text(value)

    def render_plan(self, record):
        if not (self.can_plan and record["plannable"]):
            return ""
        url = f"{reverse('outreach:plan-new')}?place={record['id']}"
        return format_html('<a href="{}">{}</a>', url, _("Plan a visit"))


class OutreachPlanTable(tables.Table):
    date = DateColumn(verbose_name=_("Planned date"))
    branch = tables.Column(_("Branch"), accessor="branch__name")
    place = PlaceColumn(_("Place"))
    partner = tables.Column(_("Partner"), accessor="partner__name")
    staff_names = tables.Column(_("Staff"))

    class Meta:
        order_by = ("date",)
        empty_text = _("No visits planned in this period.")
        attrs = {"class": "table", "id": "plan-table"}


class PlanMonthTable(tables.Table):
    month = DateColumn(verbose_name=_("Month"), format="m/Y")
    branch = tables.Column(_("Branch"))
    planned = NumberColumn(_("Visits planned"))
    done = NumberColumn(_("Planned visits done"))
    done_rate = PercentColumn(_("Done (%)"))
    activities = NumberColumn(_("Activities recorded"))

    class Meta:
        order_by = ("-month", "branch")
        empty_text = _("No visits planned in this period.")
