"""Payments: check each row against customers and channels; the writing is
payment_writer.py's (staging, COPY, the anti-join on references, bare partitions).

Most rows take _check_fast, a few dictionary lookups; anything unusual gets _check_row, one
small checker per column, which says every problem of the row.
"""

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import closing
from ..choices import ImportKind, TotalsSource
from ..models import Customer, Payment, PaymentChannel
from ..permissions import visible_branches
from . import checks, totals
from .base import Importer
from .payment_writer import PaymentWriting
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
# Lazy: translated only for a row that has the problem.
UNKNOWN_CUSTOMER = gettext_lazy("Unknown customer “%s”.")
REFERENCE_TOO_LONG = gettext_lazy("A reference has at most %s characters.")
MAX_REMEMBERED_PERIODS = 1000


def _plain_moment(text):
    """YYYY-MM-DD hh:mm[:ss] (space or T): the form both databases read with an offset added."""
    return len(text) in (16, 19) and text[4] == text[7] == "-" and text[10] in " T"


class PaymentImport(PaymentWriting, Importer):
    kind = ImportKind.PAYMENTS
    required = COLUMNS

    def __init__(self, *, user, today):
        super().__init__(user=user, today=today)
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
        self.locked = closing.locked_cells()  # months approved and locked: refused
        self.footers = {}  # (channel id, period) -> the file's own totals (#TOTAL rows)

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
            problems.append(("channel_code", checks.unknown_channel(text(cells[channel_at]))))
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
        customer, problem = checks.known(self.customers, cells[customer_at], UNKNOWN_CUSTOMER)
        checked = {
            "customer_code": (customer, problem),
            "period": self._bill_period(cells[period_at], customer),
            "amount": checks.parsed(parse_amount, cells[amount_at]),
            "channel_code": checks.channel(self.channels, cells[channel_at], active=True),
            "paid_at": self._paid_at(cells[paid_at_at], customer),
            "reference": checks.limited(cells[reference_at], REFERENCE_MAX, REFERENCE_TOO_LONG),
        }
        problems = [(column, problem) for column, (_v, problem) in checked.items() if problem]
        if problems:
            return None, problems
        _c, period, amount, channel, paid_at, reference = (v for v, _p in checked.values())
        return (customer[0], period, amount, channel.pk, paid_at, reference, customer[1]), []

    def _bill_period(self, cell, customer):
        """The month billed, within the customer's billable months when they are known."""
        try:
            period = self._period(cell)
        except BadValue as error:
            return None, str(error)
        values = {"period": f"{period:%m/%Y}"}
        if customer is not None and period < customer[2]:
            values["month"] = f"{customer[2]:%m/%Y}"
            return None, _("%(period)s is before the customer was connected (%(month)s).") % values
        if customer is not None and customer[3] is not None and period > customer[3]:
            values["month"] = f"{customer[3]:%m/%Y}"
            message = _("%(period)s is after the customer was disconnected (%(month)s).")
            return None, message % values
        return period, None

    def _paid_at(self, cell, customer):
        """The moment as ISO text with its offset, not before the customer's connection."""
        try:
            moment = parse_datetime(cell, now=self.now)
        except BadValue as error:
            return None, str(error)
        local = moment.astimezone(VIETNAM)
        if customer is not None and local.date() < customer[2]:
            values = {"date": f"{local:%d/%m/%Y}", "month": f"{customer[2]:%m/%Y}"}
            return None, _("%(date)s is before the customer was connected (%(month)s).") % values
        return moment.isoformat(), None

    def finish(self):
        written = super().finish()
        self._save_footers()  # once the writer thread has let go of the connection
        return written

    def _save_footers(self):
        if self.footers:
            totals.save(self.footers, TotalsSource.FOOTER, self.batch.imported_by)
