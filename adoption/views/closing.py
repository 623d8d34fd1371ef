"""The month page: where a company's month stands, what arrived from whom, the control totals,
the validation findings (each opening its row), reversals and restatements; and the steps of
its life cycle (adoption.month_steps), each refused with its reason when out of order."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import closing, jobs, month_sources, month_steps, reported_figures
from ..admin.closing import row_link
from ..models import Branch, BranchMonth, Finding, MonthClose, MonthEvent, Reversal
from ..months import month_label, parse_month
from ..permissions import is_branch_staff, sees_whole_company, staff_branch, visible_branches


def _company_for(user):
    """The company whose months the user may see: their own (superusers: the first with
    branches). Branch heads see their company's months; other users are refused."""
    if not (user.is_superuser or sees_whole_company(user) or is_branch_staff(user)):
        raise PermissionDenied
    branch = visible_branches(user).select_related("company").order_by("pk").first()
    if branch is None:
        raise Http404
    return branch.company


def _month(text):
    period = parse_month(text or "")
    if period is None:
        raise Http404
    return period


@login_required
def month_list(request):
    company = _company_for(request.user)
    periods = sorted(
        set(BranchMonth.objects.filter(company=company).values_list("period", flat=True)),
        reverse=True,
    )[:24]
    rows = {m.period: m for m in MonthClose.objects.filter(company=company, period__in=periods)}
    months = [rows.get(p) or closing.month_of(company, p) for p in periods]
    return render(request, "adoption/months.html", {"company": company, "months": months})


@login_required
def month_detail(request, month):
    company = _company_for(request.user)
    period = _month(month)
    branch_ids = list(Branch.objects.filter(company=company).values_list("pk", flat=True))
    findings = Finding.objects.filter(period=period, branch_id__in=branch_ids)
    if not sees_whole_company(request.user) and not request.user.is_superuser:
        own = staff_branch(request.user)
        findings = findings.filter(branch=own)
    context = {
        "company": company,
        "period": period,
        "label": month_label(period),
        "month": closing.month_of(company, period),
        "sources": month_sources.expected_sources(company, period),
        "reconciliation": month_sources.reconciliation(company, period),
        "findings": [(f, row_link(f)) for f in findings.select_related("branch")[:500]],
        "reversals": Reversal.objects.filter(period=period).select_related("channel")[:500],
        "restatements": reported_figures.restatements(company, period),
        "export_label": reported_figures.export_label(company, period),
        "events": MonthEvent.objects.filter(company=company, period=period).select_related(
            "user", "branch"
        ),
        "branches": Branch.objects.filter(company=company).order_by("name"),
        "own_branch": staff_branch(request.user),
    }
    return render(request, "adoption/month.html", context)


STEPS = {
    "complete": lambda company, period, user, post: month_steps.complete(
        company, period, user, post.get("reason", "")
    ),
    "approve_branch": lambda company, period, user, post: month_steps.approve_branch(
        _branch(company, post), period, user
    ),
    "approve_company": lambda company, period, user, post: month_steps.approve_company(
        company, period, user
    ),
    "lock": lambda company, period, user, post: month_steps.lock(company, period, user),
    "unlock": lambda company, period, user, post: month_steps.unlock(
        company, period, user, post.get("reason", "")
    ),
}


def _branch(company, post):
    branch = Branch.objects.filter(company=company, pk=post.get("branch") or 0).first()
    if branch is None:
        raise Http404
    return branch


@login_required
@require_POST
def month_step(request, month, step):
    """One step of the month's life cycle; the rules run again in the worker."""
    company = _company_for(request.user)
    period = _month(month)
    if step == "validate":
        if not (request.user.is_superuser or sees_whole_company(request.user)):
            raise PermissionDenied
        from ..tasks import validate_months

        jobs.enqueue(validate_months, [period])
        messages.info(request, _("The validation rules will run again in a moment."))
    elif step in STEPS:
        try:
            STEPS[step](company, period, request.user, request.POST)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Done."))
    else:
        raise Http404
    return redirect("dashboard:month", month=f"{period:%Y-%m}")
