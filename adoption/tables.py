"""django-tables2 tables for the pages outside the admin."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import BARRIER_FIELDS, OutreachActivity
from .permissions import can_edit_outreach

NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


class NumberColumn(tables.Column):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        return number_format(value, force_grouping=True)

    def value(self, value):
        return value


class PercentColumn(NumberColumn):
    """A rate or a change in percentage points, one decimal on screen; exports keep two."""

    def render(self, value):
        return number_format(value, 1)

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
