"""Each approved month's figures "as reported", and later restatements beside them: what the
month page shows and what exports say of the month (docs/closing.md)."""

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import MonthStatus
from .closing import month_of
from .models import BranchMonth, ReportedFigures

REPORTED_FIELDS = ("active_customers", "noncash_customers", "payments", "amount")


def _current_figures(company, period):
    rows = (
        BranchMonth.objects.filter(period=period, company=company)
        .values("branch_id")
        .annotate(**{f: Sum(f) for f in REPORTED_FIELDS})
    )
    return {r["branch_id"]: {f: r[f] for f in REPORTED_FIELDS} for r in rows}


def snapshot(company, period, approved_at):
    """Keep the month's figures of each branch as the company approves them."""
    ReportedFigures.objects.filter(company=company, period=period).delete()
    ReportedFigures.objects.bulk_create(
        ReportedFigures(
            company=company, branch_id=b, period=period, approved_at=approved_at, **figures
        )
        for b, figures in _current_figures(company, period).items()
    )


def restatements(company, period):
    """Per branch: the figures as reported, as they are now, and the difference (empty when
    the month was never approved)."""
    now = _current_figures(company, period)
    result = []
    for reported in ReportedFigures.objects.filter(company=company, period=period).select_related(
        "branch"
    ):
        current = now.get(reported.branch_id, dict.fromkeys(REPORTED_FIELDS, 0))
        was = {f: getattr(reported, f) for f in REPORTED_FIELDS}
        result.append(
            {
                "branch": reported.branch,
                "reported": was,
                "current": current,
                "difference": {f: current[f] - was[f] for f in REPORTED_FIELDS},
                "restated": current != was,
            }
        )
    return result


def export_label(company, period):
    """What an export says of the month: as approved on dd/mm/yyyy, restated, provisional."""
    month = month_of(company, period)
    if month.status == MonthStatus.OPEN:
        return _("Provisional: data still arriving")
    if month.approved_at is None:
        return ""
    day = timezone.localtime(month.approved_at).strftime("%d/%m/%Y")
    if any(r["restated"] for r in restatements(company, period)):
        return _("Restated since its approval on %s") % day
    return _("As approved on %s") % day
