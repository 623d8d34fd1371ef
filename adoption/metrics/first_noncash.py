"""FirstNoncash: each customer's first bill period with a non-cash payment.

The new-customer and 6-month cohort counts of the month fill read it. A full rebuild writes it
from every payment; a partial fill brings up to date only the customers the refilled periods
can have moved, and returns the cells their move makes stale.
"""

from django.db import connection

from ..models import FirstNoncash
from ..months import add_months
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
            WHERE NOT ch.is_cash
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
    """
    t = tables()
    periods = sorted({p for p, _ in cells})
    if not periods:
        return set()
    period_in, period_args = sql_in("p.period", periods)
    first_in, first_args = sql_in("f.period", periods)
    # Every customer, not only those now in these cells' branches: one who moved counted in
    # another branch in those periods. While FirstNoncash is in step with the payments of
    # other cells, the extra customers change nothing.
    with hash_joins(), connection.cursor() as cur:
        cur.execute(
            f"""
            SELECT c.id, c.branch_id, f.period, d.first_here
            FROM (
                SELECT p.customer_id, MIN(p.period) AS first_here
                FROM {t["payment"]} p JOIN {classified("p", "ch")}
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
                    FROM {t["payment"]} q JOIN {classified("q", "qc")}
                    WHERE q.customer_id = f.customer_id AND NOT qc.is_cash)
            FROM {t["first"]} f
            JOIN {t["customer"]} c ON c.id = f.customer_id
            WHERE {first_in}
              AND NOT EXISTS (
                  SELECT 1 FROM {t["payment"]} p JOIN {classified("p", "ch")}
                  WHERE p.customer_id = f.customer_id AND {period_in}
                    AND p.period <= f.period AND NOT ch.is_cash)
            """,
            first_args + period_args,
        )
        searched = cur.fetchall()
    moved = [
        (cid, branch, as_date(old), as_date(new))
        for cid, branch, old, new in [*earlier, *searched]
        if as_date(old) != as_date(new)
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
