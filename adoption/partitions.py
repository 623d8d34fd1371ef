"""Payments partitioned by bill period on PostgreSQL: one partition per month.

`adoption_payment` is `PARTITION BY RANGE (period)` (migration 0011_partition_payments), with
one partition per month named adoption_payment_pYYYYMM and a DEFAULT partition that catches a
month nobody created yet (a payment keyed in by hand for an old month), so no write ever fails
for want of a partition. `python manage.py create_payment_partitions` creates the coming
months ahead (docs/operations.md); an import creates the months it needs itself.

A month with no rows yet is imported into a bare table (no index, no foreign key: the rows go
in at COPY speed), which `attach()` then makes a partition: PostgreSQL builds its indexes in
one sort each and checks its foreign keys in one join, instead of row by row. Its CHECK on the
period range lets ATTACH skip scanning it.

SQLite keeps one table: none of this runs there (the callers ask `partitioned()` first).
"""

from datetime import date

from django.db import connection

from .months import add_months

TABLE = "adoption_payment"
DEFAULT_PARTITION = f"{TABLE}_default"


def name(month):
    return f"{TABLE}_p{month:%Y%m}"


def partitioned(cursor):
    if connection.vendor != "postgresql":
        return False
    cursor.execute("SELECT relkind = 'p' FROM pg_class WHERE oid = %s::regclass", [TABLE])
    return cursor.fetchone()[0]


def existing(cursor):
    """{month: partition name} of the monthly partitions attached now."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = %s::regclass",
        [TABLE],
    )
    months = {}
    for (relname,) in cursor.fetchall():
        suffix = relname.removeprefix(f"{TABLE}_p")
        if suffix.isdigit() and len(suffix) == 6:
            months[date(int(suffix[:4]), int(suffix[4:]), 1)] = relname
    return months


def has_rows(cursor, month):
    """Whether any payment of `month` exists, in its partition or in the default one."""
    cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {TABLE} WHERE period = %s)", [month])
    return cursor.fetchone()[0]


def _bare_table(cursor, month):
    """A table shaped like a partition of `month`, with no index and no foreign key."""
    table = name(month)
    cursor.execute(f"CREATE TABLE {table} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    # Lets ATTACH PARTITION see that every row fits without reading them.
    cursor.execute(
        f"ALTER TABLE {table} ADD CONSTRAINT {table}_period_range "
        f"CHECK (period >= %s AND period < %s)",
        [month, add_months(month, 1)],
    )
    return table


def attach(cursor, month):
    """Make the bare table of `month` a partition: indexes built, foreign keys checked."""
    cursor.execute(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {name(month)} FOR VALUES FROM (%s) TO (%s)",
        [month, add_months(month, 1)],
    )


def bare_for_import(cursor, month):
    """A bare table for an import into a month with no rows; None if the month has rows."""
    if has_rows(cursor, month):
        return None
    if month in existing(cursor):
        # Empty (checked above): a bare table loads faster than an indexed partition.
        cursor.execute(f"DROP TABLE {name(month)}")
    return _bare_table(cursor, month)


def create(cursor, month):
    """Create the partition of `month` unless it exists; rows of that month waiting in the
    default partition move into it. Returns whether it was created."""
    if month in existing(cursor):
        return False
    table = _bare_table(cursor, month)
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE period >= %s AND period < %s "
        f"RETURNING *) INSERT INTO {table} SELECT * FROM moved",
        [month, add_months(month, 1)],
    )
    attach(cursor, month)
    return True


def create_ahead(cursor, first, months):
    """Create the partitions of `months` months from `first`; returns the months created."""
    created, month = [], first
    for _ in range(months):
        if create(cursor, month):
            created.append(month)
        month = add_months(month, 1)
    return created
