"""The steps of a month's life cycle: open → complete → approved by the branches → approved by
the company → locked (docs/closing.md); the month's status itself is read through
adoption.closing.

An import creates the month's row the first time it brings rows for it: complete at once when
every expected source has delivered and the control totals agree, open otherwise. Every step is
refused, with the reason and nothing changed, when it comes out of order; each is audited as a
MonthEvent.
"""

from collections import defaultdict

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import validation
from .choices import MonthAction, MonthStatus
from .closing import month_of, status_changed
from .models import BranchSignOff, Company, MonthClose, MonthEvent
from .month_sources import branch_companies, completion_problems, differences, missing_sources
from .months import month_label
from .permissions import sees_whole_company, staff_branch
from .reported_figures import snapshot


def after_import(scope):
    """What every import that wrote rows does next: the validation rules on its months, then
    the months' status. scope: (period, branch id) pairs."""
    validation.run({period for period, _branch in scope})
    note_import(scope)


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
    whose sources have all arrived. scope: (period, branch id) pairs; each branch counts for
    the company it belonged to in that month."""
    by_company = defaultdict(set)
    for period in {p for p, _branch in scope}:
        companies = branch_companies(period)
        for branch_id in {b for p, b in scope if p == period}:
            if branch_id in companies:
                by_company[companies[branch_id]].add(period)
    for company_id, periods in by_company.items():
        for period in sorted(periods):
            _note_month(company_id, period)


def _note_month(company_id, period):
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
        missing, unexplained = missing_sources(company, period), differences(company, period)
        if unexplained or (missing and not (user.is_superuser and reason.strip())):
            problems = missing + unexplained
            if missing and not unexplained and user.is_superuser:
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


def _branches_of(company, period):
    """The branches that belonged to the company in that month (they sign its month off)."""
    return [b for b, c in branch_companies(period).items() if c == company.pk]


def _refuse_findings(period, branch_ids):
    found = validation.blocking_findings(period, branch_ids)
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
        branches = _branches_of(branch.company, period)
        signed = BranchSignOff.objects.filter(period=period, branch_id__in=branches).count()
        if signed == len(branches):
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
        _refuse_findings(period, _branches_of(company, period))
        now = timezone.now()
        month.status, month.approved_at = MonthStatus.COMPANY_APPROVED, now
        month.save()
        snapshot(company, period, now)
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
