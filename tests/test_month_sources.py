"""A month's expected sources and reconciliation follow the company each branch belonged to in
that month: a branch that moves to another company leaves its old months with the old one."""

from datetime import date, datetime

import pytest

from adoption import closing, month_sources, territory
from adoption.choices import MonthStatus, TotalsSource
from adoption.importers.values import VIETNAM
from adoption.models import Company, ControlTotal, MonthClose, Payment

pytestmark = pytest.mark.usefixtures("in_english")

DEC, JAN = date(2024, 12, 1), date(2025, 1, 1)


def pay(customer, channel, period, amount, reference):
    return Payment.objects.create(
        customer=customer,
        period=period,
        amount=amount,
        channel=channel,
        paid_at=datetime(period.year, period.month, 20, 9, 30, tzinfo=VIETNAM),
        reference=reference,
    )


@pytest.fixture
def moved(customers, channels, branches):
    """Quang Bình's counter takes payments in December and January; the branch belongs to
    another company from January."""
    pay(customers["bq1"], channels["viettelpay"], DEC, 150_000, "VTP-D1")
    pay(customers["qb1"], channels["counter"], DEC, 120_000, "Q-D1")
    pay(customers["qb1"], channels["counter"], JAN, 125_000, "Q-J1")
    other = Company.objects.create(code="PCTQ", name="PC Tuyên Quang", customer_code_prefix="PA21")
    territory.transfer_branch(branches["qb"], other, JAN)
    return other


def sources(company, period):
    return {
        s["label"]: (s["rows"], s["amount"], s["missing"])
        for s in month_sources.expected_sources(company, period)
    }


def test_a_moved_branchs_old_month_arrivals_stay_with_the_old_company(moved, company, branches):
    branches["qb"].refresh_from_db()
    assert branches["qb"].company == moved  # today's company is the new one
    assert sources(company, DEC) == {
        "Billing system": (1, 120_000, False),
        "Viettel": (1, 150_000, False),
    }
    assert sources(moved, DEC) == {}
    # From January the counter's payments are the new company's; the old one misses them.
    assert sources(moved, JAN) == {"Billing system": (1, 125_000, False)}
    assert sources(company, JAN) == {
        "Billing system": (0, 0, True),
        "Viettel": (0, 0, True),
    }


def test_reconciliation_counts_the_old_month_under_the_old_company(moved, company, channels):
    ControlTotal.objects.create(
        channel=channels["counter"],
        period=DEC,
        rows=1,
        amount=120_000,
        source=TotalsSource.TYPED,
    )
    [row] = month_sources.reconciliation(company, DEC)
    assert (row["rows"], row["amount"], row["differs"]) == (1, 120_000, False)
    [row] = month_sources.reconciliation(moved, DEC)
    assert (row["rows"], row["amount"]) == (0, 0)  # nothing of its own that month


def test_a_locked_month_locks_the_branches_the_company_had_then(moved, company, branches):
    for period in (DEC, JAN):
        MonthClose.objects.create(company=company, period=period, status=MonthStatus.LOCKED)
    cells = closing.locked_cells()
    assert {(DEC, branches["bq"].pk), (DEC, branches["qb"].pk), (JAN, branches["bq"].pk)} <= cells
    assert (JAN, branches["qb"].pk) not in cells  # the new company's month is not locked
