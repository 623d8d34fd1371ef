"""The words and numbers a report prints, shared by the page, the PDF, the XLSX and the emails,
in the active language (the page's, or the recipient's)."""

from django.utils.translation import gettext as _

from .. import formatting
from ..choices import ChannelKind, CustomerType
from ..months import month_label
from .figures import BASES, STATUS_LABELS


def status_text(status):
    return str(STATUS_LABELS[status]) if status else formatting.EMPTY


def view_text(scope):
    if scope.view == "now":
        return _("History as it is now (today's communes and branches)")
    return _("History as it was (each month under its units of the time)")


def filters_text(scope):
    """The filters the figures were read with, stated in words."""
    types = ", ".join(str(CustomerType(t).label) for t in scope.customer_types)
    kinds = ", ".join(str(ChannelKind(k).label) for k in scope.channel_kinds)
    parts = [
        _("Months %(start)s–%(end)s")
        % {"start": month_label(scope.start), "end": month_label(scope.end)},
        _("customer types: %(types)s") % {"types": types or _("all")},
    ]
    if kinds:
        parts.append(_("channel kinds: %(kinds)s (not applied to the rates)") % {"kinds": kinds})
    return "; ".join(parts)


def title(report):
    return _("Monthly report %(month)s – %(unit)s") % {
        "month": month_label(report.month),
        "unit": report.name,
    }


def base_lines(report):
    """[(base label, rate, target, gap, status, pace needed, change over 1 month)]."""
    lines = []
    for key, _field, label in BASES:
        f = report.headline["bases"][key]
        lines.append(
            (
                str(label),
                formatting.percent(f["rate"]),
                formatting.percent(f["target"]),
                formatting.points(f["gap"]),
                status_text(f["status"]),
                formatting.points(f["pace_needed"]),
                formatting.points(f["change_1m"]),
            )
        )
    return lines


def base_headers():
    return [
        _("Basis"),
        _("Rate"),
        _("Target"),
        _("Gap to target"),
        _("Status"),
        _("Gain needed per month"),
        _("Change over 1 month"),
    ]


def row_headers(report):
    unit = _("Commune") if report.unit.level == "branch" else _("District")
    return [
        unit,
        _("Customers"),
        _("Customers without cash"),
        _("Bills without cash"),
        _("VND without cash"),
        _("Target"),
        _("Gap to target"),
        _("Status"),
    ]


def row_cells(row):
    return [
        row["name"],
        formatting.count(row["customers"]),
        formatting.percent(row["rate"]),
        formatting.percent(row["bills"]),
        formatting.percent(row["vnd"]),
        formatting.percent(row["target"]),
        formatting.points(row["gap"]),
        status_text(row["status"]),
    ]


def deadline_text(report):
    deadline = report.headline["deadline"]
    if deadline is None:
        return _("No target covers this month.")
    return _("Target deadline: %(month)s.") % {"month": month_label(deadline)}
