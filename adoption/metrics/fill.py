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
    """Delete and re-insert one period's rollups for these branches (None = all)."""
    t = tables()
    branch_in, branch_args = sql_in("branch_id", branch_ids)
    c_branch_in, _ = sql_in(fill_sql.PERIOD_BRANCH, branch_ids)
    # All the month's payments are summed even for one branch: read in index order they cost
    # less than looking up that branch's customers' payments one by one.
    sql = {
        **t,
        "branch_in": c_branch_in,
        "classified": classified("p", "ch", period),
        "classified_before": classified("p", "ch", add_months(period, -1)),
        "placed": fill_sql.PLACED.format(**t),
        "period_branch": fill_sql.PERIOD_BRANCH,
        "period_commune": fill_sql.PERIOD_COMMUNE,
    }
    with connection.cursor() as cur:
        for table in (t["commune_month"], t["branch_month"], t["channel_month"]):
            cur.execute(
                f"DELETE FROM {table} WHERE period = %s AND {branch_in}", [period, *branch_args]
            )
        if not with_rows:
            return
        cur.execute(
            fill_sql.COMMUNE_MONTH_SQL.format(**sql),
            [*_commune_month_args(period), *branch_args],
        )
        cm_branch_in, _ = sql_in("cm.branch_id", branch_ids)
        cur.execute(
            fill_sql.BRANCH_MONTH_SQL.format(cm_branch_in=cm_branch_in, **t), [period, *branch_args]
        )
        cur.execute(fill_sql.CHANNEL_MONTH_SQL.format(**sql), [period, period, *branch_args])


def _commune_month_args(period):
    previous = add_months(period, -1)
    cohort = add_months(period, -RETENTION_MONTHS)
    return [
        *(period, month_end(period), cohort),
        *(period, previous),
        *(period, cohort),
    ]
