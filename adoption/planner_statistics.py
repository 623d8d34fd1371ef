"""Fresh planner statistics after a bulk change.

Every rollup fill joins customers, their placements and their payments. After a load or a
reform that grew or rewrote one of those tables, PostgreSQL would otherwise plan the fill
that follows on the statistics of the table as it was: on stale ones it picked plans that
made a one-branch refill 40 times slower (issue 14's measurements).
"""

from django.db import connection


def analyze(*models):
    """ANALYZE these models' tables on PostgreSQL, in the caller's transaction (it counts the
    rows that transaction wrote). SQLite plans these statements well enough without."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
