"""A company's month status, as the pages read it (docs/closing.md): which months are open
(provisional, "tạm tính"), the month the dashboards open on, how charts mark open months,
and which months are locked. The steps that change a month are adoption.month_steps.

A company's month is open while data still arrives: its figures are provisional, the
dashboards open on the latest month that is not. A month without a row (data loaded before
months were closed, the demo) counts as complete.
"""

from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext as _

from .choices import MonthStatus
from .models import Branch, BranchMonth, MonthClose
from .month_sources import branch_companies
from .months import month_label


def _open(branch_ids):
    """The open months of the companies of these branches, as a subquery (no query yet)."""
    companies = Branch.objects.filter(pk__in=branch_ids).values("company_id")
    return MonthClose.objects.filter(company_id__in=companies, status=MonthStatus.OPEN).values(
        "period"
    )


def open_periods(branch_ids):
    """The months still open (provisional) for the companies of these branches."""
    return {row["period"] for row in _open(branch_ids)}


def default_month(branch_ids):
    """The month the dashboards open on: the latest month with figures that is not open."""
    rows = BranchMonth.objects.filter(branch_id__in=branch_ids).exclude(
        period__in=_open(branch_ids)
    )
    return rows.aggregate(latest=Max("period"))["latest"]


def provisional_after(period, branch_ids):
    """The open months after `period` (what the overview names as provisional)."""
    return sorted(p for p in open_periods(branch_ids) if period is None or p > period)


def month_of(company, period):
    """The month's row; an unsaved complete one for a month no import has opened."""
    found = MonthClose.objects.filter(company=company, period=period).first()
    return found or MonthClose(company=company, period=period, status=MonthStatus.COMPLETE)


# Locks.


def locked_cells():
    """{(period, branch id)} of every locked month: what imports, reversals and outreach
    edits refuse."""
    locked = MonthClose.objects.filter(status=MonthStatus.LOCKED).values_list(
        "period", "company_id"
    )
    if not locked:
        return set()
    # A month is locked for the branches the company had in that month.
    by_period = defaultdict(set)
    for period, company_id in locked:
        by_period[period].add(company_id)
    return {
        (period, b)
        for period, companies in by_period.items()
        for b, company_id in branch_companies(period).items()
        if company_id in companies
    }


def locked_message(period):
    return _(
        "%(month)s is locked: its figures have been approved. An admin must unlock it "
        "(with a reason) first."
    ) % {"month": month_label(period)}


def check_unlocked(period, branch_id):
    """Raise the clear refusal when the branch's month is locked."""
    from .metrics import month_start

    period = month_start(period)
    if (period, branch_id) in locked_cells():
        raise ValidationError(locked_message(period))


def locked_error(branch_id, *days):
    """The refusal of an edit touching these days of the branch (None: none is locked)."""
    cells = locked_cells()
    for day in days:
        if day is not None and (day.replace(day=1), branch_id) in cells:
            return locked_message(day.replace(day=1))
    return None


# What the dashboards draw of open months.


def marks(end, provisional):
    """For a page showing month `end`, given the open months (open_periods): the open months
    after it (named beside the figures) and whether `end` itself is open (its figures and
    changes are then provisional)."""
    return {
        "provisional_months": [month_label(p) for p in sorted(provisional) if p > end],
        "end_provisional": end in provisional,
    }


def chart_marks(labels, provisional):
    """{"provisional": the chart's month labels that are open, and the word the chart adds to
    them}; nothing when the chart shows no open month."""
    open_labels = {month_label(p) for p in provisional}
    shown = [label for label in labels if label in open_labels]
    return {"provisional": shown, "provisional_label": _("provisional")} if shown else {}


def status_changed():
    """A month's status is part of what the cached pages and charts show: a new version."""
    from .dashboard_cache import references_changed

    references_changed()
