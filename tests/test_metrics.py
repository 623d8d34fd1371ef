"""Adoption metrics: the definitions on small hand-made cases, and the rollups kept in step."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from adoption import channel_history, metrics
from adoption.choices import ChannelKind
from adoption.metrics import dirty, fill, freshness
from adoption.models import (
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    Customer,
    FirstNoncash,
    Payment,
    RollupDirty,
)

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JAN, FEB, MAR, APR = (date(2024, m, 1) for m in (1, 2, 3, 4))
AUG = date(2024, 8, 1)


@pytest.fixture
def pay(channels):
    counter = iter(range(1, 10_000))

    def pay(customer, period, channel, amount=100_000, paid_on=None):
        paid_on = paid_on or period.replace(day=20)
        return Payment.objects.create(
            customer=customer,
            period=period,
            channel=channels[channel],
            amount=amount,
            paid_at=datetime(paid_on.year, paid_on.month, paid_on.day, 9, tzinfo=TZ),
            reference=f"REF{next(counter)}",
        )

    return pay


def branch_row(branch, period):
    freshness.ensure_fresh()
    rows = metrics.monthly_rates(start=period, end=period, branch_ids=[branch.id])
    assert len(rows) <= 1
    return rows[0] if rows else None


def test_a_customer_paying_one_period_by_cash_and_by_bank_is_one_noncash_customer(
    customers, branches, pay
):
    pay(customers["bq1"], JAN, "counter", 50_000)
    pay(customers["bq1"], JAN, "agribank", 70_000)

    row = branch_row(branches["bq"], JAN)

    assert row["active_customers"] == 3
    assert row["paying_customers"] == 1
    assert row["noncash_customers"] == 1
    assert (row["payments"], row["noncash_payments"]) == (2, 1)
    assert (row["amount"], row["noncash_amount"]) == (120_000, 70_000)
    assert row["adoption_rate"] == pytest.approx(100 / 3)
    assert row["paying_rate"] == 100
    assert row["payment_share"] == 50
    assert row["amount_share"] == pytest.approx(100 * 70 / 120)


def test_a_customer_connected_mid_month_is_active_from_that_month(customers, branches, pay):
    customers["bq1"].connected_on = date(2024, 2, 15)
    customers["bq1"].save()
    pay(customers["bq2"], JAN, "counter")
    pay(customers["bq2"], FEB, "counter")

    assert branch_row(branches["bq"], JAN)["active_customers"] == 2
    assert branch_row(branches["bq"], FEB)["active_customers"] == 3


def test_a_disconnected_customer_is_active_in_the_month_of_disconnection_only(
    customers, branches, pay
):
    customers["bq1"].disconnected_on = date(2024, 2, 10)
    customers["bq1"].save()
    for period in (JAN, FEB, MAR):
        pay(customers["bq2"], period, "counter")

    assert branch_row(branches["bq"], FEB)["active_customers"] == 3
    assert branch_row(branches["bq"], MAR)["active_customers"] == 2


def test_a_month_without_payments_keeps_its_active_customers_and_has_no_share(
    customers, branches, pay
):
    pay(customers["bq1"], JAN, "agribank")
    pay(customers["bq1"], MAR, "agribank")

    row = branch_row(branches["bq"], FEB)

    assert row["active_customers"] == 3
    assert row["paying_customers"] == 0
    assert row["adoption_rate"] == 0
    assert row["payment_share"] is None
    assert row["paying_rate"] is None
    assert row["back_to_cash_customers"] == 0


def test_a_late_payment_counts_for_its_bill_period_and_marks_only_it_stale(
    customers,
    branches,
    pay,
    no_deltas,
):
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "counter")
    freshness.ensure_fresh()
    before_mar = branch_row(branches["bq"], MAR)

    pay(customers["bq2"], JAN, "viettelpay", paid_on=date(2024, 4, 2))

    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {(JAN, branches["bq"].id)}
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 1
    assert branch_row(branches["bq"], APR) is None
    assert branch_row(branches["bq"], MAR) == before_mar


def test_flow_counts_new_back_to_cash_and_six_month_retention(customers, branches, pay):
    bq1, bq2 = customers["bq1"], customers["bq2"]
    pay(bq1, JAN, "counter")
    pay(bq1, FEB, "agribank")
    pay(bq1, MAR, "counter")
    pay(bq1, AUG, "viettelpay")
    pay(bq2, FEB, "viettelpay")
    pay(bq2, MAR, "viettelpay")
    pay(bq2, AUG, "collector")

    feb, mar, aug = (branch_row(branches["bq"], p) for p in (FEB, MAR, AUG))

    assert feb["new_noncash_customers"] == 2
    assert (mar["new_noncash_customers"], mar["back_to_cash_customers"]) == (0, 1)
    assert (aug["cohort_6m_customers"], aug["retained_6m_customers"]) == (2, 1)
    assert aug["retention_6m"] == 50
    assert aug["new_noncash_customers"] == 0


def test_back_to_cash_needs_a_payment_this_month(customers, branches, pay):
    pay(customers["bq1"], JAN, "agribank")
    pay(customers["bq2"], FEB, "counter")

    assert branch_row(branches["bq"], FEB)["back_to_cash_customers"] == 0


def test_deleting_a_first_noncash_payment_moves_the_new_customer_to_the_later_month(
    customers, branches, pay
):
    first = pay(customers["bq1"], JAN, "agribank")
    pay(customers["bq1"], MAR, "agribank")
    assert branch_row(branches["bq"], JAN)["new_noncash_customers"] == 1
    assert branch_row(branches["bq"], MAR)["new_noncash_customers"] == 0

    first.delete()

    assert branch_row(branches["bq"], JAN) is None  # the covered months now start in March
    assert branch_row(branches["bq"], MAR)["new_noncash_customers"] == 1
    assert FirstNoncash.objects.get(customer=customers["bq1"]).period == MAR


def test_an_earlier_payment_imported_in_bulk_moves_the_first_noncash_month(
    customers, branches, channels, pay
):
    pay(customers["bq1"], JAN, "counter")
    pay(customers["bq1"], MAR, "viettelpay")
    assert branch_row(branches["bq"], MAR)["new_noncash_customers"] == 1

    # Bulk paths send no signals: they mark what they loaded.
    Payment.objects.bulk_create(
        [
            Payment(
                customer=customers["bq1"],
                period=FEB,
                channel=channels["agribank"],
                amount=1000,
                paid_at=datetime(2024, 2, 3, tzinfo=TZ),
                reference="BULK1",
            )
        ]
    )
    dirty.mark_dirty([FEB], [branches["bq"].id])

    assert branch_row(branches["bq"], FEB)["new_noncash_customers"] == 1
    assert branch_row(branches["bq"], MAR)["new_noncash_customers"] == 0


def test_company_rates_come_from_summed_counts_not_averaged_branch_rates(customers, branches, pay):
    pay(customers["bq1"], JAN, "agribank")  # BQ: 1 of 3 active non-cash
    pay(customers["qb1"], JAN, "agribank")  # QB: 1 of 1

    freshness.ensure_fresh()
    (company,) = metrics.monthly_rates(start=JAN, end=JAN, group="company")

    assert company["adoption_rate"] == 50  # 2 of 4, not the mean of 33.3% and 100%


def test_rollups_group_by_commune_and_customer_type(customers, areas, pay):
    pay(customers["bq2"], JAN, "agribank")
    pay(customers["bq3"], JAN, "counter")
    freshness.ensure_fresh()

    rows = {
        (r.commune_id, r.customer_type): (r.active_customers, r.noncash_customers)
        for r in CommuneMonth.objects.filter(period=JAN)
    }

    assert rows == {
        (areas["viet_quang"].id, "household"): (1, 0),
        (areas["tan_quang"].id, "household"): (1, 1),
        (areas["tan_quang"].id, "business"): (1, 0),
        (areas["yen_binh"].id, "household"): (1, 0),
    }


def test_channel_mix_counts_payments_amounts_and_customers_per_kind(customers, pay):
    pay(customers["bq1"], JAN, "agribank", 10_000)
    pay(customers["bq1"], JAN, "agribank", 20_000)
    pay(customers["bq2"], JAN, "viettelpay", 5_000)
    pay(customers["qb1"], JAN, "counter", 7_000)
    freshness.ensure_fresh()

    mix = {
        r["kind"]: (r["payments"], r["amount"], r["customers"])
        for r in metrics.channel_mix(start=JAN, end=JAN)
    }

    assert mix == {
        "bank": (2, 30_000, 1),
        "ewallet": (1, 5_000, 1),
        "company_counter": (1, 7_000, 1),
    }
    assert ChannelMonth.objects.count() == 3


# Markers: every change records what it made stale, reads finish the work.


def test_saving_and_deleting_a_payment_mark_its_period_and_branch(customers, branches, pay):
    payment = pay(customers["qb1"], JAN, "counter")
    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {(JAN, branches["qb"].id)}
    freshness.ensure_fresh()
    assert not RollupDirty.objects.exists()

    payment.period = FEB
    payment.save()
    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {
        (JAN, branches["qb"].id),
        (FEB, branches["qb"].id),
    }
    freshness.ensure_fresh()

    payment.delete()
    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {(FEB, branches["qb"].id)}
    freshness.ensure_fresh()
    assert not CommuneMonth.objects.exists()


def test_moving_a_customer_to_another_branch_marks_both_from_connection_on(
    customers,
    branches,
    areas,
    pay,
    no_deltas,
):
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "agribank")
    late = Customer.objects.create(
        code="PA20BQ0000088",
        name="Mới",
        branch=branches["bq"],
        commune=areas["viet_quang"],
        connected_on=date(2024, 2, 5),
    )
    pay(late, MAR, "viettelpay")
    freshness.ensure_fresh()

    late.branch = branches["qb"]
    late.commune = areas["yen_binh"]
    late.save()

    # From its connection month onward, in both branches.
    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {
        (p, b.id) for p in (FEB, MAR) for b in branches.values()
    }
    assert branch_row(branches["qb"], MAR)["noncash_customers"] == 1
    assert branch_row(branches["bq"], MAR)["noncash_customers"] == 1
    assert branch_row(branches["bq"], MAR)["active_customers"] == 3
    assert branch_row(branches["qb"], FEB)["active_customers"] == 2

    customers["bq1"].branch = branches["qb"]
    customers["bq1"].commune = areas["yen_binh"]
    customers["bq1"].save()

    # Connected long before the first bill period: every covered month of both branches.
    assert RollupDirty.objects.count() == 6
    assert branch_row(branches["qb"], JAN)["noncash_customers"] == 1
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 0


def test_renaming_a_customer_marks_nothing(customers, pay):
    pay(customers["bq1"], JAN, "agribank")
    freshness.ensure_fresh()

    customers["bq1"].name = "Nguyễn Văn A"
    customers["bq1"].save()

    assert not RollupDirty.objects.exists()


def test_a_channel_restated_as_cash_changes_the_months_it_was_used_in(
    customers, branches, channels, users, pay
):
    pay(customers["bq1"], JAN, "counter")
    pay(customers["bq1"], FEB, "agribank")
    assert branch_row(branches["bq"], FEB)["noncash_customers"] == 1
    agribank = channels["agribank"]

    channel_history.restate(agribank, ChannelKind.AGENT_COUNTER, True, JAN, users["admin"], "x")

    assert branch_row(branches["bq"], FEB)["noncash_customers"] == 0
    assert not FirstNoncash.objects.exists()


def test_a_new_customer_marks_the_months_since_connection(branches, areas, customers, pay):
    pay(customers["bq1"], JAN, "counter")
    pay(customers["bq1"], MAR, "counter")
    freshness.ensure_fresh()

    Customer.objects.create(
        code="PA20BQ0000099",
        name="Mới",
        branch=branches["bq"],
        commune=areas["viet_quang"],
        connected_on=date(2024, 2, 1),
    )

    assert branch_row(branches["bq"], JAN)["active_customers"] == 3
    assert branch_row(branches["bq"], FEB)["active_customers"] == 4


def test_data_as_of_is_the_oldest_waiting_change_until_it_is_finished(customers, pay):
    assert freshness.data_as_of() is None
    pay(customers["bq1"], JAN, "counter")
    freshness.ensure_fresh()
    filled = freshness.data_as_of()
    assert filled is not None

    pay(customers["bq1"], FEB, "counter")
    waiting = RollupDirty.objects.get().marked_at
    assert freshness.data_as_of() == min(filled, waiting)

    freshness.ensure_fresh()
    assert freshness.data_as_of() > filled


def test_an_interrupted_fill_is_detected_and_redone(
    customers, branches, pay, monkeypatch, no_deltas
):
    pay(customers["bq1"], JAN, "agribank")
    freshness.ensure_fresh()
    pay(customers["bq2"], JAN, "agribank")
    pay(customers["bq2"], FEB, "agribank")
    real_fill = fill.fill_period
    calls = []

    def dies_on_the_second_month(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real_fill(*args, **kwargs)

    monkeypatch.setattr(fill, "fill_period", dies_on_the_second_month)
    with pytest.raises(KeyboardInterrupt):
        freshness.ensure_fresh()
    monkeypatch.setattr(fill, "fill_period", real_fill)

    assert freshness.fill_interrupted()
    # Nothing half-done is visible: January still shows the old figures, markers remain.
    assert CommuneMonth.objects.filter(period=JAN, noncash_customers=1).count() == 1
    assert RollupDirty.objects.count() == 2

    freshness.ensure_fresh()

    assert not freshness.fill_interrupted()
    assert not RollupDirty.objects.exists()
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 2
    assert branch_row(branches["bq"], FEB)["noncash_customers"] == 1


def test_refresh_of_named_periods_and_branches_leaves_the_others_alone(customers, branches, pay):
    pay(customers["bq1"], JAN, "agribank")
    pay(customers["qb1"], JAN, "agribank")
    freshness.refresh()
    BranchMonth.objects.filter(branch=branches["qb"]).update(noncash_customers=7)

    freshness.refresh(periods=[JAN], branch_ids=[branches["bq"].id])

    assert branch_row(branches["qb"], JAN)["noncash_customers"] == 7
    freshness.refresh(periods=[JAN])
    assert branch_row(branches["qb"], JAN)["noncash_customers"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_payment_saved_while_a_fill_runs_leaves_its_marker(
    customers, branches, pay, monkeypatch, no_worker
):
    import threading
    import time

    from django.db import connection

    pay(customers["bq1"], JAN, "counter")
    real_fill = fill.fill_period
    writers = []

    def fill_with_a_concurrent_payment(*args, **kwargs):
        if not writers:

            def write():
                try:
                    pay(customers["bq2"], JAN, "viettelpay")
                finally:
                    connection.close()

            writers.append(threading.Thread(target=write))
            writers[0].start()
            time.sleep(0.5)  # the writer is now waiting on the marker this fill cleared
        real_fill(*args, **kwargs)

    monkeypatch.setattr(fill, "fill_period", fill_with_a_concurrent_payment)
    freshness.ensure_fresh()
    writers[0].join(timeout=10)
    monkeypatch.setattr(fill, "fill_period", real_fill)

    assert set(RollupDirty.objects.values_list("period", "branch_id")) == {(JAN, branches["bq"].id)}
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 1


def test_the_admin_change_form_cannot_rewrite_a_channels_cash_flag(
    customers, branches, channels, users, client_for, pay
):
    pay(customers["bq1"], JAN, "counter")
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 0
    counter = channels["counter"]

    response = client_for(users["admin"]).post(
        f"/admin/adoption/paymentchannel/{counter.pk}/change/",
        {
            "code": counter.code,
            "name": counter.name,
            "kind": ChannelKind.POST_OFFICE,
            "fee_per_transaction": 0,
            "active": "on",
            # "is_cash" left out: unticked
        },
    )

    assert response.status_code == 302
    counter.refresh_from_db()
    assert (counter.kind, counter.is_cash) == (ChannelKind.COMPANY_COUNTER, True)
    assert not RollupDirty.objects.exists()
    assert branch_row(branches["bq"], JAN)["noncash_customers"] == 0


def test_a_refresh_with_no_payments_at_all_fills_nothing_and_records_when(branches):
    freshness.refresh()

    assert not CommuneMonth.objects.exists()
    assert metrics.monthly_rates(start=JAN, end=MAR) == []
    assert freshness.data_as_of() is not None
    assert not freshness.fill_interrupted()
