"""Outreach planning for a branch: where to go next, visit plans against what was done, and a
household lookup by customer code (branch staff of that branch only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exports import tables_response
from ..forms import OutreachPeriodForm, OutreachPlanForm
from ..household_lookup import lookup
from ..months import add_months, this_month
from ..outreach_next import RECENT_VISIT_DAYS, plans_by_month, where_next
from ..permissions import (
    customer_for_lookup,
    outreach_activities,
    outreach_branch_for_entry,
    outreach_branch_for_planning,
    outreach_branch_for_report,
    outreach_plans,
    visible_branches,
)
from ..tables import OutreachPlanTable, PlaceRankTable, PlanMonthTable


@login_required
def where_next_view(request):
    branch = outreach_branch_for_report(request.user, request.GET.get("branch", ""))
    communes, villages, period = where_next(branch)
    can_plan = outreach_branch_for_planning(request.user) == branch
    tables = [
        PlaceRankTable(communes, prefix="commune-", exclude=("commune",), can_plan=can_plan),
        PlaceRankTable(villages, prefix="village-", can_plan=can_plan),
    ]
    context = {
        "branch": branch,
        "period": period,
        "recent_days": RECENT_VISIT_DAYS,
        "branches": None
        if outreach_branch_for_entry(request.user)
        else visible_branches(request.user).order_by("name"),
    }
    return tables_response(request, "outreach-next", tables, "adoption/outreach_next.html", context)


@login_required
def plan_list(request):
    plans = outreach_plans(request.user)
    if not request.user.has_perm("adoption.view_outreachplan"):
        raise PermissionDenied
    now = this_month()
    form = OutreachPeriodForm(
        request.GET,
        branches=visible_branches(request.user),
        defaults=(add_months(now, -5), add_months(now, 6)),
    )
    choice = form.chosen()
    start, end = choice["start"], add_months(choice["end"], 1)
    plans = plans.filter(date__gte=start, date__lt=end)
    activities = outreach_activities(request.user).filter(date__gte=start, date__lt=end)
    if choice.get("branch"):
        plans = plans.filter(branch=choice["branch"])
        activities = activities.filter(branch=choice["branch"])
    tables = [
        PlanMonthTable(plans_by_month(plans, activities), prefix="month-"),
        OutreachPlanTable(
            plans.select_related("branch", "commune", "village", "partner"), prefix="plan-"
        ),
    ]
    context = {"form": form, "can_plan": outreach_branch_for_planning(request.user) is not None}
    return tables_response(
        request, "outreach-plans", tables, "adoption/outreach_plans.html", context
    )


@login_required
def plan_new(request):
    branch = outreach_branch_for_planning(request.user)
    if branch is None:
        raise PermissionDenied
    initial = {"date": timezone.localdate()}
    if request.GET.get("place", "").isdigit():
        initial["place"] = request.GET["place"]
    form = OutreachPlanForm(request.POST or None, branch=branch, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = form.save(commit=False)
        plan.created_by = request.user
        plan.save()
        messages.success(request, _("Visit planned."))
        return redirect(f"{reverse('outreach:plans')}?start={plan.date:%Y-%m}")
    return render(request, "adoption/outreach_plan_form.html", {"form": form, "branch": branch})


@login_required
def household_lookup(request):
    branch = outreach_branch_for_entry(request.user)
    if branch is None:
        raise PermissionDenied
    code = request.GET.get("code", "").strip().upper()
    customer = customer_for_lookup(request.user, code) if code else None
    context = {
        "code": code,
        "branch": branch,
        "result": lookup(customer) if customer else None,
        "searched": bool(code),
    }
    return render(request, "adoption/outreach_lookup.html", context)
