"""Small edits as deltas: one customer's or one payment's difference added to the rollups in
the edit's transaction, equal to what a full refill gives; and every case where a delta would
not be exact falls back to dirty markers."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction

from adoption import rollup_deltas
from adoption.dashboard_cache import data_version
from adoption.metrics import dirty, fill, freshness
from adoption.models import (
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    FirstNoncash,
    Payment,
    RollupDirty,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PERIODS = [date(2024, m, 1) for m in range(1, 10)]


@pytest.fixture
def filled(customers, channels):
    """Nine months of payments in both branches, rollups filled: nothing waits."""
    plan = [
        ("bq1", 0, "counter"),
        ("bq1", 1, "viettelpay"),
        ("bq1", 2, "counter"),
        ("bq2", 1, "agribank"),
        ("bq2", 7, "agribank"),
        ("bq3", 3, "counter"),
        ("qb1", 0, "viettelpay"),
        ("qb1", 8, "collector"),
    ]
    for n, (customer, month, channel) in enumerate(plan):
        Payment.objects.create(
            customer=customers[customer],
            period=PERIODS[month],
            channel=channels[channel],
            amount=10_000 * (n + 1),
            paid_at=datetime(2024, month + 1, 20, 9, tzinfo=TZ),
            reference=f"D{n}",
        )
    freshness.refresh()
    assert not RollupDirty.objects.exists()
    return customers


def rows():
    return {
        model.__name__: sorted(
            tuple(v for k, v in row.items() if k != "id") for row in model.objects.values()
        )
        for model in (CommuneMonth, BranchMonth, ChannelMonth)
    } | {"first": sorted(FirstNoncash.objects.values_list("customer_id", "period"))}


def assert_equal_to_a_full_refill():
    assert not RollupDirty.objects.exists()  # applied as a delta, nothing left to fill
    after_delta = rows()
    freshness.refresh()
    assert after_delta == rows()


@pytest.mark.parametrize(
    "change",
    [
        {"customer_type": "business"},
        {"commune": "tan_quang"},
        {"connected_on": date(2024, 5, 10)},
        {"disconnected_on": date(2024, 4, 3)},
        {"branch": "qb", "commune": "yen_binh"},
    ],
    ids=["type", "commune", "connected", "disconnected", "branch"],
)
def test_a_customer_edit_is_a_delta_equal_to_a_refill(filled, areas, branches, change):
    customer = filled["bq1"]
    version = data_version()
    for field, value in change.items():
        if field == "commune":
            value = areas[value]
        elif field == "branch":
            value = branches[value]
        setattr(customer, field, value)
    with transaction.atomic():
        customer.save()

    assert data_version() != version
    assert_equal_to_a_full_refill()


def test_a_payment_added_changed_and_deleted_are_deltas_equal_to_a_refill(filled, channels):
    payment = Payment.objects.create(
        customer=filled["bq3"],
        period=PERIODS[4],
        channel=channels["viettelpay"],
        amount=55_000,
        paid_at=datetime(2024, 5, 20, tzinfo=TZ),
        reference="NEW",
    )
    assert_equal_to_a_full_refill()

    payment.channel = channels["counter"]  # first non-cash month moves away
    payment.period = PERIODS[5]
    payment.save()
    assert_equal_to_a_full_refill()

    Payment.objects.get(reference="D1").delete()  # bq1's only non-cash payment: reversed
    assert_equal_to_a_full_refill()


def test_while_markers_wait_an_edit_marks_rather_than_adds(filled, branches):
    dirty.mark_dirty([PERIODS[0]], [branches["qb"].pk])
    customer = filled["bq1"]
    customer.customer_type = "business"
    customer.save()

    assert RollupDirty.objects.filter(branch=branches["bq"]).exists()


def test_a_payment_that_moves_the_covered_months_is_refilled(filled, channels, branches):
    Payment.objects.create(
        customer=filled["bq3"],
        period=date(2024, 12, 1),  # after the last covered month: three months appear
        channel=channels["viettelpay"],
        amount=1,
        paid_at=datetime(2024, 12, 20, tzinfo=TZ),
        reference="LATER",
    )
    assert RollupDirty.objects.exists()


def test_deleting_the_only_payment_of_the_last_month_is_refilled(filled):
    Payment.objects.get(reference="D7").delete()  # 09/2024 leaves the covered range
    assert RollupDirty.objects.exists()


def test_rollups_that_disagree_with_the_raw_rows_are_refilled_not_driven_below_zero(filled):
    CommuneMonth.objects.update(active_customers=0)
    BranchMonth.objects.update(active_customers=0)
    customer = filled["bq1"]
    customer.customer_type = "business"

    customer.save()

    assert RollupDirty.objects.exists()  # the delta rolled back to its savepoint
    assert CommuneMonth.objects.filter(active_customers__gt=0).count() == 0


def test_outside_a_transaction_an_edit_marks(filled, monkeypatch):
    monkeypatch.setattr(type(connection), "in_atomic_block", False, raising=False)
    assert rollup_deltas.apply(filled["bq1"].pk, {}, {}, [], []) is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_while_a_fill_holds_the_lock_an_edit_marks(filled, no_worker):
    import threading

    held, release = threading.Event(), threading.Event()

    def hold_the_lock():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [fill.FILL_LOCK])
            held.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    held.wait(10)
    try:
        customer = filled["bq1"]
        customer.customer_type = "business"
        with transaction.atomic():
            customer.save()
    finally:
        release.set()
        thread.join(10)
    assert RollupDirty.objects.exists()


def test_a_payment_through_a_reclassified_channel_counts_as_its_months_classification(
    filled, channels, users
):
    from adoption import channel_history

    # Agribank restated as a cash agent from 05/2024 on: non-cash before, cash after.
    channel_history.restate(
        channels["agribank"], "agent_counter", True, PERIODS[4], users["admin"], "a test"
    )
    freshness.refresh()
    for period, reference in ((PERIODS[3], "EARLY"), (PERIODS[6], "LATE")):
        Payment.objects.create(
            customer=filled["bq3"],
            period=period,
            channel=channels["agribank"],
            amount=70_000,
            paid_at=datetime(2024, period.month, 21, tzinfo=TZ),
            reference=reference,
        )
        assert_equal_to_a_full_refill()
    early, late = (
        ChannelMonth.objects.get(period=p, channel=channels["agribank"], customer_type="business")
        for p in (PERIODS[3], PERIODS[6])
    )
    assert (early.kind, late.kind) == ("bank", "agent_counter")


def test_a_payment_of_a_customer_who_moved_counts_where_they_lived_that_month(
    filled, areas, branches
):
    from adoption import customer_places

    # bq2 moved to Quang Bình's commune from 06/2024: earlier months stay in Bắc Quang.
    customer_places.move_customer(filled["bq2"], areas["yen_binh"], None, PERIODS[5])
    freshness.refresh()
    for period, reference in ((PERIODS[2], "BEFORE"), (PERIODS[6], "AFTER")):
        Payment.objects.create(
            customer=filled["bq2"],
            period=period,
            channel=filled["bq2"].payments.first().channel,
            amount=33_000,
            paid_at=datetime(2024, period.month, 22, tzinfo=TZ),
            reference=reference,
        )
        assert_equal_to_a_full_refill()
    before, after = (
        CommuneMonth.objects.get(period=p, customer_type="household", payments__gt=0, **where)
        for p, where in (
            (PERIODS[2], {"commune": areas["tan_quang"]}),
            (PERIODS[6], {"commune": areas["yen_binh"], "branch": branches["qb"]}),
        )
    )
    assert before.branch_id == branches["bq"].pk
    assert after.noncash_customers >= 1
