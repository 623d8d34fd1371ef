"""FirstNoncash: each customer's first bill period with a non-cash payment.

The new-customer and 6-month cohort counts of the month fill read it. A full rebuild writes it
from every payment; a partial fill brings up to date only the customers the refilled periods
can have moved, and returns the cells their move makes stale.
"""

from django.db import connection

from ..models import Branch, FirstNoncash
from ..months import add_months
from . import fill_sql
from .definitions import RETENTION_MONTHS
from .dirty import customer_branches
from .fill import as_date, classified, hash_joins, sql_in, tables


def rebuild():
    t = tables()
    with hash_joins(), connection.cursor() as cur:
        # Not TRUNCATE: it fails inside a transaction with deferred constraint checks pending.
        cur.execute(f"DELETE FROM {t['first']}")
        cur.execute(
            f"""
            INSERT INTO {t["first"]} (customer_id, period)
            SELECT p.customer_id, MIN(p.period)
            FROM {t["payment"]} p JOIN {classified("p", "ch")}
            WHERE {paid("p")} AND NOT ch.is_cash
            GROUP BY p.customer_id
            """
        )
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {t['first']}")


def update(cells, last):
    """Bring FirstNoncash up to date for the customers these cells can have changed, and
    return the cells whose flow counts that makes stale.

    The stored first period F of a customer was right when last filled, and payments changed
    only in the periods being refilled. So a customer's first period moves only if (a) they
    have a non-cash payment in those periods earlier than F (or have no F): it becomes the
    earliest such; or (b) F is one of those periods and they no longer have a non-cash
    payment there or earlier: then all their payments are searched again.

    Only the customers who can count in the cells' branches are read (all of them when the
    cells span every branch): a change to a customer's payments for a period marks the
    branch they counted in then, so the others' F is still right.
    """
    periods = sorted({p for p, _ in cells})
    if not periods:
        return set()
    moved = _moved(periods, {b for _, b in cells})
    stale = _stale(moved, last)
    _store(moved)
    return stale


def _moved(periods, cell_branches):
    """(customer, branch, old first period, new one) of the customers whose first period
    moved: (a) and (b) of update(), one query each."""
    t = tables()
    period_in, period_args = sql_in("p.period", periods)
    first_in, first_args = sql_in("f.period", periods)
    scope_p, scope_args = _customers_of("p.customer_id", cell_branches)
    scope_f, _ = _customers_of("f.customer_id", cell_branches)
    with hash_joins(), connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT c.id, c.branch_id, f.period, d.first_here
            FROM (
                SELECT p.customer_id, MIN(p.period) AS first_here
                FROM {t["payment"]} p JOIN {classified("p", "ch")}
                WHERE {period_in} AND {paid("p")} AND NOT ch.is_cash
                  AND {scope_p}
                GROUP BY p.customer_id
            ) d
            LEFT JOIN {t["first"]} f ON f.customer_id = d.customer_id
            JOIN {t["customer"]} c ON c.id = d.customer_id
            WHERE f.period IS NULL OR f.period > d.first_here
            """,
            period_args + scope_args,
        )
        earlier = cur.fetchall()
        cur.execute(
            f"""
            SELECT c.id, c.branch_id, f.period,
                   (SELECT MIN(q.period)
                    FROM {t["payment"]} q JOIN {classified("q", "qc")}
                    WHERE q.customer_id = f.customer_id AND {paid("q")} AND NOT qc.is_cash)
            FROM {t["first"]} f
            JOIN {t["customer"]} c ON c.id = f.customer_id
            WHERE {first_in} AND {scope_f}
              AND NOT EXISTS (
                  SELECT 1 FROM {t["payment"]} p JOIN {classified("p", "ch")}
                  WHERE p.customer_id = f.customer_id AND {period_in} AND {paid("p")}
                    AND p.period <= f.period AND NOT ch.is_cash)
            """,
            first_args + scope_args + period_args,
        )
        searched = cur.fetchall()
    return [
        (cid, branch, as_date(old), as_date(new))
        for cid, branch, old, new in [*earlier, *searched]
        if as_date(old) != as_date(new)
    ]


def _stale(moved, last):
    """The cells (up to `last`) whose new-customer or cohort counts these moves change, in
    every branch the customers can have counted in."""
    stale = set()
    branches = customer_branches([cid for cid, *_ in moved])
    for cid, _branch, old, new in moved:
        for first in (old, new):
            if first is not None:
                for period in (first, add_months(first, RETENTION_MONTHS)):
                    if last and period <= last:
                        stale |= {(period, b) for b in branches[cid]}
    return stale


def _store(moved):
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


def paid(alias):
    return fill_sql.PAID.format(p=alias)


def _customers_of(column, branch_ids):
    """('column IN (…)', args): the customers who can count in these branches
    (fill_sql.CUSTOMERS_OF_BRANCHES); always true when they are every branch."""
    if set(branch_ids) >= set(Branch.objects.values_list("pk", flat=True)):
        return "1 = 1", []
    c_in, ids = sql_in("c.branch_id", sorted(branch_ids))
    tr_in, _ = sql_in("tr.branch_id", sorted(branch_ids))
    sql = fill_sql.CUSTOMERS_OF_BRANCHES.format(c_branch_in=c_in, tr_branch_in=tr_in, **tables())
    return f"{column} IN ({sql})", [*ids, *ids, *ids]
