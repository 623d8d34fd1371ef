"""Reversals: a refund or failed debit takes its payment out of every count; an unknown, double
or oversized reversal, or one for a locked month, is refused with its reason and nothing
written (one at a time and as a file)."""

import functools
from datetime import date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from adoption import reversals
from adoption.choices import MonthStatus, ReversalKind
from adoption.importers.values import VIETNAM
from adoption.metrics import freshness
from adoption.models import BranchMonth, MonthClose, Payment, Reversal

pytestmark = pytest.mark.usefixtures("in_english", "import_reports_dir")

HEADER = "channel_code,reference,amount,kind,reason"
JAN = date(2025, 1, 1)


@pytest.fixture
def paid(customers, channels):
    def pay(customer, channel, reference, amount=150_000, period=JAN):
        return Payment.objects.create(
            customer=customers[customer],
            period=period,
            amount=amount,
            channel=channels[channel],
            paid_at=datetime(period.year, period.month, 20, 9, tzinfo=VIETNAM),
            reference=reference,
        )

    payments = {
        "vtp": pay("bq1", "viettelpay", "VTP-1"),
        "agr": pay("bq2", "agribank", "AGR-1", 98_000),
        "cash": pay("qb1", "counter", "Q-1", 120_000),
    }
    freshness.refresh()
    return payments


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="reversals.csv")


def noncash(period=JAN):
    rows = BranchMonth.objects.filter(period=period)
    return sum(rows.values_list("noncash_customers", flat=True))


def state():
    return (
        sorted(Reversal.objects.values_list("channel__code", "reference", "amount")),
        sorted(Payment.objects.values_list("reference", "reversed_at")),
        noncash(),
    )


def refused_message(channel, reference, amount):
    before = state()
    with pytest.raises(ValidationError) as error:
        reversals.reverse(channel, reference, amount, ReversalKind.REFUND, None)
    assert state() == before
    return " ".join(error.value.messages)


def test_a_reversal_takes_the_payment_out_of_every_count(paid, channels, users):
    assert noncash() == 2
    reversal = reversals.reverse(
        channels["viettelpay"], "VTP-1", 150_000, ReversalKind.FAILED_DEBIT, users["admin"], "bank"
    )
    freshness.ensure_fresh()
    assert noncash() == 1
    payment = Payment.objects.get(reference="VTP-1")
    assert payment.reversed_at is not None  # kept, never deleted
    assert (reversal.period, reversal.recorded_by, reversal.reason) == (JAN, users["admin"], "bank")
    assert Payment.objects.counted().count() == 2


def test_a_reversal_of_an_unknown_payment_is_refused(paid, channels):
    message = refused_message(channels["viettelpay"], "VTP-404", 150_000)
    assert "No payment with reference “VTP-404” on this channel." in message
    # The reference exists, on another channel: still unknown on this one.
    assert "No payment" in refused_message(channels["agribank"], "VTP-1", 150_000)


def test_a_double_reversal_is_refused(paid, channels):
    reversals.reverse(channels["viettelpay"], "VTP-1", 150_000, ReversalKind.REFUND, None)
    message = refused_message(channels["viettelpay"], "VTP-1", 150_000)
    assert "Payment “VTP-1” was already reversed on" in message


def test_a_reversal_larger_than_the_payment_is_refused(paid, channels):
    message = refused_message(channels["viettelpay"], "VTP-1", 150_001)
    assert "is more than the payment reversed (" in message


def test_a_partial_reversal_is_refused_with_what_to_do(paid, channels):
    message = refused_message(channels["viettelpay"], "VTP-1", 100_000)
    assert "reverse the whole payment and import the corrected one" in message


def test_a_reversal_in_a_locked_month_is_refused(paid, channels, company):
    MonthClose.objects.create(company=company, period=JAN, status=MonthStatus.LOCKED)
    message = refused_message(channels["viettelpay"], "VTP-1", 150_000)
    assert "01/2025 is locked" in message


def test_a_reversal_file_goes_in_and_counts_drop(paid, write):
    path = write(HEADER, "VTP,VTP-1,150000,failed_debit,no funds", "AGR,AGR-1,98.000,,")
    call_command("import_reversals", str(path), verbosity=0)
    freshness.ensure_fresh()
    assert noncash() == 0
    kinds = dict(Reversal.objects.values_list("reference", "kind"))
    assert kinds == {"VTP-1": ReversalKind.FAILED_DEBIT, "AGR-1": ReversalKind.REFUND}
    assert all(r.import_batch_id for r in Reversal.objects.all())


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("VTP,VTP-404,150000,,", "Row 3, reference: No payment with reference “VTP-404”"),
        ("VTP,VTP-1,990000,,", "Row 3, amount: "),
        ("NOPE,VTP-1,150000,,", "Row 3, channel_code: Unknown channel “NOPE”."),
        ("VTP,VTP-1,150000,gift,", "Row 3, kind: “gift” is not refund or failed_debit."),
        ("AGR,AGR-1,98000,,", "Row 3, reference: Row 2 already reverses payment “AGR-1”."),
    ],
)
def test_a_reversal_file_with_a_bad_row_writes_nothing(paid, write, capsys, line, message):
    path = write(HEADER, "AGR,AGR-1,98000,,", line)
    before = state()
    with pytest.raises(CommandError):
        call_command("import_reversals", str(path), verbosity=0)
    assert message in capsys.readouterr().out
    assert state() == before


def test_a_reversal_file_for_an_already_reversed_payment_writes_nothing(paid, write, capsys):
    call_command("import_reversals", str(write(HEADER, "VTP,VTP-1,150000,,")), verbosity=0)
    before = state()
    with pytest.raises(CommandError):
        call_command("import_reversals", str(write(HEADER, "VTP,VTP-1,150000,,")), verbosity=0)
    assert "was already reversed on" in capsys.readouterr().out
    assert state() == before
