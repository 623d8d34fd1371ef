"""Payments: check each row against customers and channels, then write them in bulk.

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
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import closing, partitions
from ..choices import ImportKind, TotalsSource
from ..metrics import dirty
from ..models import Customer, Payment, PaymentChannel, PaymentReference
from ..permissions import visible_branches
from . import totals
from .duplicates import Duplicates
from .pipeline import BackgroundWriter
from .values import (
    EARLIEST_PAID_AT,
    MAX_AMOUNT,
    PAID_AT_AHEAD,
    VIETNAM,
    BadValue,
    as_vietnam,
    month_start,
    parse_amount,
    parse_datetime,
    parse_period,
    text,
)

COLUMNS = ("customer_code", "period", "amount", "channel_code", "paid_at", "reference")
REFERENCE_MAX = Payment._meta.get_field("reference").max_length
STAGING = "import_payment_staging"
PAYMENTS = Payment._meta.db_table
REFERENCES = PaymentReference._meta.db_table
MAX_REMEMBERED_PERIODS = 1000


def _plain_moment(text):
    """YYYY-MM-DD hh:mm[:ss] (space or T): the form both databases read with an offset added."""
    return len(text) in (16, 19) and text[4] == text[7] == "-" and text[10] in " T"


STAGED_COLUMNS = "customer_id, period, amount, channel_id, paid_at, reference"


class PaymentImport:
    kind = ImportKind.PAYMENTS
    required = COLUMNS
    optional = ()

    def __init__(self, *, user, today):
        self.current_month = month_start(today)
        self.now = timezone.now().astimezone(VIETNAM)
        # The same bounds as parse_datetime, as naive Vietnam time for the fast path.
        self.paid_at_range = (
            EARLIEST_PAID_AT.replace(tzinfo=None),
            (self.now + PAID_AT_AHEAD).replace(tzinfo=None),
        )
        self.channels = {c.code.upper(): c for c in PaymentChannel.objects.all()}
        self.customers = self._load_customers(user)
        # A file has only a few distinct months: each is parsed once.
        self.periods = {}  # raw cell -> date or BadValue
        self.good_periods = {}  # raw text -> date, for the months that are fine
        self.good_channels = {code: c.pk for code, c in self.channels.items() if c.active}
        self.duplicates = Duplicates()  # (channel, reference) of the good rows, on disk
        self.affected = set()  # (period, branch id) of the rows written
        self.locked = closing.locked_cells()  # months approved and locked: refused
        self.footers = {}  # (channel id, period) -> the file's own totals (#TOTAL rows)
        self.use_copy = connection.vendor == "postgresql"
        self.batch = None
        self.writer = None

    # Checking.

    @staticmethod
    def _load_customers(user):
        """code -> (id, branch id, first billable month, last billable month or None) for every
        customer the user may import for, in one query: a few hundred thousand small tuples fit
        easily, and no lookup needs the connection while the writer thread uses it.

        A customer is billed from the month of connection to the month of disconnection: a
        payment for a month outside that range, or paid before the month of connection, is
        refused (docs/metrics.md), or the rates would count more payers than customers."""
        rows = Customer.objects.all()
        if user is not None and not user.is_superuser:
            rows = rows.filter(branch__in=visible_branches(user))
        customers, months = {}, {}
        for code, pk, branch_id, connected_on, disconnected_on in rows.values_list(
            "code", "pk", "branch_id", "connected_on", "disconnected_on"
        ).iterator(chunk_size=20_000):
            month = month_start(connected_on)
            last = month_start(disconnected_on) if disconnected_on else None
            customers[code] = (
                pk,
                branch_id,
                months.setdefault(month, month),
                last and months.setdefault(last, last),
            )
        return customers

    def _period(self, cell):
        key = cell if isinstance(cell, str) else text(cell)
        result = self.periods.get(key)
        if result is None:
            try:
                result = parse_period(cell)
                if result > self.current_month:
                    raise BadValue(
                        _("%(period)s is in the future.") % {"period": f"{result:%m/%Y}"}
                    )
            except BadValue as error:
                result = error
            else:
                if isinstance(cell, str):
                    self.good_periods[cell] = result
            self._remember_period(key, result)
        if isinstance(result, BadValue):
            raise result
        return result

    def _remember_period(self, key, result):
        # Bounded: a hostile file could write a different bad month on every row.
        if len(self.periods) < MAX_REMEMBERED_PERIODS:
            self.periods[key] = result

    def check(self, chunk):
        """Yield (row number, cells, record or None, [(column, message)]) for each row.

        A record is (customer id, period, amount, channel id, paid_at, reference, branch id),
        with paid_at as ISO 8601 text with its offset, ready for COPY.
        """
        self.at = [self.columns[name] for name in COLUMNS]
        fast, affected, seen = self._check_fast, self.affected, self.duplicates.add
        for number, cells in chunk:
            record = fast(number, cells)
            if record is None:
                footer = self._footer(cells)
                if footer == []:
                    continue  # the partner's own totals, kept aside (importers.totals)
                record, problems = footer or self._check_row(number, cells)
            else:
                problems = ()
            if record is not None and self.locked and (record[1], record[6]) in self.locked:
                record, problems = None, [("period", closing.locked_message(record[1]))]
            if record is not None:
                affected.add((record[1], record[6]))
                seen(f"{record[3]}\x00{record[5]}", number)
            yield number, cells, record, problems

    def _footer(self, cells):
        """None for a payment row; for the file's #TOTAL row, [] once read into self.footers
        (rows and VND per channel and period), or (None, its problems)."""
        customer_at, period_at, amount_at, channel_at, _paid_at, reference_at = self.at
        if text(cells[customer_at]).upper() != totals.FOOTER_CODE:
            return None
        problems, values = [], {}
        for column, at, parse in (
            ("period", period_at, parse_period),
            ("amount", amount_at, parse_amount),
            ("reference", reference_at, totals.parse_rows),
        ):
            try:
                values[column] = parse(cells[at])
            except BadValue as error:
                problems.append((column, str(error)))
        channel = self.channels.get(text(cells[channel_at]).upper())
        if channel is None:
            problems.append(("channel_code", _("Unknown channel “%s”.") % text(cells[channel_at])))
        if problems:
            return None, problems
        key = (channel.pk, values["period"])
        self.footers[key] = (values["reference"], values["amount"], "")
        return []

    def duplicate_problem(self, cells, first):
        """The problem of a row that repeats row `first`'s channel and reference."""
        reference = text(cells[self.columns["reference"]])
        return (
            "reference",
            _("Duplicate of row %(row)s: same channel and reference “%(ref)s”.")
            % {"row": first, "ref": reference},
        )

    def _check_fast(self, number, cells):
        """The record of a plain, valid CSV row; None sends the row to the detailed check.

        Most rows of a billing export are plain: known codes, YYYY-MM, digits, ISO time. This
        path costs a few dictionary lookups; anything unusual gets the full treatment.
        """
        customer_at, period_at, amount_at, channel_at, paid_at_at, reference_at = self.at
        try:
            code = cells[customer_at].strip().upper()
            customer = self.customers[code]
            period = self.good_periods[cells[period_at]]
            amount = cells[amount_at]
            channel = self.good_channels[cells[channel_at].strip().upper()]
            paid_at = cells[paid_at_at]
            reference = cells[reference_at].strip()
            if (
                customer is None
                or period < customer[2]
                or (customer[3] is not None and period > customer[3])
                or not (amount.isascii() and amount.isdigit() and len(amount) < 19)
                or "/" in paid_at
                or not reference
                or len(reference) > REFERENCE_MAX
            ):
                return None
            amount = int(amount)
            moment = datetime.fromisoformat(paid_at)
        except (KeyError, AttributeError, ValueError):
            return None
        if not 0 < amount <= MAX_AMOUNT:
            return None
        if moment.tzinfo is None and _plain_moment(paid_at):
            earliest, latest = self.paid_at_range
            if not earliest <= moment <= latest or moment.date() < customer[2]:
                return None
            paid_at += "+07:00"  # Vietnam time, written as PostgreSQL and Python both read it
        else:
            try:
                moment = as_vietnam(moment)
                local = moment.astimezone(VIETNAM)
            except (OverflowError, ValueError):
                return None  # the edge of the calendar: the detailed check says so
            if not EARLIEST_PAID_AT <= moment <= self.now + PAID_AT_AHEAD or (
                local.date() < customer[2]
            ):
                return None
            paid_at = moment.isoformat()
        return (customer[0], period, amount, channel, paid_at, reference, customer[1])

    def _check_row(self, number, cells):
        """Every problem of the row by column, or its record: ((…), []) or (None, problems)."""
        customer_at, period_at, amount_at, channel_at, paid_at_at, reference_at = self.at
        problems = []
        code = text(cells[customer_at]).upper()
        customer = self.customers.get(code)
        if customer is None:
            message = _("Unknown customer “%s”.") % code if code else _("This value is required.")
            problems.append(("customer_code", message))

        try:
            period = self._period(cells[period_at])
        except BadValue as error:
            period = None
            problems.append(("period", str(error)))
        else:
            if customer is not None and period < customer[2]:
                problems.append(
                    (
                        "period",
                        _("%(period)s is before the customer was connected (%(month)s).")
                        % {"period": f"{period:%m/%Y}", "month": f"{customer[2]:%m/%Y}"},
                    )
                )
            elif customer is not None and customer[3] is not None and period > customer[3]:
                problems.append(
                    (
                        "period",
                        _("%(period)s is after the customer was disconnected (%(month)s).")
                        % {"period": f"{period:%m/%Y}", "month": f"{customer[3]:%m/%Y}"},
                    )
                )

        try:
            amount = parse_amount(cells[amount_at])
        except BadValue as error:
            problems.append(("amount", str(error)))

        channel_code = text(cells[channel_at]).upper()
        channel = self.channels.get(channel_code)
        if channel is None:
            message = (
                _("Unknown channel “%s”.") % channel_code
                if channel_code
                else _("This value is required.")
            )
            problems.append(("channel_code", message))
        elif not channel.active:
            problems.append(("channel_code", _("The channel “%s” is inactive.") % channel_code))

        try:
            moment = parse_datetime(cells[paid_at_at], now=self.now)
        except BadValue as error:
            problems.append(("paid_at", str(error)))
        else:
            paid_at = moment.isoformat()
            if customer is not None and moment.astimezone(VIETNAM).date() < customer[2]:
                problems.append(
                    (
                        "paid_at",
                        _("%(date)s is before the customer was connected (%(month)s).")
                        % {
                            "date": f"{moment.astimezone(VIETNAM):%d/%m/%Y}",
                            "month": f"{customer[2]:%m/%Y}",
                        },
                    )
                )

        reference = text(cells[reference_at])
        if not reference:
            problems.append(("reference", _("This value is required.")))
        elif len(reference) > REFERENCE_MAX:
            problems.append(
                (
                    "reference",
                    _("A reference has at most %s characters.") % REFERENCE_MAX,
                )
            )

        if problems:
            return None, problems
        record = (customer[0], period, amount, channel.pk, paid_at, reference, customer[1])
        return record, problems

    # Writing.

    def start(self, batch, *, dry_run=False):
        self.batch = batch
        self.dry_run = dry_run
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
        self._save_footers()  # once the writer thread has let go of the connection
        return written

    def _save_footers(self):
        if self.footers:
            totals.save(self.footers, TotalsSource.FOOTER, self.batch.imported_by)

    def stop(self):
        """Whatever happened, leave no writer thread behind, nor the duplicates' spool."""
        if self.writer is not None:
            self.writer.stop(raise_error=False)
        self.duplicates.close()

    def refresh_scope(self):
        """Periods and branches whose rollups the written rows change: a customer's payment
        for a past month counts in the branch of that month, maybe not today's."""
        if not self.affected:
            return self.affected
        related = dirty.branches_sharing_customers()
        return {(p, b) for p, current in self.affected for b in related.get(current, {current})}
