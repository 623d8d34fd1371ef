"""Dirty bookkeeping: which (period, branch) rollups no longer match the raw rows.

Edits call these in their own transaction; the markers commit or roll back with the edit and
hand the worker a fill job (adoption.jobs). adoption.metrics.freshness refills what is marked.
"""

from collections import defaultdict

from django.db.models import Max, Min
from django.utils import timezone

from .. import jobs
from ..models import (
    Branch,
    BranchTerritory,
    CommuneMonth,
    Customer,
    CustomerPlacement,
    Payment,
    RollupDirty,
)
from ..models.validity import in_force
from ..months import month_range, month_start


def mark_dirty(periods, branch_ids, schedule=True):
    """Record that the rollups of these periods and branches no longer match the raw rows.

    Call it in the transaction that changes the rows: the marker commits or rolls back with
    them. A marker's time is that of the latest change it stands for. A period whose payments
    changed also makes the next period's back-to-cash count stale; the refill takes care of
    that, and of customers whose first non-cash month moved. schedule=False: the caller fills
    them itself (no job is handed to the worker).
    """
    now = timezone.now()
    markers = [
        RollupDirty(period=month_start(p), branch_id=b, marked_at=now)
        for p in set(periods)
        for b in set(branch_ids)
        if b is not None
    ]
    RollupDirty.objects.bulk_create(
        markers,
        update_conflicts=True,
        unique_fields=["period", "branch"],
        update_fields=["marked_at"],
        batch_size=500,
    )
    if markers and schedule:
        jobs.fill_after_commit()


def customer_branches(customer_ids):
    """{customer id: every branch the customer can have counted in}: its current branch and
    the branches that served, at any time, a commune it was placed in (a superset of the
    branches of its periods, cheap to find)."""
    result = defaultdict(set)
    ids = list(customer_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for cid, branch_id in Customer.objects.filter(pk__in=chunk).values_list("pk", "branch_id"):
            result[cid].add(branch_id)
        pairs = (
            CustomerPlacement.objects.filter(customer_id__in=chunk)
            .filter(commune__territory__isnull=False)
            .values_list("customer_id", "commune__territory__branch_id")
            .distinct()
        )
        for cid, branch_id in pairs:
            result[cid].add(branch_id)
    return result


def branches_sharing_customers():
    """{current branch: every branch its customers can have counted in}, itself included:
    what a bulk change to customers of one branch (an import) can make stale."""
    related = defaultdict(set)
    for branch_id in Branch.objects.values_list("pk", flat=True):
        related[branch_id].add(branch_id)
    pairs = (
        CustomerPlacement.objects.filter(commune__territory__isnull=False)
        .values_list("customer__branch_id", "commune__territory__branch_id")
        .distinct()
    )
    for current, then in pairs:
        related[current].add(then)
    return related


def branch_for_period(customer_id, period):
    """The branch a customer counts in for this period: the one serving the commune of its
    placement in force then (the current branch where either is missing)."""
    period = month_start(period)
    commune_id = (
        CustomerPlacement.objects.filter(in_force(period), customer_id=customer_id)
        .values_list("commune_id", flat=True)
        .first()
    )
    if commune_id is not None:
        branch_id = (
            BranchTerritory.objects.filter(in_force(period), commune_id=commune_id)
            .values_list("branch_id", flat=True)
            .first()
        )
        if branch_id is not None:
            return branch_id
    return Customer.objects.filter(pk=customer_id).values_list("branch_id", flat=True).first()


def mark_customer_dirty(customer, old=None):
    """Mark what a new, changed or deleted customer affects: every period from the earliest of
    its old and new connection month (or its earliest payment, should one predate them)
    onward, in its old and its new branch and every branch it counted in before."""
    # Months with payments, and months whose rollups still wait to be emptied.
    bounds = [
        qs.aggregate(first=Min("period"), last=Max("period"))
        for qs in (Payment.objects.all(), CommuneMonth.objects.all())
    ]
    bounds = [b for b in bounds if b["last"] is not None]
    if not bounds:
        return
    first_month = min(b["first"] for b in bounds)
    last_month = max(b["last"] for b in bounds)
    starts = [customer.connected_on] + ([old.connected_on] if old else [])
    if customer.pk:
        paid = Payment.objects.filter(customer_id=customer.pk).aggregate(p=Min("period"))["p"]
        starts += [paid] if paid else []
    starts = [s for s in starts if s is not None]
    first = max(month_start(min(starts)), first_month) if starts else first_month
    branches = {customer.branch_id} | ({old.branch_id} if old else set())
    if customer.pk:
        branches |= customer_branches([customer.pk])[customer.pk]
    # A new commune counts in whichever branch served it in each period.
    branches |= set(
        BranchTerritory.objects.filter(commune_id=customer.commune_id).values_list(
            "branch_id", flat=True
        )
    )
    mark_dirty(month_range(first, last_month), branches)
