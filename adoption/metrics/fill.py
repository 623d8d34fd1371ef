"""The month fill: delete and re-insert one period's rollups, set-based, in SQL.

adoption.metrics.freshness decides which (period, branch) cells to fill and calls
fill_period for each month; the statements themselves are in adoption.metrics.fill_sql.
"""

from contextlib import contextmanager
from datetime import date

from django.db import connection

from ..models import (
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
)
from ..months import add_months, month_end, month_start
from . import fill_sql
from .definitions import RETENTION_MONTHS

# PostgreSQL advisory lock key held by a running fill (an arbitrary constant).
FILL_LOCK = 4_170_205


def tune_session():
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


def tables():
    return {
        "payment": Payment._meta.db_table,
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


def classified(payment, alias, period=None):
    """'classification <alias> ON …': the classification in force for payment's bill period.

    Where the statement reads one period only, pass it: the dates are then written into the
    join as literals (a date the fill computed, never user input), so PostgreSQL looks each
    channel's classification up once (nested loop, memoized) and keeps the payments in
    customer order; compared with the payment's own period it sorts a month's payments by
    channel for a merge join instead, doubling the fill's time (bench/metrics.py).
    """
    table = ChannelClassification._meta.db_table
    if period is None:
        return f"{table} {alias} ON {fill_sql.IN_FORCE.format(c=alias, p=payment)}"
    day = f"'{month_start(period).isoformat()}'"
    return (
        f"{table} {alias} ON {alias}.channel_id = {payment}.channel_id"
        f" AND {alias}.valid_from <= {day}"
        f" AND ({alias}.valid_to IS NULL OR {alias}.valid_to >= {day})"
    )


def sql_in(column, values):
    """An SQL 'column IN (...)' with placeholders, or always-true for values=None."""
    if values is None:
        return "1 = 1", []
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


@contextmanager
def hash_joins():
    """Hash joins back on for the FirstNoncash statements (all of a customer's or of the
    period's payments against the classifications in force): without them PostgreSQL reads
    the payments channel by channel through an index, several times slower. The month fill
    that follows turns them off again (tune_session)."""
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


def as_date(value):
    # SQLite hands dates back from raw SQL as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def fill_period(period, branch_ids, with_rows=True):
    """Delete and re-insert one period's rollups for these branches (None = all).

    Runs inside the fill's transaction (freshness._refresh_cells, after tune_session): the
    month's placement table lives until that transaction ends."""
    t = tables()
    branch_in, branch_args = sql_in("branch_id", branch_ids)
    with connection.cursor() as cur:
        for table in (t["commune_month"], t["branch_month"], t["channel_month"]):
            cur.execute(
                f"DELETE FROM {table} WHERE period = %s AND {branch_in}", [period, *branch_args]
            )
        if not with_rows:
            return
        _place(cur, period, branch_ids)
        # One branch's fill reads its customers' payments through the (customer, period)
        # index; a fill of every branch reads the month's in index order, cheaper then.
        in_place = "" if branch_ids is None else fill_sql.ONLY_PLACED
        sql = {
            **t,
            "place": fill_sql.PLACE_TABLE,
            "paid": fill_sql.PAID.format(p="p"),
            "in_place": in_place,
            "classified": classified("p", "ch", period),
            "classified_before": classified("p", "ch", add_months(period, -1)),
        }
        previous, cohort = add_months(period, -1), add_months(period, -RETENTION_MONTHS)
        cur.execute(
            fill_sql.COMMUNE_MONTH_SQL.format(**sql),
            [period, cohort, period, previous, period, cohort],
        )
        cm_branch_in, _ = sql_in("cm.branch_id", branch_ids)
        cur.execute(
            fill_sql.BRANCH_MONTH_SQL.format(cm_branch_in=cm_branch_in, **t), [period, *branch_args]
        )
        cur.execute(fill_sql.CHANNEL_MONTH_SQL.format(**sql), [period, period])


def _place(cur, period, branch_ids):
    """(Re)write the month's placement table (fill_sql.PLACE_SQL) for these branches."""
    t = tables()
    place = fill_sql.PLACE_TABLE
    # Qualified by the temporary schema, so that a table of that name elsewhere is never hit.
    temporary = "pg_temp" if connection.vendor == "postgresql" else "temp"
    cur.execute(f"DROP TABLE IF EXISTS {temporary}.{place}")
    if branch_ids is None:
        candidates, candidate_args = "1 = 1", []
    else:
        t2_in, ids = sql_in("t2.branch_id", branch_ids)
        t3_in, _ = sql_in("t3.branch_id", branch_ids)
        c3_in, _ = sql_in("c3.branch_id", branch_ids)
        placed_in, _ = sql_in("COALESCE(tr.branch_id, c.branch_id)", branch_ids)
        candidates = fill_sql.CANDIDATES.format(
            t2_branch_in=t2_in,
            t3_branch_in=t3_in,
            c3_branch_in=c3_in,
            placed_branch_in=placed_in,
            **t,
        )
        candidate_args = [
            *(period, period, *ids, period, period),
            *(*ids, *ids, period, period),
            *ids,
        ]
    # Dropped with the fill's transaction on PostgreSQL; SQLite has no ON COMMIT, and the
    # next fill on the connection drops it first.
    on_commit = "ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    create = fill_sql.PLACE_SQL.format(place=place, on_commit=on_commit, candidates=candidates, **t)
    cur.execute(create, [month_end(period), period, *[period] * 4, *candidate_args])
