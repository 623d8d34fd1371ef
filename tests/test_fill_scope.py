"""What a fill of some branches reads and rewrites: that branch's customers and rows only, and
the same counts as a fill of every branch."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from adoption import customer_places
from adoption.metrics import fill, freshness
from adoption.models import (
    AdminArea,
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    Customer,
    CustomerPlacement,
    FirstNoncash,
    Payment,
    RollupDirty,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JAN, FEB, MAR = (date(2024, m, 1) for m in (1, 2, 3))

pytestmark = pytest.mark.usefixtures("no_deltas")

ONLY_PLACED = fill.fill_sql.ONLY_PLACED


@pytest.fixture
def pay(channels):
    counter = iter(range(1, 10_000))

    def pay(customer, period, channel):
        return Payment.objects.create(
            customer=customer,
            period=period,
            channel=channels[channel],
            amount=100_000,
            paid_at=datetime(period.year, period.month, 20, 9, tzinfo=TZ),
            reference=f"S{next(counter)}",
        )

    return pay


def rollups(branch=None):
    """Every rollup row (of one branch), comparable across fills."""
    result = {}
    for model in (CommuneMonth, BranchMonth, ChannelMonth):
        qs = model.objects.all() if branch is None else model.objects.filter(branch=branch)
        rows = qs.values()
        result[model.__name__] = sorted(
            tuple(sorted((k, v) for k, v in row.items() if k != "id")) for row in rows
        )
    return result


@pytest.fixture
def paid(customers, areas, pay):
    """Payments in every branch, and qb1 placed in Bắc Quang's Việt Quang from February."""
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "agribank")
        pay(customers["bq2"], period, "counter")
        pay(customers["qb1"], period, "viettelpay" if period != FEB else "counter")
    customer_places.move_customer(customers["qb1"], areas["viet_quang"], None, FEB)
    freshness.refresh()
    RollupDirty.objects.all().delete()
    return customers


def test_a_fill_of_one_branch_counts_as_a_fill_of_every_branch(paid, branches):
    everything = rollups()
    for model in (CommuneMonth, BranchMonth, ChannelMonth):
        model.objects.filter(branch=branches["bq"]).delete()
    qb_before = rollups(branches["qb"])

    freshness.refresh(periods=[JAN, FEB, MAR], branch_ids=[branches["bq"].pk])

    assert rollups() == everything
    assert rollups(branches["qb"]) == qb_before
    # qb1 counts in Quang Bình in January and in Bắc Quang from February, as it was.
    jan, feb = (
        BranchMonth.objects.get(branch=branches["bq"], period=p, customer_type="household")
        for p in (JAN, FEB)
    )
    assert (jan.active_customers, feb.active_customers) == (2, 3)


def test_a_fill_of_one_branch_counts_customers_without_a_placement_or_a_territory_as_well(
    paid, branches, customers, areas, pay
):
    """The fallbacks: no placement in force (the current commune stands in), a commune no
    branch serves (the current branch stands in)."""
    CustomerPlacement.objects.filter(customer=customers["bq2"]).delete()
    # Of Quang Bình by its branch field, of Bắc Quang by the commune Bắc Quang serves.
    Customer.objects.filter(pk=customers["bq2"].pk).update(branch=branches["qb"])
    unserved = AdminArea.objects.create(
        level="commune", code="00999", name="Xã Mới", parent=areas["bq"]
    )
    stray = Customer.objects.create(
        code="PA20BQ0000009",
        name="Khách hàng 0009",
        branch=branches["bq"],
        commune=unserved,
        connected_on=date(2018, 1, 1),
    )
    pay(stray, FEB, "viettelpay")
    freshness.refresh()
    everything = rollups()
    for model in (CommuneMonth, BranchMonth, ChannelMonth):
        model.objects.filter(branch=branches["bq"]).delete()

    freshness.refresh(periods=[JAN, FEB, MAR], branch_ids=[branches["bq"].pk])

    assert rollups() == everything
    assert CommuneMonth.objects.get(period=FEB, commune=unserved).noncash_customers == 1
    assert CommuneMonth.objects.filter(period=FEB, commune=areas["tan_quang"]).exists()


def test_a_fill_of_one_branch_reads_only_the_payments_of_the_customers_it_counts(paid, branches):
    read = []

    def record(execute, sql, params, many, context):
        if Payment._meta.db_table in sql:
            read.append(sql)
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(record):
        fill.tune_session()
        fill.fill_period(FEB, [branches["bq"].pk])

    reads = [sql.count(f"FROM {Payment._meta.db_table} p") for sql in read]
    limited = [sql.count(ONLY_PLACED) for sql in read]
    # This month's payments per customer and per channel, last month's non-cash: all three
    # limited to the customers placed in the branch.
    assert reads == limited and sum(limited) == 3
    with transaction.atomic(), connection.execute_wrapper(record):
        read.clear()
        fill.fill_period(FEB, None)
    # A fill of every branch reads the month's payments in index order instead.
    assert read and not any(ONLY_PLACED in sql for sql in read)


def test_a_partial_fill_brings_first_noncash_up_to_date_for_its_branches_customers_only(
    paid, branches, customers, areas, pay
):
    qb2 = Customer.objects.create(
        code="PA20QB0000002",
        name="Khách hàng 0002",
        branch=branches["qb"],
        commune=areas["yen_binh"],
        connected_on=date(2018, 1, 1),
    )
    pay(qb2, JAN, "agribank")
    freshness.refresh()
    # Both wrong: bq1's first non-cash month later than it is, qb2's missing.
    FirstNoncash.objects.filter(customer=customers["bq1"]).update(period=MAR)
    FirstNoncash.objects.filter(customer=qb2).delete()

    freshness.refresh(periods=[JAN], branch_ids=[branches["bq"].pk])

    assert FirstNoncash.objects.get(customer=customers["bq1"]).period == JAN
    # qb2 can never count in Bắc Quang: a Bắc Quang fill does not read it.
    assert not FirstNoncash.objects.filter(customer=qb2).exists()

    freshness.refresh(periods=[JAN], branch_ids=[branches["qb"].pk])

    assert FirstNoncash.objects.get(customer=qb2).period == JAN


def test_a_payment_the_paid_predicate_leaves_out_drops_out_of_every_count(
    paid, customers, pay, monkeypatch
):
    """fill_sql.PAID is the one place a payment is told to count: leaving some out there
    leaves them out of every rollup and of FirstNoncash, as if they were not there."""
    left_out = [pay(customers["bq3"], FEB, "agribank"), pay(customers["bq1"], JAN, "counter")]
    for payment in left_out:
        Payment.objects.filter(pk=payment.pk).update(amount=70_000)

    def first_noncash():
        return sorted(FirstNoncash.objects.values_list("customer_id", "period"))

    with monkeypatch.context() as patch:
        patch.setattr(fill.fill_sql, "PAID", "{p}.amount <> 70000")
        freshness.refresh()
        without_them = rollups(), first_noncash()
    assert FirstNoncash.objects.filter(customer=customers["bq3"]).exists() is False

    Payment.objects.filter(pk__in=[p.pk for p in left_out]).delete()
    freshness.refresh()

    assert (rollups(), first_noncash()) == without_them
