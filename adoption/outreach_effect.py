"""What outreach achieved: adoption before and after each activity against the branch's other
communes (difference in differences), totals per branch and month, and the funnel of the
customers registered at activities. Definitions: docs/outreach.md.
"""

from collections import defaultdict
from datetime import date

from django.db.models import Count, Max, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import channel_history
from .choices import CustomerType
from .metrics import monthly_rates, percent
from .models import BARRIER_FIELDS, OutreachActivity, OutreachRegistration, Payment

WINDOW_MONTHS = 3
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


class _Counts:
    """Non-cash and active household customers per (branch, commune, month), from the rollups."""

    def __init__(self, start, end, branch_ids):
        self.cells = {}
        self.communes = defaultdict(set)
        rows = monthly_rates(
            start=start,
            end=end,
            group="commune",
            branch_ids=branch_ids,
            customer_types=CUSTOMER_TYPES,
        )
        for row in rows:
            key = (row["branch_id"], row["commune_id"], row["period"])
            self.cells[key] = (row["noncash_customers"], row["active_customers"])
            self.communes[row["branch_id"]].add(row["commune_id"])

    def rate(self, branch_id, commune_ids, months):
        """Adoption rate from counts summed over communes and months (never averaged rates)."""
        noncash = active = 0
        for commune_id in commune_ids:
            for month in months:
                n, a = self.cells.get((branch_id, commune_id, month), (0, 0))
                noncash += n
                active += a
        return percent(noncash, active)


def effect_rows(activities):
    """One row per activity: its commune's adoption 3 months before and after the activity
    month, the same for the branch's communes without outreach in those 7 months, and the
    difference of the two changes."""
    activities = list(activities.select_related("branch", "commune", "village", "partner"))
    if not activities:
        return []
    months = [month_start(a.date) for a in activities]
    start = add_months(min(months), -WINDOW_MONTHS)
    end = add_months(max(months), WINDOW_MONTHS)
    branch_ids = sorted({a.branch_id for a in activities})
    counts = _Counts(start, end, branch_ids)

    # Every activity in the span marks its commune as reached, listed here or not.
    reached = defaultdict(set)
    for branch_id, commune_id, day in OutreachActivity.objects.filter(
        branch_id__in=branch_ids, date__gte=start, date__lt=add_months(end, 1)
    ).values_list("branch_id", "commune_id", "date"):
        reached[branch_id, commune_id].add(month_start(day))

    rows = []
    for activity, month in zip(activities, months, strict=True):
        before = [add_months(month, -i) for i in range(WINDOW_MONTHS, 0, -1)]
        after = [add_months(month, i) for i in range(1, WINDOW_MONTHS + 1)]
        first, last = before[0], after[-1]
        controls = sorted(
            commune_id
            for commune_id in counts.communes[activity.branch_id]
            if commune_id != activity.commune_id
            and not any(first <= m <= last for m in reached[activity.branch_id, commune_id])
        )
        row = {
            "activity": activity,
            "id": activity.pk,
            "date": activity.date,
            "branch": activity.branch.name,
            "commune": activity.commune.name,
            "village": activity.village.name if activity.village else "",
            "partner": activity.partner.name if activity.partner else "",
            "households_reached": activity.households_reached,
            "registrations": activity.registrations,
            "rate_before": counts.rate(activity.branch_id, [activity.commune_id], before),
            "rate_after": counts.rate(activity.branch_id, [activity.commune_id], after),
            "control_communes": len(controls),
            "control_before": counts.rate(activity.branch_id, controls, before),
            "control_after": counts.rate(activity.branch_id, controls, after),
        }
        row["change"] = change(row["rate_before"], row["rate_after"])
        row["control_change"] = change(row["control_before"], row["control_after"])
        row["did"] = change(row["control_change"], row["change"])
        rows.append(row)
    return rows


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
        Payment.objects.filter(
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
