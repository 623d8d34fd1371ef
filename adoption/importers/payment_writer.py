"""Payments: writing the checked rows in bulk (PaymentImport's start, write and finish).

Each chunk of checked rows goes into a temporary staging table (PostgreSQL: COPY, in a second
thread, see pipeline.py, so the database inserts a chunk while Python checks the next; SQLite:
executemany). The same SQL then moves it in on both: an anti-join drops the rows whose
(channel, reference) PaymentReference already holds, and the rest go into the payments and
the references. So a payment already present is skipped, and importing a file twice adds
nothing the second time.

PostgreSQL, partitioned payments (adoption.partitions): a month with no rows yet is loaded
into a bare table and attached as its partition at the end (indexes built once, keys checked
in one pass); a month with rows goes through the partitioned table.
"""

import csv
import io
from datetime import datetime

from django.db import DEFAULT_DB_ALIAS, connection, connections

from .. import partitions
from ..models import Payment, PaymentReference
from .pipeline import BackgroundWriter

STAGING = "import_payment_staging"
PAYMENTS = Payment._meta.db_table
REFERENCES = PaymentReference._meta.db_table
STAGED_COLUMNS = "customer_id, period, amount, channel_id, paid_at, reference"


class PaymentWriting:
    """The writing hooks of PaymentImport (adoption.importers.base.Importer): records are
    (customer id, period, amount, channel id, paid_at as ISO text, reference, branch id)."""

    use_copy = False
    writer = None

    def start(self, batch, mode):
        super().start(batch, mode)
        self.use_copy = connection.vendor == "postgresql"
        self.bare = {}  # month -> bare table this import loads (PostgreSQL, a month with no rows)
        self.staged_months = set()  # months whose rows go through the partitioned table
        self.written = 0
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMPORARY TABLE {STAGING} (customer_id bigint, period date, "
                "amount bigint, channel_id bigint, paid_at timestamptz, reference varchar(64))"
                + (" ON COMMIT DROP" if self.use_copy else "")
            )
            self.partitioned = partitions.partitioned(cursor)
            if self.partitioned:
                cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [PAYMENTS])
                self.id_sequence = cursor.fetchone()[0]
        if self.use_copy:
            self.writer = BackgroundWriter(connections[DEFAULT_DB_ALIAS], self._copy_chunk)

    def write(self, records):
        # A repeat within the chunk is left out here, so the first row of a reference is the
        # one written; repeats across chunks, and references already imported, are skipped by
        # the anti-join on PaymentReference. The importer reports them all at the end.
        chunk_keys = set()
        records = [
            r
            for r in records
            if (r[3], r[5]) not in chunk_keys and not chunk_keys.add((r[3], r[5]))
        ]
        if self.use_copy:
            buffer = io.StringIO()
            csv.writer(buffer).writerows(
                (customer, period.isoformat(), amount, channel, paid_at, reference)
                for customer, period, amount, channel, paid_at, reference, _branch in records
            )
            buffer.seek(0)
            self.writer.submit(buffer)
            return
        ops = connection.ops
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {STAGING} ({STAGED_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (
                        customer,
                        ops.adapt_datefield_value(period),
                        amount,
                        channel,
                        ops.adapt_datetimefield_value(datetime.fromisoformat(paid_at)),
                        reference,
                    )
                    for customer, period, amount, channel, paid_at, reference, _b in records
                ],
            )
            self.written += self._move_in(cursor)

    def _copy_chunk(self, cursor, buffer):
        """In the writer thread: stage one chunk, move it in; return how many rows were new."""
        cursor.copy_expert(
            f"COPY {STAGING} ({STAGED_COLUMNS}) FROM STDIN WITH (FORMAT csv)", buffer
        )
        if self.partitioned:
            self._choose_targets(cursor)
        return self._move_in(cursor)

    def _choose_targets(self, cursor):
        """A month seen for the first time is loaded into a bare table if it has no rows."""
        cursor.execute(f"SELECT DISTINCT period FROM {STAGING}")
        for (month,) in cursor.fetchall():
            if month in self.bare or month in self.staged_months:
                continue
            table = partitions.bare_for_import(cursor, month)
            if table is None:
                self.staged_months.add(month)
            else:
                self.bare[month] = table

    def _move_in(self, cursor):
        """Staged rows whose (channel, reference) is new go into the payments and the
        references: one set-based anti-join, one insert per target, in key order. A dry run
        inserts too (its transaction is rolled back), so later chunks see earlier ones."""
        cursor.execute(
            f"DELETE FROM {STAGING} WHERE EXISTS (SELECT 1 FROM {REFERENCES} r "
            f"WHERE r.channel_id = {STAGING}.channel_id AND r.reference = {STAGING}.reference)"
        )
        written = 0
        months = sorted(self.bare)
        for month in months:
            cursor.execute(
                f"INSERT INTO {self.bare[month]} (id, {STAGED_COLUMNS}, import_batch_id) "
                f"SELECT nextval(%s), {STAGED_COLUMNS}, %s FROM {STAGING} WHERE period = %s",
                [self.id_sequence, self.batch.pk, month],
            )
            written += cursor.rowcount
        others = f"WHERE period NOT IN ({', '.join(['%s'] * len(months))})" if months else ""
        cursor.execute(
            f"INSERT INTO {PAYMENTS} ({STAGED_COLUMNS}, import_batch_id) "
            f"SELECT {STAGED_COLUMNS}, %s FROM {STAGING} {others}",
            [self.batch.pk, *months],
        )
        written += cursor.rowcount
        cursor.execute(
            f"INSERT INTO {REFERENCES} (channel_id, reference, period) "
            f"SELECT channel_id, reference, period FROM {STAGING} ORDER BY channel_id, reference"
        )
        cursor.execute(f"DELETE FROM {STAGING}" if not self.use_copy else f"TRUNCATE {STAGING}")
        return written

    def finish(self):
        """Wait for the last rows, attach the months loaded bare; return how many rows were
        new (would be, for a dry run)."""
        written = self.writer.stop() if self.use_copy else self.written
        with connection.cursor() as cursor:
            for month in sorted(self.bare):
                partitions.attach(cursor, month)
            # ON COMMIT DROP is not enough when the import runs inside an outer transaction.
            cursor.execute(f"DROP TABLE {STAGING}")
        return written

    def stop(self):
        """Whatever happened, leave no writer thread behind (nor, in super(), the spool)."""
        if self.writer is not None:
            self.writer.stop(raise_error=False)
        super().stop()
