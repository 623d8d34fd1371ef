"""Field outreach: entry for branch staff (from a phone), and what it achieved for managers."""

import uuid
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Sum
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import regrouping
from ..exports import tables_response
from ..forms import OutreachForm, OutreachPeriodForm
from ..models import BARRIER_FIELDS, OutreachActivity
from ..month_forms import MonthField
from ..months import add_months, month_start
from ..outreach_comparison import comparison_rows, summary
from ..outreach_effect import TOTAL_FIELDS, funnel, monthly_totals
from ..permissions import (
    can_edit_outreach,
    is_manager,
    outreach_activities,
    outreach_branch_for_entry,
    require_outreach_viewer,
    visible_branches,
)
from ..tables import (
    FunnelActivityTable,
    FunnelBranchTable,
    OutreachComparisonTable,
    OutreachTable,
    OutreachTotalsTable,
)


def _month_param(value, default):
    try:
        return MonthField(required=False).clean(value) or default
    except forms.ValidationError:  # a hand-edited URL: fall back to the default month
        return default


def _list_url(activity):
    query = urlencode({"month": f"{activity.date:%Y-%m}", "saved": activity.pk})
    return f"{reverse('outreach:list')}?{query}#activity-{activity.pk}"


@login_required
def activity_list(request):
    require_outreach_viewer(request.user)
    this_month = month_start(timezone.localdate())
    month = _month_param(request.GET.get("month"), this_month)
    activities = (
        outreach_activities(request.user)
        .filter(date__gte=month, date__lt=add_months(month, 1))
        .select_related("branch", "commune", "village")
    )
    totals = activities.aggregate(activities=Count("id"), **{f: Sum(f) for f in TOTAL_FIELDS})
    totals["barriers_named"] = sum(totals[f] or 0 for f in BARRIER_FIELDS)
    entry_branch = outreach_branch_for_entry(request.user)
    table = OutreachTable(
        activities, user=request.user, exclude=("branch",) if entry_branch else ()
    )
    saved_id = request.GET.get("saved", "")
    saved = activities.filter(pk=saved_id).first() if saved_id.isdigit() else None
    return render(
        request,
        "adoption/outreach_list.html",
        {
            "table": table,
            "totals": totals,
            "month": month,
            "previous_month": add_months(month, -1),
            "next_month": add_months(month, 1) if month < this_month else None,
            "can_add": entry_branch is not None,
            "branch": entry_branch,
            "saved": saved,
            "show_reports": is_manager(request.user),
        },
    )


def _already_recorded(user, token):
    if token is None:
        return None
    return OutreachActivity.objects.filter(submission_token=token, created_by=user).first()


def _token(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _save_new(form, user, token):
    """Save the activity once per submission token; a concurrent twin finds the first one."""
    try:
        with transaction.atomic():
            activity = form.save(commit=False)
            activity.created_by = user
            if token is not None:
                activity.submission_token = token
            activity.save()
            form.save_registrations(activity)
        return activity, True
    except IntegrityError:
        existing = _already_recorded(user, token)
        if existing is None:
            raise
        return existing, False


@login_required
def activity_new(request):
    branch = outreach_branch_for_entry(request.user)
    if branch is None:
        raise PermissionDenied
    if request.method == "POST":
        token = _token(request.POST.get("submission_token"))
        existing = _already_recorded(request.user, token)
        if existing:
            return redirect(_list_url(existing))
        if OutreachActivity.objects.filter(submission_token=token).exists():
            token = None  # someone else's token: never theirs to reuse
        form = OutreachForm(request.POST, branch=branch)
        if form.is_valid():
            activity, created = _save_new(form, request.user, token)
            if created:
                messages.success(request, _("Outreach activity recorded."))
            return redirect(_list_url(activity))
    else:
        form = OutreachForm(branch=branch, initial={"submission_token": uuid.uuid4()})
    return render(request, "adoption/outreach_form.html", {"form": form, "branch": branch})


@login_required
def activity_edit(request, pk):
    require_outreach_viewer(request.user)
    activity = get_object_or_404(outreach_activities(request.user), pk=pk)
    if not can_edit_outreach(request.user, activity):
        raise PermissionDenied
    form = OutreachForm(request.POST or None, instance=activity, branch=activity.branch)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            activity = form.save()
            form.save_registrations(activity)
        messages.success(request, _("Outreach activity updated."))
        return redirect(_list_url(activity))
    return render(
        request,
        "adoption/outreach_form.html",
        {"form": form, "branch": activity.branch, "activity": activity},
    )


def _report_scope(request):
    """The activities a report covers (the user's branches, narrowed by the period form) and
    the view of history asked for ("was" or "now")."""
    require_outreach_viewer(request.user)
    # The 12 months up to the latest activity: after a quiet spell (or on archived data) the
    # report opens on outreach, not on empty months.
    latest = outreach_activities(request.user).aggregate(latest=Max("date"))["latest"]
    last_month = month_start(latest or timezone.localdate())
    form = OutreachPeriodForm(
        request.GET,
        branches=visible_branches(request.user),
        defaults=(add_months(last_month, -11), last_month),
    )
    choice = form.chosen()
    view = choice.get("view") or "was"
    activities = outreach_activities(request.user).filter(
        date__gte=choice["start"], date__lt=add_months(choice["end"], 1)
    )
    if choice.get("branch") and view == "now":
        # Today's branch: the activities at the communes it serves today, whoever made them.
        place = regrouping.place_mapper(view)
        ids = [
            pk
            for pk, branch_id, commune_id in activities.values_list("pk", "branch_id", "commune_id")
            if place(branch_id, commune_id)[0] == choice["branch"].pk
        ]
        activities = activities.filter(pk__in=ids)
    elif choice.get("branch"):
        activities = activities.filter(branch=choice["branch"])
    return form, activities, view


def _report_response(request, name, tables, context, paginate=False):
    """An outreach report's page, or one of its tables as a file."""
    return tables_response(
        request,
        f"outreach-{name}",
        tables,
        "adoption/outreach_report.html",
        {**context, "report": name},
        paginate=paginate,
        view=context.get("view"),
    )


@login_required
def effect(request):
    form, activities, view = _report_scope(request)
    rows = comparison_rows(activities, view)
    table = OutreachComparisonTable(rows)
    title = _("Before/after outreach comparison")
    context = {"form": form, "title": title, "summary": summary(rows), "view": view}
    return _report_response(request, "effect", [table], context, paginate=True)


@login_required
def totals(request):
    form, activities, view = _report_scope(request)
    table = OutreachTotalsTable(monthly_totals(activities, view))
    title = _("Outreach totals per branch and month")
    context = {"form": form, "title": title, "view": view}
    return _report_response(request, "totals", [table], context)


@login_required
def funnel_view(request):
    form, activities, view = _report_scope(request)
    per_activity, per_branch = funnel(activities, view=view)
    tables = [
        FunnelBranchTable(per_branch, prefix="branch-"),
        FunnelActivityTable(per_activity, prefix="activity-"),
    ]
    title = _("Customers registered at outreach")
    context = {"form": form, "title": title, "view": view}
    return _report_response(request, "funnel", tables, context)
