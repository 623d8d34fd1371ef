"""A month's life cycle: open → complete → approved by the branches → approved by the company
→ locked (docs/closing.md).

A company's month is open while data still arrives: its figures are provisional ("tạm tính"),
the dashboards open on the latest month that is not. An import creates the month's row the
first time it brings rows for it: complete at once when every expected source has delivered
and the control totals agree, open otherwise. A month without a row (data loaded before
months were closed, the demo) counts as complete. Every step is refused, with the reason and
nothing changed, when it comes out of order; each is audited as a MonthEvent.
"""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .choices import MonthAction, MonthStatus
from .formatting import vnd
from .models import (
    Branch,
    BranchMonth,
    BranchSignOff,
    ControlTotal,
    MonthClose,
    MonthEvent,
    Payment,
    ReportedFigures,
)
from .months import add_months, month_label
from .permissions import sees_whole_company, staff_branch
from .validation import blocking_findings

# What each step needs the month to be in (and what it leaves it in).
ORDER = [
    MonthStatus.OPEN,
    MonthStatus.COMPLETE,
    MonthStatus.BRANCH_APPROVED,
    MonthStatus.COMPANY_APPROVED,
    MonthStatus.LOCKED,
]
REPORTED_FIELDS = ("active_customers", "noncash_customers", "payments", "amount")


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


# Expected sources and reconciliation.


def arrivals(company, period):
    """{partner id (None: the billing system, the company's own channels): (rows, VND)} of
    the month's counted payments for the company's customers."""
    rows = (
        Payment.objects.counted()
        .filter(period=period, customer__branch__company=company)
        .values("channel__partner_id")
        .annotate(rows=Count("id"), amount=Sum("amount"))
    )
    return {r["channel__partner_id"]: (r["rows"], r["amount"]) for r in rows}


def expected_sources(company, period):
    """Each source expected this month, with what arrived: [{partner, label, rows, amount,
    missing}]. A source is expected when it delivered the month before (a partner that stops
    is missed once, then an admin closes the month without it)."""
    from .models import Partner

    now = arrivals(company, period)
    before = arrivals(company, add_months(period, -1))
    names = dict(Partner.objects.filter(pk__in=set(now) | set(before)).values_list("pk", "name"))
    result = []
    for partner_id in sorted(set(now) | set(before), key=lambda p: (p is not None, p or 0)):
        rows, amount = now.get(partner_id, (0, 0))
        result.append(
            {
                "partner_id": partner_id,
                "label": names.get(partner_id) or _("Billing system"),
                "rows": rows,
                "amount": amount,
                "missing": partner_id not in now,
            }
        )
    return result


def reconciliation(company, period):
    """Each control total of the month beside what was imported: [{total, rows, amount,
    differs, explained}]."""
    imported = defaultdict(lambda: (0, 0))
    for r in (
        Payment.objects.counted()
        .filter(period=period, customer__branch__company=company)
        .values("channel_id")
        .annotate(rows=Count("id"), amount=Sum("amount"))
    ):
        imported[r["channel_id"]] = (r["rows"], r["amount"])
    result = []
    totals = ControlTotal.objects.filter(period=period).select_related("channel")
    for total in totals.order_by("channel__name"):
        rows, amount = imported[total.channel_id]
        differs = (rows, amount) != (total.rows, total.amount)
        result.append(
            {
                "total": total,
                "rows": rows,
                "amount": amount,
                "differs": differs,
                "explained": bool(total.explanation.strip()),
            }
        )
    return result


def completion_problems(company, period):
    """Why the month cannot be complete yet: missing sources, unexplained differences."""
    problems = [
        _("No file from %(source)s for %(month)s.")
        % {"source": s["label"], "month": month_label(period)}
        for s in expected_sources(company, period)
        if s["missing"]
    ]
    for r in reconciliation(company, period):
        if r["differs"] and not r["explained"]:
            problems.append(
                _(
                    "%(channel)s: the partner counts %(rows)s rows and %(amount)s, the import "
                    "%(imported_rows)s rows and %(imported_amount)s; explain the difference."
                )
                % {
                    "channel": r["total"].channel.name,
                    "rows": r["total"].rows,
                    "amount": vnd(r["total"].amount),
                    "imported_rows": r["rows"],
                    "imported_amount": vnd(r["amount"]),
                }
            )
    return problems


# The steps.


def _event(month, action, user, reason="", branch=None):
    MonthEvent.objects.create(
        company=month.company,
        period=month.period,
        branch=branch,
        action=action,
        user=user,
        reason=reason,
    )
    status_changed()


def _refuse_unless(month, *allowed):
    if month.status not in allowed:
        raise ValidationError(
            _("%(month)s is “%(status)s”: this step needs it “%(needed)s”.")
            % {
                "month": month_label(month.period),
                "status": month.get_status_display(),
                "needed": " / ".join(str(MonthStatus(s).label) for s in allowed),
            }
        )


def _locked_month(company, period):
    return MonthClose.objects.select_for_update().filter(company=company, period=period).first()


def note_import(scope):
    """After an import: open the months it brought rows for the first time, complete those
    whose sources have all arrived. scope: (period, branch id) pairs."""
    by_company = defaultdict(set)
    companies = dict(Branch.objects.values_list("pk", "company_id"))
    for period, branch_id in scope:
        if branch_id in companies:
            by_company[companies[branch_id]].add(period)
    for company_id, periods in by_company.items():
        for period in periods:
            _note_month(company_id, period)


def _note_month(company_id, period):
    from .models import Company

    with transaction.atomic():
        company = Company.objects.get(pk=company_id)
        month = _locked_month(company, period)
        if month is not None and month.status != MonthStatus.OPEN:
            return
        ready = not completion_problems(company, period)
        if month is None:
            status = MonthStatus.COMPLETE if ready else MonthStatus.OPEN
            month = MonthClose.objects.create(company=company, period=period, status=status)
            status_changed()
            if ready:
                _event(month, MonthAction.COMPLETED, None)
        elif ready:
            month.status = MonthStatus.COMPLETE
            month.save(update_fields=["status", "changed_at"])
            _event(month, MonthAction.COMPLETED, None)


def complete(company, period, user, reason=""):
    """Mark the month complete. With sources missing only a superuser may, with a reason
    (the month is then "closed by an admin"); unexplained differences always refuse. Managers,
    channel admins and superusers may; user None is the import's own check."""
    if user is not None and not (user.is_superuser or sees_whole_company(user)):
        raise PermissionDenied
    with transaction.atomic():
        month = _locked_month(company, period) or month_of(company, period)
        _refuse_unless(month, MonthStatus.OPEN)
        missing = [s for s in expected_sources(company, period) if s["missing"]]
        problems = completion_problems(company, period)
        differences = problems[len(missing) :]
        if differences or (missing and not (user.is_superuser and reason.strip())):
            if missing and not differences and user.is_superuser:
                problems.append(_("To close it without them, give a reason."))
            raise ValidationError(problems)
        month.status = MonthStatus.COMPLETE
        month.save()
        action = MonthAction.CLOSED_BY_ADMIN if missing else MonthAction.COMPLETED
        _event(month, action, user, reason)
    return month


def may_approve_branch(user, branch):
    if user.is_superuser:
        return True
    return user.has_perm("adoption.approve_branch_month") and staff_branch(user) == branch


def may_approve_company(user, company):
    if user.is_superuser:
        return True
    profile = getattr(user, "staff_profile", None)
    return user.has_perm("adoption.approve_company_month") and (
        profile is not None and profile.company_id == company.pk
    )


def _refuse_findings(period, branch_ids):
    found = blocking_findings(period, branch_ids)
    if found:
        raise ValidationError(
            _("%(count)s validation findings for %(month)s must be resolved first.")
            % {"count": found, "month": month_label(period)}
        )


def approve_branch(branch, period, user):
    """The branch head signs the branch's month off; the last branch moves the month on."""
    if not may_approve_branch(user, branch):
        raise PermissionDenied
    with transaction.atomic():
        month = _locked_month(branch.company, period) or month_of(branch.company, period)
        _refuse_unless(month, MonthStatus.COMPLETE)
        _refuse_findings(period, [branch.pk])
        if BranchSignOff.objects.filter(branch=branch, period=period).exists():
            raise ValidationError(_("This branch has already approved %s.") % month_label(period))
        if month.pk is None:
            month.save()
        BranchSignOff.objects.create(branch=branch, period=period, approved_by=user)
        _event(month, MonthAction.BRANCH_APPROVED, user, branch=branch)
        branches = Branch.objects.filter(company=branch.company)
        signed = BranchSignOff.objects.filter(period=period, branch__in=branches).count()
        if signed == branches.count():
            month.status = MonthStatus.BRANCH_APPROVED
            month.save()
    return month


def approve_company(company, period, user):
    """The company approves the month once every branch has; its figures are kept as reported."""
    if not may_approve_company(user, company):
        raise PermissionDenied
    with transaction.atomic():
        month = _locked_month(company, period) or month_of(company, period)
        _refuse_unless(month, MonthStatus.BRANCH_APPROVED)
        branch_ids = list(Branch.objects.filter(company=company).values_list("pk", flat=True))
        _refuse_findings(period, branch_ids)
        now = timezone.now()
        month.status, month.approved_at = MonthStatus.COMPANY_APPROVED, now
        month.save()
        _snapshot(company, period, now)
        _event(month, MonthAction.COMPANY_APPROVED, user)
    return month


def lock(company, period, user):
    if not user.is_superuser:
        raise PermissionDenied
    with transaction.atomic():
        month = _locked_month(company, period) or month_of(company, period)
        _refuse_unless(month, MonthStatus.COMPANY_APPROVED)
        month.status = MonthStatus.LOCKED
        month.save()
        _event(month, MonthAction.LOCKED, user)
    return month


def unlock(company, period, user, reason):
    """An admin unlocks a locked month, with a reason (audited); it is approved again."""
    if not user.is_superuser:
        raise PermissionDenied
    if not reason.strip():
        raise ValidationError(_("Give a reason to unlock a month."))
    with transaction.atomic():
        month = _locked_month(company, period) or month_of(company, period)
        _refuse_unless(month, MonthStatus.LOCKED)
        month.status = MonthStatus.COMPANY_APPROVED
        month.save()
        _event(month, MonthAction.UNLOCKED, user, reason)
    return month


# Locks.


def locked_cells():
    """{(period, branch id)} of every locked month: what imports, reversals and outreach
    edits refuse."""
    locked = MonthClose.objects.filter(status=MonthStatus.LOCKED).values_list(
        "period", "company_id"
    )
    if not locked:
        return set()
    by_company = defaultdict(set)
    for pk, company_id in Branch.objects.values_list("pk", "company_id"):
        by_company[company_id].add(pk)
    return {(period, b) for period, company_id in locked for b in by_company[company_id]}


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


# As reported, and restated.


def _current_figures(company, period):
    rows = (
        BranchMonth.objects.filter(period=period, company=company)
        .values("branch_id")
        .annotate(**{f: Sum(f) for f in REPORTED_FIELDS})
    )
    return {r["branch_id"]: {f: r[f] for f in REPORTED_FIELDS} for r in rows}


def _snapshot(company, period, approved_at):
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
    if any(r["restated"] for r in restatements(company, period)):
        return _("Restated since its approval on %s") % (
            timezone.localtime(month.approved_at).strftime("%d/%m/%Y")
        )
    return _("As approved on %s") % timezone.localtime(month.approved_at).strftime("%d/%m/%Y")


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
