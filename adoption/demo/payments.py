"""Monthly payments of the demo customers, written in bulk.

At scale 1 this is about 2 million rows a year, so rows are generated in chunks and written with
PostgreSQL's COPY (psycopg2 `copy_expert`) or, elsewhere, one `executemany` per chunk. The
Django ORM is bypassed for this table only: the rows are built from rows it just wrote.
"""

import bisect
import io
from contextlib import contextmanager, nullcontext
from datetime import timedelta
from itertools import accumulate, islice

from django.db import connection

from ..models import Payment, PaymentReference
from .scenario import (
    CHANNELS,
    CITY,
    HIGHLAND,
    LOWLAND,
    OTHER_CHANNEL_SHARE,
    SEASON,
    month_index,
    period,
)

COLUMNS = ("customer_id", "period", "amount", "channel_id", "paid_at", "reference")
COLUMNS += ("import_batch_id",)
CHUNK_CUSTOMERS = 2_000
TERRAIN_COLUMN = {CITY: 0, LOWLAND: 1, HIGHLAND: 2}
# Bills are paid from the 15th of their month to the 7th of the next, 07:00-19:59 local
# time, which is 00:00-12:59 UTC on the same date.
PAY_DAYS, PAY_MINUTES = 24, 13 * 60


class ChannelChooser:
    """Which non-cash channel a customer picks in a month, by terrain and what exists then:
    never a channel before its contract start."""

    def __init__(self, channel_ids, months):
        self.ids, self.months = channel_ids, months
        self.tables = {}
        for terrain, column in TERRAIN_COLUMN.items():
            for t in range(months):
                plans = [
                    (c, c.weights_on(period(t))[column])
                    for c in CHANNELS
                    if not c.is_cash and month_index(c.contract_start) <= t
                ]
                plans = [(c, w) for c, w in plans if w]
                cumulative = list(accumulate(w for _, w in plans))
                self.tables[terrain, t] = (
                    [w / cumulative[-1] for w in cumulative],
                    [channel_ids[c.code] for c, _ in plans],
                )

    def pick(self, terrain, t, draw):
        cumulative, ids = self.tables[terrain, t]
        return ids[min(bisect.bisect_right(cumulative, draw), len(ids) - 1)]


def assign_channels(profiles, chooser):
    """Each customer's usual non-cash channel: one that existed when they first used it."""
    for p in profiles:
        starts = [m for m in (p.adopt, p.trial and p.trial[0]) if m is not None]
        last = chooser.months - 1
        first = min(starts) if starts else last
        p.noncash_channel = chooser.pick(p.branch.terrain, min(first, last), p.channel_draw)
        p.cash_channel = chooser.ids[p.cash_channel]


def _calendar(count):
    periods, months, days = [], [], []
    for t in range(count):
        start = period(t)
        periods.append(start.isoformat())
        months.append(f"{start:%Y%m}")
        first_day = start + timedelta(days=14)
        days.append([(first_day + timedelta(days=d)).isoformat() for d in range(PAY_DAYS)])
    return periods, months, days


def payment_rows(profiles, chooser, rng, batch_id, utc_suffix=""):
    """(customer_id, period, amount, channel_id, paid_at, reference, import_batch_id) rows."""
    periods, months, days = _calendar(chooser.months)
    # Bills grow about 4% a year as households buy appliances.
    level = [SEASON[t % 12] * (1 + 0.04 * t / 12) for t in range(chooser.months)]
    random = rng.random
    for p in profiles:
        terrain, customer_id, code = p.branch.terrain, p.id, p.code
        usual, cash, bill = p.noncash_channel, p.cash_channel, p.bill
        for t in range(p.first, p.last + 1):
            if t == p.unpaid:
                continue
            if p.noncash(t):
                draw = random()
                if draw < OTHER_CHANNEL_SHARE:
                    channel = chooser.pick(terrain, t, draw / OTHER_CHANNEL_SHARE)
                else:
                    channel = usual
            else:
                channel = cash
            amount = int(bill * level[t] * (0.8 + 0.4 * random()))
            day, minute = divmod(int(random() * PAY_DAYS * PAY_MINUTES), PAY_MINUTES)
            hour, minute = divmod(minute, 60)
            yield (
                customer_id,
                periods[t],
                amount,
                channel,
                f"{days[t][day]} {hour:02d}:{minute:02d}:00{utc_suffix}",
                f"{code}-{months[t]}",
                batch_id,
            )


def _chunks(profiles, size=CHUNK_CUSTOMERS):
    it = iter(profiles)
    while chunk := list(islice(it, size)):
        yield chunk


@contextmanager
def _checked_after_load(cursor, table):
    """Drop the table's foreign keys, unique constraints and secondary indexes, and restore
    them, with the same names and definitions, once the rows are in.

    PostgreSQL's own advice for populating a database: checking and indexing millions of rows
    at once is many times faster than row by row (Django's deferred foreign keys would queue
    one check per row until COMMIT). All within the seed's transaction, so nothing is lost if
    a row fails a check; the primary key stays.
    """
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype IN ('f', 'u') ORDER BY conname",
        [table],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
        "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass) ORDER BY indexname",
        [table, table],
    )
    indexes = cursor.fetchall()
    quoted = connection.ops.quote_name(table)
    # A table with checks still queued cannot be altered: run the queued ones now.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, _ in constraints:
        cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {connection.ops.quote_name(name)}")
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for _, definition in indexes:
        cursor.execute(definition)
    for name, definition in constraints:
        cursor.execute(
            f"ALTER TABLE {quoted} ADD CONSTRAINT {connection.ops.quote_name(name)} {definition}"
        )
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def write_payments(profiles, chooser, rng, batch_id, fast=True):
    """Write every profile's payments and their references; returns the number of rows.

    fast=False takes the generic executemany path on PostgreSQL too (the benchmark's baseline).
    """
    written = _write_payment_rows(profiles, chooser, rng, batch_id, fast)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {PaymentReference._meta.db_table} (channel_id, reference, period) "
            f"SELECT channel_id, reference, period FROM {Payment._meta.db_table} "
            "WHERE import_batch_id = %s",
            [batch_id],
        )
    return written


def _write_payment_rows(profiles, chooser, rng, batch_id, fast):
    table = Payment._meta.db_table
    columns = ", ".join(COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if fast and connection.vendor == "postgresql" and hasattr(raw, "copy_expert"):
            with _checked_after_load(cursor, table):
                _copy(raw, f"COPY {table} ({columns}) FROM STDIN", profiles, chooser, rng, batch_id)
            return Payment.objects.filter(import_batch_id=batch_id).count()
        placeholders = ", ".join(["%s"] * len(COLUMNS))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"
        written = 0
        indexed = _indexed_after_load(cursor, table) if fast else nullcontext()
        with indexed:
            for chunk in _chunks(profiles):
                rows = list(payment_rows(chunk, chooser, rng, batch_id))
                cursor.executemany(sql, rows)
                written += len(rows)
        return written


@contextmanager
def _indexed_after_load(cursor, table):
    """On SQLite, drop the table's secondary indexes and build them again once the rows are
    in: one sort per index instead of one B-tree insert per row and index. Constraints stay
    (SQLite cannot drop them), so every row is still checked as it goes in."""
    if connection.vendor != "sqlite":
        yield
        return
    cursor.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
        "AND sql IS NOT NULL ORDER BY name",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    for _, definition in indexes:
        cursor.execute(definition)


def _copy(raw_cursor, sql, profiles, chooser, rng, batch_id):
    """COPY the rows a chunk of customers at a time, so memory stays bounded."""
    for chunk in _chunks(profiles):
        buffer = io.StringIO()
        for row in payment_rows(chunk, chooser, rng, batch_id, utc_suffix="+00"):
            buffer.write("\t".join(map(str, row)))
            buffer.write("\n")
        buffer.seek(0)
        raw_cursor.copy_expert(sql, buffer)
