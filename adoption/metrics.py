"""Adoption metrics: the one place rates are defined, rollups are filled and read.

Definitions (docs/metrics.md says the same at more length). For a bill period P (a month) and
any set of customers (a commune, a branch, the company):

- active customers: connected on or before P's last day and not disconnected before P's
  first day.
- paying customers: customers with at least one payment for bill period P, whenever paid
  (a late payment for an old bill counts for that old period).
- non-cash customers: customers with at least one payment for P through a channel that is
  not cash in P (the ChannelClassification in force for P says is_cash false: a channel
  reclassified from a month on counts as before in the months before it).
- customer adoption rate = non-cash customers / active customers (the headline figure).
- paying-customer rate = non-cash customers / paying customers.
- payment share = non-cash payments / payments; amount share = non-cash VND / all VND.
- channel mix: payments, VND and paying customers per channel (and summed per channel kind).
- new non-cash customers: customers whose first non-cash payment ever is for P.
- back-to-cash customers: non-cash in P-1, paid for P, but only by cash.
- 6-month cohort: customers whose first non-cash period is P-6; retained: those of the cohort
  who are non-cash in P. Retention rate = retained / cohort.

Every count is stored per (period, branch, commune, customer type) in CommuneMonth "as it
was": by the customer's commune that month (CustomerPlacement), the branch serving it that
month (BranchTerritory) and the customer's current type; summed over communes in BranchMonth
with the branch's company that month (BranchVersion), what branch and company figures read;
ChannelMonth holds the channel mix. "As it is now" regroups the same counts onto today's
communes and branches when read (adoption.regrouping). Every rate is a ratio
of summed counts, never an average of rates. The rollups cover each month from the first to
the last bill period that has any payment; a month without payments inside that range still
has its active customers.

The public API (used by views, imports, commands and benchmarks):
- refresh(periods=None, branch_ids=None): rebuild the rollups of those periods and branches
  (None = all), inside one transaction.
- mark_dirty(periods, branch_ids): record that those rollups no longer match the raw rows, and
  hand the worker a fill job once the transaction commits (adoption.jobs).
- ensure_fresh(): refresh whatever is marked dirty; cheap when nothing is. The worker's jobs
  call it (adoption.tasks); a page never does: pages only read.
- data_as_of(): when the rollups last caught up with the raw data.
- monthly_rates(...) and channel_mix(...): the rows every chart and table reads.
"""

from collections import defaultdict
from contextlib import contextmanager
from datetime import date, timedelta

from django.db import connection, transaction
from django.db.models import Exists, Max, Min, OuterRef, Sum
from django.utils import timezone

from . import jobs, regrouping
from .models import (
    Branch,
    BranchMonth,
    BranchTerritory,
    BranchVersion,
    ChannelClassification,
    ChannelMonth,
    CommuneMonth,
    Customer,
    CustomerPlacement,
    FirstNoncash,
    Payment,
    PaymentChannel,
    RollupDirty,
    RollupState,
)
from .models.payments import COUNTED_SQL
from .models.validity import in_force

COUNT_FIELDS = (
    "active_customers",
    "paying_customers",
    "noncash_customers",
    "payments",
    "noncash_payments",
    "amount",
    "noncash_amount",
    "new_noncash_customers",
    "back_to_cash_customers",
    "cohort_6m_customers",
    "retained_6m_customers",
)

# rate name -> (numerator, denominator), both CommuneMonth counts.
RATES = {
    "adoption_rate": ("noncash_customers", "active_customers"),
    "paying_rate": ("noncash_customers", "paying_customers"),
    "payment_share": ("noncash_payments", "payments"),
    "amount_share": ("noncash_amount", "amount"),
    "retention_6m": ("retained_6m_customers", "cohort_6m_customers"),
}

GROUP_KEYS = {"company": [], "branch": ["branch_id"], "commune": ["branch_id", "commune_id"]}

STATE_NAME = "rollups"
# PostgreSQL advisory lock key held by a running fill (an arbitrary constant).
FILL_LOCK = 4_170_205
# How many months after the first non-cash payment retention is measured.
RETENTION_MONTHS = 6


def percent(numerator, denominator):
    """A rate in percent, or None where the denominator is zero (no data is not 0%)."""
    return None if not denominator else 100.0 * numerator / denominator


def with_rates(row):
    for name, (num, den) in RATES.items():
        row[name] = percent(row[num], row[den])
    return row


def monthly_rates(
    *,
    start=None,
    end=None,
    periods=None,
    group="branch",
    branch_ids=None,
    customer_types=None,
    company_ids=None,
    view="was",
):
    """Summed counts and rates per period (and per branch or commune), start..end inclusive,
    or only the months listed in `periods`.

    view="was" (as it was): each month under the branch, commune and company of that month.
    view="now" (as it is now): the same counts regrouped onto today's communes, branches and
    companies (adoption.regrouping); branch_ids and company_ids then name today's."""
    if view == "now":
        qs = regrouping.rollups_for_now(start, end, periods, customer_types)
        rows = regrouping.commune_rows_now(
            qs,
            COUNT_FIELDS,
            group,
            branch_ids=None if branch_ids is None else set(branch_ids),
            company_ids=None if company_ids is None else set(company_ids),
        )
        return [with_rates(row) for row in rows]
    rollup = CommuneMonth if group == "commune" else BranchMonth
    if periods is not None:
        qs = rollup.objects.filter(period__in=periods)
    else:
        qs = rollup.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if company_ids is not None and rollup is BranchMonth:
        qs = qs.filter(company_id__in=company_ids)
    elif company_ids is not None:
        # CommuneMonth has no company: its branch's company that month is in BranchMonth.
        then = BranchMonth.objects.filter(
            period=OuterRef("period"), branch_id=OuterRef("branch_id"), company_id__in=company_ids
        )
        qs = qs.filter(Exists(then))
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    keys = ["period", *GROUP_KEYS[group]]
    rows = qs.values(*keys).annotate(**{f: Sum(f) for f in COUNT_FIELDS}).order_by(*keys)
    return [with_rates(dict(row)) for row in rows]


def channel_mix(
    *,
    start,
    end,
    by="kind",
    branch_ids=None,
    customer_types=None,
    channel_kinds=None,
    view="was",
):
    """Payments, VND and paying customers per period and channel kind (the kind in force for
    the period) or channel.

    Per kind, customers are summed over its channels: a customer who paid through two banks
    counts once for each bank. view="now": branch_ids name today's branches, and the rows of
    the branches whose communes they serve today count for them.
    """
    if view == "now":
        branch_ids = regrouping.branches_then(branch_ids)
    qs = ChannelMonth.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    if channel_kinds:
        qs = qs.filter(kind__in=channel_kinds)
    key = "kind" if by == "kind" else "channel_id"
    rows = (
        qs.values("period", key)
        .annotate(payments=Sum("payments"), amount=Sum("amount"), customers=Sum("customers"))
        .order_by("period", key)
    )
    return [dict(row) for row in rows]


def latest_period(branch_ids=None):
    """The newest month the rollups hold (for these branches), or None when they are empty."""
    qs = BranchMonth.objects.all()
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    return qs.aggregate(latest=Max("period"))["latest"]


# Months.


def month_start(day):
    return day.replace(day=1)


def add_months(period, months):
    index = period.year * 12 + period.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(period):
    return add_months(period, 1) - timedelta(days=1)


def months(first, last):
    """Every period from first to last inclusive."""
    result = []
    period = month_start(first)
    while period <= last:
        result.append(period)
        period = add_months(period, 1)
    return result


def covered_periods():
    """The months the rollups cover: first to last bill period that has any payment."""
    bounds = Payment.objects.counted().aggregate(first=Min("period"), last=Max("period"))
    if bounds["first"] is None:
        return []
    return months(bounds["first"], bounds["last"])


# Pending work and bookkeeping.


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
    mark_dirty(months(first, last_month), branches)


def fill_interrupted():
    """True if a fill started and neither finished nor rolled back its own start marker."""
    state = RollupState.objects.filter(name=STATE_NAME).first()
    if state is None or state.started_at is None:
        return False
    return state.finished_at is None or state.finished_at < state.started_at


def ensure_fresh():
    """Refresh what is marked dirty, including what an interrupted fill left. One cheap query
    when nothing is dirty. Run by the worker (adoption.tasks), never inside a request."""
    cells = set(RollupDirty.objects.values_list("period", "branch_id"))
    if cells:
        _refresh_cells(cells, marked=True)


def data_as_of():
    """The rollups include every change made before this moment (None: never filled).

    While some markers wait, that is the oldest marker's time: changes after it may be
    missing from the figures.
    """
    state = RollupState.objects.filter(name=STATE_NAME).first()
    waiting = RollupDirty.objects.aggregate(oldest=Min("marked_at"))["oldest"]
    if state is None or state.data_as_of is None:
        return None
    return min(state.data_as_of, waiting) if waiting else state.data_as_of


# The fill.


def refresh(periods=None, branch_ids=None, progress=None):
    """Rebuild the rollups of these periods and branches (None = all) from the raw rows.

    Meant for after the payments of those periods changed: the next period (whose
    back-to-cash count depends on them) and the periods where a customer's first non-cash
    month moved are refilled too. progress, if given, is called with (done, total) periods.
    """
    all_branches = list(Branch.objects.values_list("id", flat=True))
    branch_ids = all_branches if branch_ids is None else list(branch_ids)
    if periods is None:
        periods = covered_periods()
        full = set(branch_ids) == set(all_branches)
    else:
        periods = sorted({month_start(p) for p in periods})
        full = False
    cells = {(p, b) for p in periods for b in branch_ids}
    _refresh_cells(cells, progress=progress, full=full)


def _refresh_cells(cells, progress=None, full=False, marked=False):
    """Refill these (period, branch) cells; marked: they are the current dirty markers."""
    started = timezone.now()
    # Committed before the fill when not inside an outer transaction: if the fill dies, the
    # markers stay and the next ensure_fresh() (the worker's next job or sweep) redoes it.
    with transaction.atomic():
        if not marked:
            _mark_cells(cells)
        RollupState.objects.update_or_create(name=STATE_NAME, defaults={"started_at": started})
    with transaction.atomic():
        _tune_session()
        if marked:
            # A fill that held the lock meanwhile may have done them already.
            cells = set(cells) & set(RollupDirty.objects.values_list("period", "branch_id"))
        # Cleared first: a change committed while this fill runs waits on these rows and
        # leaves its own marker behind for the next fill.
        for period, branch_ids in _by_period(cells).items():
            RollupDirty.objects.filter(period=period, branch_id__in=branch_ids).delete()
        covered = covered_periods()
        last = covered[-1] if covered else None
        all_branches = set(Branch.objects.values_list("id", flat=True))
        # Months that just entered the covered range (or a gap without payments) are filled
        # for every branch; months that left it are emptied everywhere.
        present = set(CommuneMonth.objects.values_list("period", flat=True).distinct())
        cells = set(cells) | {(p, b) for p in set(covered) ^ present for b in all_branches}
        cells |= {(add_months(p, 1), b) for p, b in cells if last and p < last}
        if full:
            _rebuild_first_noncash()
        else:
            cells |= _update_first_noncash(cells, last)
        in_range = set(covered)
        by_period = _by_period(cells)
        for done, (period, branch_ids) in enumerate(sorted(by_period.items()), 1):
            branches = None if branch_ids >= all_branches else sorted(branch_ids)
            _fill_period(period, branches, with_rows=period in in_range)
            if progress:
                progress(done, len(by_period))
        RollupState.objects.filter(name=STATE_NAME).update(
            finished_at=timezone.now(), data_as_of=started
        )


def _tune_session():
    """On PostgreSQL, for this transaction: one fill at a time (two at once would each delete
    the rows the other is inserting, then collide on the unique constraints; SQLite serialises
    writers by itself), no JIT compilation (it costs more than these queries), no parallel
    workers (each would repeat the per-customer subqueries), and room to sort and hash a
    month of payments in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [FILL_LOCK])
            cur.execute("SET LOCAL jit = off")
            cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cur.execute("SET LOCAL work_mem = '64MB'")
            # A month's payments come out of the (period, customer) index in customer order:
            # summed per customer and merged with the customers in that order, the fill runs
            # in about half the time of the hash-join plans the planner picks by itself
            # (measured with bench/metrics.py and EXPLAIN ANALYZE).
            cur.execute("SET LOCAL enable_hashjoin = off")
            cur.execute("SET LOCAL enable_bitmapscan = off")


def _by_period(cells):
    by_period = defaultdict(set)
    for period, branch_id in cells:
        by_period[period].add(branch_id)
    return by_period


def _mark_cells(cells):
    for period, branch_ids in _by_period(cells).items():
        mark_dirty([period], branch_ids, schedule=False)


def _tables():
    return {
        # Reversed payments drop out of every count: the fill reads the counted ones only.
        "payment": f"(SELECT * FROM {Payment._meta.db_table} q WHERE {COUNTED_SQL.format(p='q')})",
        "channel": PaymentChannel._meta.db_table,
        "customer": Customer._meta.db_table,
        "placement": CustomerPlacement._meta.db_table,
        "territory": BranchTerritory._meta.db_table,
        "version": BranchVersion._meta.db_table,
        "branch": Branch._meta.db_table,
        "first": FirstNoncash._meta.db_table,
        "commune_month": CommuneMonth._meta.db_table,
        "branch_month": BranchMonth._meta.db_table,
        "channel_month": ChannelMonth._meta.db_table,
    }


# A payment p's channel classification c in force for its bill period.
IN_FORCE = (
    "{c}.channel_id = {p}.channel_id AND {c}.valid_from <= {p}.period"
    " AND ({c}.valid_to IS NULL OR {c}.valid_to >= {p}.period)"
)


def _classified(payment, alias, period=None):
    """'classification <alias> ON …': the classification in force for payment's bill period.

    Where the statement reads one period only, pass it: the dates are then written into the
    join as literals (a date the fill computed, never user input), so PostgreSQL looks each
    channel's classification up once (nested loop, memoized) and keeps the payments in
    customer order; compared with the payment's own period it sorts a month's payments by
    channel for a merge join instead, doubling the fill's time (bench/metrics.py).
    """
    table = ChannelClassification._meta.db_table
    if period is None:
        return f"{table} {alias} ON {IN_FORCE.format(c=alias, p=payment)}"
    day = f"'{month_start(period).isoformat()}'"
    return (
        f"{table} {alias} ON {alias}.channel_id = {payment}.channel_id"
        f" AND {alias}.valid_from <= {day}"
        f" AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= {day})"
    )


def _in(column, values):
    """An SQL 'column IN (...)' with placeholders, or always-true for values=None."""
    if values is None:
        return "1 = 1", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


@contextmanager
def _hash_joins():
    """Hash joins back on for the FirstNoncash statements (all of a customer's or of the
    period's payments against the classifications in force): without them PostgreSQL reads
    the payments channel by channel through an index, several times slower. The month fill
    that follows turns them off again (_tune_session)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET LOCAL enable_hashjoin = on")
    try:
        yield
    finally:
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_hashjoin = off")


def _rebuild_first_noncash():
    t = _tables()
    with _hash_joins(), connection.cursor() as cur:
        # Not TRUNCATE: it fails inside a transaction with deferred constraint checks pending.
        cur.execute(f"DELETE FROM {t['first']}")
        cur.execute(
            f"""
            INSERT INTO {t["first"]} (customer_id, period)
            SELECT p.customer_id, MIN(p.period)
            FROM {t["payment"]} p JOIN {_classified("p", "ch")}
            WHERE NOT ch.is_cash
            GROUP BY p.customer_id
            """
        )
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {t['first']}")


def _update_first_noncash(cells, last):
    """Bring FirstNoncash up to date for the customers these cells can have changed, and
    return the cells whose flow counts that makes stale.

    The stored first period F of a customer was right when last filled, and payments changed
    only in the periods being refilled. So a customer's first period moves only if (a) they
    have a non-cash payment in those periods earlier than F (or have no F): it becomes the
    earliest such; or (b) F is one of those periods and they no longer have a non-cash
    payment there or earlier: then all their payments are searched again.
    """
    t = _tables()
    periods = sorted({p for p, _ in cells})
    if not periods:
        return set()
    period_in, period_args = _in("p.period", periods)
    first_in, first_args = _in("f.period", periods)
    # Every customer, not only those now in these cells' branches: one who moved counted in
    # another branch in those periods. While FirstNoncash is in step with the payments of
    # other cells, the extra customers change nothing.
    with _hash_joins(), connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT c.id, c.branch_id, f.period, d.first_here
            FROM (
                SELECT p.customer_id, MIN(p.period) AS first_here
                FROM {t["payment"]} p JOIN {_classified("p", "ch")}
                WHERE {period_in} AND NOT ch.is_cash
                GROUP BY p.customer_id
            ) d
            LEFT JOIN {t["first"]} f ON f.customer_id = d.customer_id
            JOIN {t["customer"]} c ON c.id = d.customer_id
            WHERE f.period IS NULL OR f.period > d.first_here
            """,
            period_args,
        )
        earlier = cur.fetchall()
        cur.execute(
            f"""
            SELECT c.id, c.branch_id, f.period,
                   (SELECT MIN(q.period)
                    FROM {t["payment"]} q JOIN {_classified("q", "qc")}
                    WHERE q.customer_id = f.customer_id AND NOT qc.is_cash)
            FROM {t["first"]} f
            JOIN {t["customer"]} c ON c.id = f.customer_id
            WHERE {first_in}
              AND NOT EXISTS (
                  SELECT 1 FROM {t["payment"]} p JOIN {_classified("p", "ch")}
                  WHERE p.customer_id = f.customer_id AND {period_in}
                    AND p.period <= f.period AND NOT ch.is_cash)
            """,
            first_args + period_args,
        )
        searched = cur.fetchall()
    moved = [
        (cid, branch, _as_date(old), _as_date(new))
        for cid, branch, old, new in [*earlier, *searched]
        if _as_date(old) != _as_date(new)
    ]
    stale = set()
    branches = customer_branches([cid for cid, *_ in moved])
    for cid, _branch, old, new in moved:
        for first in (old, new):
            if first is not None:
                for period in (first, add_months(first, RETENTION_MONTHS)):
                    if last and period <= last:
                        stale |= {(period, b) for b in branches[cid]}
    gone = [cid for cid, _b, _o, new in moved if new is None]
    for start in range(0, len(gone), 500):
        FirstNoncash.objects.filter(customer_id__in=gone[start : start + 500]).delete()
    FirstNoncash.objects.bulk_create(
        [FirstNoncash(customer_id=cid, period=new) for cid, _b, _o, new in moved if new],
        update_conflicts=True,
        unique_fields=["customer"],
        update_fields=["period"],
        batch_size=500,
    )
    return stale


def _as_date(value):
    # SQLite hands dates back from raw SQL as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _fill_period(period, branch_ids, with_rows=True):
    """Delete and re-insert one period's rollups for these branches (None = all)."""
    t = _tables()
    branch_in, branch_args = _in("branch_id", branch_ids)
    c_branch_in, _ = _in(PERIOD_BRANCH, branch_ids)
    # All the month's payments are summed even for one branch: read in index order they cost
    # less than looking up that branch's customers' payments one by one.
    sql = {
        **t,
        "branch_in": c_branch_in,
        "classified": _classified("p", "ch", period),
        "classified_before": _classified("p", "ch", add_months(period, -1)),
        "placed": PLACED.format(**t),
        "period_branch": PERIOD_BRANCH,
        "period_commune": PERIOD_COMMUNE,
    }
    with connection.cursor() as cur:
        for table in (t["commune_month"], t["branch_month"], t["channel_month"]):
            cur.execute(
                f"DELETE FROM {table} WHERE period = %s AND {branch_in}", [period, *branch_args]
            )
        if not with_rows:
            return
        cur.execute(
            COMMUNE_MONTH_SQL.format(**sql),
            [*_commune_month_args(period), *branch_args],
        )
        cm_branch_in, _ = _in("cm.branch_id", branch_ids)
        cur.execute(BRANCH_MONTH_SQL.format(cm_branch_in=cm_branch_in, **t), [period, *branch_args])
        cur.execute(CHANNEL_MONTH_SQL.format(**sql), [period, period, *branch_args])


# Keyed "as it was": a customer counts in the commune of their placement in force for the
# period and in the branch serving that commune then (pl, tr). Without a placement (rows made
# before placements existed) the customer's current commune stands in; without a territory
# row, their current branch.
PLACED = """
LEFT JOIN {placement} pl ON pl.customer_id = c.id AND pl.valid_from <= x.period
     AND (pl.valid_to IS NULL OR pl.valid_to >= x.period)
LEFT JOIN {territory} tr ON tr.commune_id = COALESCE(pl.commune_id, c.commune_id)
     AND tr.valid_from <= x.period AND (tr.valid_to IS NULL OR tr.valid_to >= x.period)
"""
PERIOD_BRANCH = "COALESCE(tr.branch_id, c.branch_id)"
PERIOD_COMMUNE = "COALESCE(pl.commune_id, c.commune_id)"

# One row per (branch, commune, customer type) from one pass over the customers, joined to
# their payments for the period summed per customer (pay), whether they paid non-cash the
# period before (prev), and their first non-cash period if it is this one or six months back.
COMMUNE_MONTH_SQL = """
INSERT INTO {commune_month} (
    period, branch_id, commune_id, customer_type,
    active_customers, paying_customers, noncash_customers,
    payments, noncash_payments, amount, noncash_amount,
    new_noncash_customers, back_to_cash_customers, cohort_6m_customers, retained_6m_customers)
SELECT x.period, {period_branch}, {period_commune}, c.customer_type,
    SUM(CASE WHEN c.connected_on <= x.last_day
              AND (c.disconnected_on IS NULL OR c.disconnected_on >= x.period)
             THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.customer_id IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.noncash_payments > 0 THEN 1 ELSE 0 END),
    COALESCE(SUM(pay.payments), 0),
    COALESCE(SUM(pay.noncash_payments), 0),
    COALESCE(SUM(pay.amount), 0),
    COALESCE(SUM(pay.noncash_amount), 0),
    SUM(CASE WHEN f.period = x.period THEN 1 ELSE 0 END),
    SUM(CASE WHEN pay.noncash_payments = 0 AND prev.customer_id IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN f.period = x.cohort THEN 1 ELSE 0 END),
    SUM(CASE WHEN f.period = x.cohort AND pay.noncash_payments > 0 THEN 1 ELSE 0 END)
FROM (SELECT %s AS period, %s AS last_day, %s AS cohort) x
CROSS JOIN {customer} c
{placed}
LEFT JOIN (
    SELECT p.customer_id,
           COUNT(*) AS payments,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE 1 END) AS noncash_payments,
           SUM(p.amount) AS amount,
           SUM(CASE WHEN ch.is_cash THEN 0 ELSE p.amount END) AS noncash_amount
    FROM {payment} p JOIN {classified}
    WHERE p.period = %s
    GROUP BY p.customer_id
) pay ON pay.customer_id = c.id
LEFT JOIN (
    SELECT DISTINCT p.customer_id
    FROM {payment} p JOIN {classified_before}
    WHERE p.period = %s AND NOT ch.is_cash
) prev ON prev.customer_id = c.id
LEFT JOIN {first} f ON f.customer_id = c.id AND f.period IN (%s, %s)
WHERE {branch_in}
  AND ((c.connected_on <= x.last_day
        AND (c.disconnected_on IS NULL OR c.disconnected_on >= x.period))
       OR pay.customer_id IS NOT NULL OR f.customer_id IS NOT NULL)
GROUP BY x.period, {period_branch}, {period_commune}, c.customer_type
"""


def _commune_month_args(period):
    previous = add_months(period, -1)
    cohort = add_months(period, -RETENTION_MONTHS)
    return [
        *(period, month_end(period), cohort),
        *(period, previous),
        *(period, cohort),
    ]


SUMMED_COUNTS = ", ".join(f"SUM({f})" for f in COUNT_FIELDS)

# The branch's company is the one of its version in force for the period.
BRANCH_MONTH_SQL = f"""
INSERT INTO {{branch_month}} (
    period, branch_id, company_id, customer_type, {", ".join(COUNT_FIELDS)})
SELECT cm.period, cm.branch_id, COALESCE(MIN(v.company_id), MIN(b.company_id)),
    cm.customer_type, {SUMMED_COUNTS}
FROM {{commune_month}} cm
JOIN {{branch}} b ON b.id = cm.branch_id
LEFT JOIN {{version}} v ON v.branch_id = cm.branch_id AND v.valid_from <= cm.period
     AND (v.valid_to IS NULL OR v.valid_to >= cm.period)
WHERE cm.period = %s AND {{cm_branch_in}}
GROUP BY cm.period, cm.branch_id, cm.customer_type
"""

# Per customer and channel first, so customers are counted without a DISTINCT sort; the kind
# is the channel's in force for the period.
CHANNEL_MONTH_SQL = """
INSERT INTO {channel_month} (
    period, branch_id, channel_id, kind, customer_type, payments, amount, customers)
SELECT x.period, {period_branch}, p.channel_id, ch.kind, c.customer_type,
    SUM(p.payments), SUM(p.amount), COUNT(*)
FROM (
    SELECT p.period, p.customer_id, p.channel_id, COUNT(*) AS payments, SUM(p.amount) AS amount
    FROM {payment} p
    WHERE p.period = %s
    GROUP BY p.period, p.customer_id, p.channel_id
) p
CROSS JOIN (SELECT %s AS period) x
JOIN {customer} c ON c.id = p.customer_id
JOIN {classified}
{placed}
WHERE {branch_in}
GROUP BY x.period, {period_branch}, p.channel_id, ch.kind, c.customer_type
"""
