"""What outreach achieved: totals per branch and month, and the funnel of the customers
registered at activities (the before/after comparison: adoption.outreach_comparison).
Definitions: docs/outreach.md.
"""

from collections import Counter, defaultdict

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import channel_history, regrouping
from .choices import CustomerType
from .metrics import percent
from .models import BARRIER_FIELDS, AdminArea, Branch, OutreachRegistration, Payment
from .months import add_months, month_start

RETENTION_MONTHS = 6
# Outreach speaks to households; businesses and offices would blur the effect.
CUSTOMER_TYPES = [CustomerType.HOUSEHOLD]
TOTAL_FIELDS = ("households_reached", "registrations", "accounts_opened", "gifts", *BARRIER_FIELDS)


def change(before, after):
    """Change in percentage points, or None when either side has no data."""
    return None if before is None or after is None else after - before


def monthly_totals(activities, view="was"):
    """Per branch and month: number of activities and the sum of every count. view="now":
    per today's branch of each activity's commune (adoption.regrouping)."""
    place = regrouping.place_mapper(view)
    cells = (
        activities.annotate(month=TruncMonth("date"))
        .values("branch_id", "commune_id", "month")
        .annotate(activities=Count("id"), **{f: Sum(f) for f in TOTAL_FIELDS})
        .order_by()
    )
    summed = defaultdict(Counter)
    for cell in cells:
        branch_id, _ = place(cell["branch_id"], cell["commune_id"])
        summed[branch_id, cell["month"]].update({f: cell[f] for f in ("activities", *TOTAL_FIELDS)})
    names = dict(Branch.objects.filter(pk__in={b for b, _ in summed}).values_list("pk", "name"))
    rows = [
        {"branch__name": names.get(branch_id, ""), "month": month}
        | {f: counts[f] for f in ("activities", *TOTAL_FIELDS)}
        for (branch_id, month), counts in summed.items()
    ]
    rows.sort(key=lambda r: r["branch__name"])
    rows.sort(key=lambda r: r["month"], reverse=True)
    return [{**row, "barriers_named": sum(row[f] for f in BARRIER_FIELDS)} for row in rows]


def _places(activities, view):
    """Per activity id: the branch (id and name) and commune name it is reported under."""
    if view != "now":
        return {
            pk: {"branch_id": a.branch_id, "branch": a.branch.name, "commune": a.commune.name}
            for pk, a in activities.items()
        }
    place = regrouping.place_mapper(view)
    placed = {pk: place(a.branch_id, a.commune_id) for pk, a in activities.items()}
    branches = dict(
        Branch.objects.filter(pk__in={b for b, _ in placed.values()}).values_list("pk", "name")
    )
    communes = dict(
        AdminArea.objects.filter(pk__in={c for _, c in placed.values()}).values_list("pk", "name")
    )
    return {
        pk: {"branch_id": b, "branch": branches.get(b, ""), "commune": communes.get(c, "")}
        for pk, (b, c) in placed.items()
    }


def funnel(activities, today=None, view="was"):
    """Registered → paid without cash on or after the activity date → paid the bill of the
    sixth month after the activity month without cash. Returns (per activity, per branch);
    view="now": each activity under today's branch and commune of its commune.

    Two queries whatever the number of customers: the registrations, and the non-cash payments
    of the registered customers grouped by customer and bill period.
    """
    today = today or timezone.localdate()
    activities = {a.pk: a for a in activities.select_related("branch", "commune", "village")}
    registrations = OutreachRegistration.objects.filter(activity_id__in=list(activities))
    last_noncash = _last_noncash(registrations)
    places = _places(activities, view)
    per_activity = {pk: _activity_row(a, places[pk], today) for pk, a in activities.items()}
    for activity_id, customer_id in registrations.values_list("activity_id", "customer_id"):
        row = per_activity[activity_id]
        activity = row["activity"]
        periods = last_noncash.get(customer_id, {})
        row["registered"] += 1
        if any(timezone.localtime(paid).date() >= activity.date for paid in periods.values()):
            row["paid_noncash"] += 1
            if add_months(month_start(activity.date), RETENTION_MONTHS) in periods:
                row["retained"] += 1
    for row in per_activity.values():
        if not row["retention_known"]:
            row["retained"] = None
        row["paid_noncash_rate"] = percent(row["paid_noncash"], row["registered"])
        row["retained_rate"] = (
            None if row["retained"] is None else percent(row["retained"], row["registered"])
        )
    return (
        sorted(per_activity.values(), key=lambda r: (r["date"], r["id"]), reverse=True),
        _per_branch(per_activity.values()),
    )


def _last_noncash(registrations):
    """{customer: {bill period: their last non-cash payment's time}} of the registered."""
    last_noncash = defaultdict(dict)
    for row in (
        Payment.objects.counted()
        .filter(
            channel_history.noncash_in_force(),
            customer_id__in=registrations.values("customer_id"),
        )
        .values("customer_id", "period")
        .annotate(last_paid=Max("paid_at"))
    ):
        last_noncash[row["customer_id"]][row["period"]] = row["last_paid"]
    return last_noncash


def _activity_row(activity, place, today):
    """An activity's funnel row, its counts still to be made."""
    return {
        "activity": activity,
        "id": activity.pk,
        "date": activity.date,
        **place,
        "village": activity.village.name if activity.village else "",
        "registered": 0,
        "paid_noncash": 0,
        "retention_known": add_months(month_start(activity.date), RETENTION_MONTHS)
        < month_start(today),
        "retained": 0,
    }


def _per_branch(activity_rows):
    """The activities' funnels summed per branch (retention over the activities old enough),
    by branch name."""
    per_branch = {}
    for row in activity_rows:
        branch = per_branch.setdefault(
            row["branch_id"],
            {"branch": row["branch"], "activities": 0, "registered": 0, "paid_noncash": 0}
            | {"registered_followed": 0, "retained": 0},
        )
        branch["activities"] += 1
        branch["registered"] += row["registered"]
        branch["paid_noncash"] += row["paid_noncash"]
        if row["retention_known"]:
            branch["registered_followed"] += row["registered"]
            branch["retained"] += row["retained"]
    for row in per_branch.values():
        row["paid_noncash_rate"] = percent(row["paid_noncash"], row["registered"])
        row["retained_rate"] = percent(row["retained"], row["registered_followed"])
    return sorted(per_branch.values(), key=lambda r: r["branch"])
