"""Where a branch's outreach should go next: its communes and villages ranked by the households
still paying cash, the gap to the branch's target and the time since the last visit, with the
barriers named there last time; and its visit plans against what was done, per month.
Definitions: docs/outreach.md.
"""

import math
from collections import defaultdict

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from . import channel_history, metrics
from .choices import AreaLevel, CustomerType
from .models import BARRIER_FIELDS, AdminArea, CommuneMonth, Customer, OutreachActivity, Payment
from .months import add_months, month_start
from .permissions import branch_places
from .targets import Targets

# A place visited this recently goes after the others, whatever its figures: a second visit
# so soon rarely reaches households the first one missed.
RECENT_VISIT_DAYS = 30


def _barriers(activity):
    """The barriers households named at an activity, most named first: [(field, count)]."""
    named = [(name, getattr(activity, name)) for name in BARRIER_FIELDS if getattr(activity, name)]
    return sorted(named, key=lambda item: -item[1])


def _household_counts_by_village(branch, period):
    """{village id: (non-cash, active)} household customers of the branch active in `period`,
    from the customers and payments themselves (the rollups stop at the commune). Only active
    customers count as non-cash here: a disconnected one who pays an old bill by bank is no
    household left to win."""
    month_end = add_months(period, 1)
    active_customers = (
        Customer.objects.filter(
            branch=branch, customer_type=CustomerType.HOUSEHOLD, village__isnull=False
        )
        .filter(connected_on__lt=month_end)
        .filter(Q(disconnected_on__isnull=True) | Q(disconnected_on__gte=period))
    )
    active = dict(
        active_customers.values("village_id").annotate(n=Count("id")).values_list("village_id", "n")
    )
    noncash = dict(
        Payment.objects.counted()
        .filter(channel_history.noncash_in_force(), period=period, customer__in=active_customers)
        .values("customer__village_id")
        .annotate(n=Count("customer_id", distinct=True))
        .values_list("customer__village_id", "n")
    )
    return {v: (noncash.get(v, 0), n) for v, n in active.items()}


def _place_row(place, counts, target, last_visit, today, commune=None):
    noncash, active = counts
    rate = metrics.percent(noncash, active)
    to_target = None
    if target is not None and active:
        to_target = max(0, math.ceil(target * active / 100 - 1e-9) - noncash)
    days = (today - last_visit.date).days if last_visit else None
    return {
        "id": place.pk,
        "place": place.name,
        "commune": commune.name if commune else "",
        "level": place.level,
        "active": active,
        "cash": max(0, active - noncash),
        "rate": rate,
        "target": target,
        "gap": None if target is None or rate is None else target - rate,
        "to_target": to_target,
        "last_visit": last_visit.date if last_visit else None,
        "days_since_visit": days,
        "barriers": _barriers(last_visit) if last_visit else [],
    }


def rank_key(row):
    """Recently visited places last; then most households still paying cash, widest gap to
    the target, longest since the last visit (never visited first)."""
    recent = row["days_since_visit"] is not None and row["days_since_visit"] < RECENT_VISIT_DAYS
    gap = row["gap"] if row["gap"] is not None else -math.inf
    days = row["days_since_visit"] if row["days_since_visit"] is not None else math.inf
    return (recent, -row["cash"], -gap, -days, row["place"])


def where_next(branch, today=None):
    """(communes, villages, period): the branch's places ranked for the next visit, from the
    latest month of data."""
    today = today or timezone.localdate()
    households = CommuneMonth.objects.filter(branch=branch, customer_type=CustomerType.HOUSEHOLD)
    period = households.aggregate(latest=Max("period"))["latest"]
    target = Targets(branch.company_id).for_month(period, branch.pk) if period else None
    commune_counts, village_counts = {}, {}
    if period:
        for commune_id, noncash, active in households.filter(period=period).values_list(
            "commune_id", "noncash_customers", "active_customers"
        ):
            commune_counts[commune_id] = (noncash, active)
        village_counts = _household_counts_by_village(branch, period)
    communes, villages, plannable = _places_to_rank(branch, commune_counts, village_counts)
    last_in_commune, last_in_village = _last_visits(branch, today)
    commune_rows = [
        _place_row(c, commune_counts.get(c.pk, (0, 0)), target, last_in_commune.get(c.pk), today)
        for c in communes
    ]
    village_rows = [
        _place_row(
            v,
            village_counts.get(v.pk, (0, 0)),
            target,
            last_in_village.get(v.pk),
            today,
            commune=v.parent,
        )
        for v in villages
        if v.level == AreaLevel.VILLAGE
    ]
    for rows in (commune_rows, village_rows):
        rows.sort(key=rank_key)
        for rank, row in enumerate(rows, start=1):
            row["rank"] = rank
            row["plannable"] = row["id"] in plannable
    return commune_rows, village_rows, period


def _places_to_rank(branch, commune_counts, village_counts):
    """(communes, villages, the ids of those the branch may plan a visit to)."""
    # The places the branch may record outreach at, and those where its households are (their
    # commune may have been renamed or merged since): both are worth a visit.
    plannable_communes, plannable_villages = branch_places(branch)
    communes = list(
        AdminArea.objects.filter(
            Q(pk__in=plannable_communes.values("pk")) | Q(pk__in=list(commune_counts))
        ).order_by("name")
    )
    villages = list(
        AdminArea.objects.filter(
            Q(pk__in=plannable_villages.values("pk")) | Q(pk__in=list(village_counts))
        )
        .select_related("parent")
        .order_by("name")
    )
    plannable = set(plannable_communes.values_list("pk", flat=True)) | set(
        plannable_villages.values_list("pk", flat=True)
    )
    return communes, villages, plannable


def _last_visits(branch, today):
    """The branch's last activity at each commune (any of its villages) and at each village."""
    last_in_commune, last_in_village = {}, {}
    for activity in OutreachActivity.objects.filter(branch=branch, date__lte=today).order_by(
        "date", "id"
    ):
        last_in_commune[activity.commune_id] = activity
        if activity.village_id:
            last_in_village[activity.village_id] = activity
    return last_in_commune, last_in_village


def plans_by_month(plans, activities):
    """Per branch and month: visits planned, planned visits done (an activity of the branch at
    the planned village, or commune when no village was planned, in the planned month) and
    activities recorded."""
    done_places = defaultdict(set)
    for branch_id, commune_id, village_id, day in activities.values_list(
        "branch_id", "commune_id", "village_id", "date"
    ):
        month = month_start(day)
        done_places[branch_id, month].add(("commune", commune_id))
        if village_id:
            done_places[branch_id, month].add(("village", village_id))
    rows = {}
    for plan in plans.select_related("branch"):
        month = month_start(plan.date)
        row = rows.setdefault(
            (plan.branch_id, month),
            {"branch": plan.branch.name, "month": month, "planned": 0, "done": 0},
        )
        row["planned"] += 1
        place = ("village", plan.village_id) if plan.village_id else ("commune", plan.commune_id)
        if place in done_places[plan.branch_id, month]:
            row["done"] += 1
    recorded = (
        activities.annotate(month=TruncMonth("date"))
        .values_list("branch_id", "month")
        .annotate(n=Count("id"))
    )
    counts = {(branch_id, month): n for branch_id, month, n in recorded}
    for (branch_id, month), row in rows.items():
        row["activities"] = counts.get((branch_id, month), 0)
        row["done_rate"] = metrics.percent(row["done"], row["planned"])
    return sorted(rows.values(), key=lambda r: (r["month"], r["branch"]), reverse=True)
