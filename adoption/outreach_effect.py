"""What outreach achieved: totals per branch and month, and the funnel of the customers
registered at activities (the before/after comparison: adoption.outreach_comparison).
Definitions: docs/outreach.md.
"""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import channel_history
from .choices import CustomerType
from .metrics import percent
from .models import BARRIER_FIELDS, OutreachRegistration, Payment

RETENTION_MONTHS = 6
# Outreach speaks to households; businesses and offices would blur the effect.
CUSTOMER_TYPES = [CustomerType.HOUSEHOLD]
TOTAL_FIELDS = ("households_reached", "registrations", "accounts_opened", "gifts", *BARRIER_FIELDS)


def month_start(day):
    return day.replace(day=1)


def add_months(day, months):
    years, month = divmod(day.month - 1 + months, 12)
    return date(day.year + years, month + 1, 1)


def change(before, after):
    """Change in percentage points, or None when either side has no data."""
    return None if before is None or after is None else after - before


def monthly_totals(activities):
    """Per branch and month: number of activities and the sum of every count."""
    rows = (
        activities.annotate(month=TruncMonth("date"))
        .values("branch__name", "month")
        .annotate(activities=Count("id"), **{f: Sum(f) for f in TOTAL_FIELDS})
        .order_by("-month", "branch__name")
    )
    return [{**row, "barriers_named": sum(row[f] for f in BARRIER_FIELDS)} for row in rows]


def funnel(activities, today=None):
    """Registered → paid without cash on or after the activity date → paid the bill of the
    sixth month after the activity month without cash. Returns (per activity, per branch).

    Two queries whatever the number of customers: the registrations, and the non-cash payments
    of the registered customers grouped by customer and bill period.
    """
    today = today or timezone.localdate()
    activities = {a.pk: a for a in activities.select_related("branch", "commune", "village")}
    registrations = OutreachRegistration.objects.filter(activity_id__in=list(activities))
    last_noncash = defaultdict(dict)  # customer -> {bill period: last non-cash payment time}
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

    per_activity = {
        pk: {
            "activity": a,
            "id": pk,
            "date": a.date,
            "branch": a.branch.name,
            "commune": a.commune.name,
            "village": a.village.name if a.village else "",
            "registered": 0,
            "paid_noncash": 0,
            "retention_known": add_months(month_start(a.date), RETENTION_MONTHS)
            < month_start(today),
            "retained": 0,
        }
        for pk, a in activities.items()
    }
    for activity_id, customer_id in registrations.values_list("activity_id", "customer_id"):
        row = per_activity[activity_id]
        activity = row["activity"]
        periods = last_noncash.get(customer_id, {})
        row["registered"] += 1
        if any(timezone.localtime(paid).date() >= activity.date for paid in periods.values()):
            row["paid_noncash"] += 1
            if add_months(month_start(activity.date), RETENTION_MONTHS) in periods:
                row["retained"] += 1

    per_branch = {}
    for row in per_activity.values():
        if not row["retention_known"]:
            row["retained"] = None
        row["paid_noncash_rate"] = percent(row["paid_noncash"], row["registered"])
        row["retained_rate"] = (
            None if row["retained"] is None else percent(row["retained"], row["registered"])
        )
        branch = per_branch.setdefault(
            row["activity"].branch_id,
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
    return (
        sorted(per_activity.values(), key=lambda r: (r["date"], r["id"]), reverse=True),
        sorted(per_branch.values(), key=lambda r: r["branch"]),
    )
