"""A channel's classification over time: reclassify from a month, restate the past, and the
rules that refuse the rest with nothing changed."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from adoption import channel_history, metrics
from adoption.choices import ChannelKind
from adoption.metrics import freshness
from adoption.models import (
    ChannelClassification,
    ChannelMonth,
    FirstNoncash,
    Payment,
    PaymentChannel,
    RollupDirty,
)
from adoption.models.validity import BEGINNING
from adoption.months import add_months, this_month

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JAN, FEB, MAR = (date(2024, m, 1) for m in (1, 2, 3))


@pytest.fixture(autouse=True)
def _messages_in_english(in_english):
    """The refusals are matched by their English text."""


@pytest.fixture
def vnpost(db):
    return PaymentChannel.objects.create(code="VNPOST", name="VNPost", kind=ChannelKind.POST_OFFICE)


@pytest.fixture
def pay(channels, vnpost):
    counter = iter(range(1, 10_000))
    every = {**channels, "vnpost": vnpost}

    def pay(customer, period, channel, amount=100_000):
        return Payment.objects.create(
            customer=customer,
            period=period,
            channel=every[channel],
            amount=amount,
            paid_at=datetime(period.year, period.month, 20, 9, tzinfo=TZ),
            reference=f"REF{next(counter)}",
        )

    return pay


def noncash(branch, period):
    freshness.ensure_fresh()
    rows = metrics.monthly_rates(start=period, end=period, branch_ids=[branch.id])
    return rows[0]["noncash_customers"] if rows else None


def spans(channel):
    return [
        (r.valid_from, r.valid_to, r.kind, r.is_cash) for r in channel_history.timeline(channel)
    ]


def unchanged(channel, before):
    """Nothing changed: the same timeline, the same current fields, no marker."""
    channel.refresh_from_db()
    return (
        spans(channel) == before["spans"]
        and (channel.kind, channel.is_cash) == before["now"]
        and not RollupDirty.objects.exists()
    )


def state(channel):
    freshness.ensure_fresh()
    return {"spans": spans(channel), "now": (channel.kind, channel.is_cash)}


def test_a_new_channel_is_classified_as_created_from_the_beginning(vnpost):
    assert spans(vnpost) == [(BEGINNING, None, ChannelKind.POST_OFFICE, False)]


def test_reclassifying_from_a_month_leaves_earlier_months_alone(customers, branches, users, pay):
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "vnpost")
    assert [noncash(branches["bq"], p) for p in (JAN, FEB, MAR)] == [1, 1, 1]
    vnpost = PaymentChannel.objects.get(code="VNPOST")

    channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, True, FEB, users["admin"])

    assert [noncash(branches["bq"], p) for p in (JAN, FEB, MAR)] == [1, 0, 0]
    assert FirstNoncash.objects.get().period == JAN
    assert spans(vnpost) == [
        (BEGINNING, date(2024, 1, 31), ChannelKind.POST_OFFICE, False),
        (FEB, None, ChannelKind.POST_OFFICE, True),
    ]
    vnpost.refresh_from_db()
    assert vnpost.is_cash


def test_it_marks_only_the_months_from_the_reclassification_on(customers, users, pay):
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "vnpost")
    freshness.ensure_fresh()
    vnpost = PaymentChannel.objects.get(code="VNPOST")

    channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, True, FEB, users["admin"])

    assert {p for p, _ in RollupDirty.objects.values_list("period", "branch")} == {FEB, MAR}


def test_it_refuses_a_date_in_the_middle_of_a_month(customers, users, pay, vnpost):
    pay(customers["bq1"], JAN, "vnpost")
    before = state(vnpost)

    with pytest.raises(ValidationError) as error:
        channel_history.reclassify(
            vnpost, ChannelKind.POST_OFFICE, True, date(2024, 2, 15), users["admin"]
        )

    assert "15/02/2024 is in the middle of 02/2024" in str(error.value)
    assert unchanged(vnpost, before)


def test_it_refuses_a_kind_that_contradicts_the_cash_flag(customers, users, channels, pay):
    pay(customers["bq1"], JAN, "counter")
    counter = channels["counter"]
    before = state(counter)

    with pytest.raises(ValidationError) as error:
        channel_history.reclassify(counter, ChannelKind.COMPANY_COUNTER, False, FEB, users["admin"])

    assert "always cash" in str(error.value)
    assert unchanged(counter, before)
    with pytest.raises(ValidationError, match="never cash"):
        channel_history.reclassify(
            channels["agribank"], ChannelKind.BANK, True, FEB, users["admin"]
        )


def test_it_refuses_a_month_not_after_the_classification_in_force(customers, users, pay, vnpost):
    pay(customers["bq1"], JAN, "vnpost")
    channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, True, MAR, users["admin"])
    before = state(vnpost)

    for month in (FEB, MAR):
        with pytest.raises(ValidationError, match="restate instead"):
            channel_history.reclassify(
                vnpost, ChannelKind.AGENT_COUNTER, False, month, users["admin"]
            )

    assert unchanged(vnpost, before)


def test_it_refuses_a_change_that_changes_nothing(users, vnpost):
    with pytest.raises(ValidationError, match="already classified so"):
        channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, False, FEB, users["admin"])


def test_a_channel_admin_reclassifies_from_this_month_but_not_from_a_past_one(
    customers, users, pay, vnpost
):
    current = this_month()
    pay(customers["bq1"], add_months(current, -1), "vnpost")
    before = state(vnpost)

    with pytest.raises(PermissionDenied, match="only an administrator"):
        channel_history.reclassify(
            vnpost,
            ChannelKind.POST_OFFICE,
            True,
            add_months(current, -1),
            users["channel_admin"],
        )
    assert unchanged(vnpost, before)

    channel_history.reclassify(
        vnpost, ChannelKind.POST_OFFICE, True, current, users["channel_admin"]
    )
    assert spans(vnpost)[-1] == (current, None, ChannelKind.POST_OFFICE, True)


def test_nobody_without_the_change_permission_reclassifies(users, vnpost):
    with pytest.raises(PermissionDenied):
        channel_history.reclassify(
            vnpost, ChannelKind.POST_OFFICE, True, this_month(), users["manager"]
        )


def test_restating_rewrites_only_the_months_it_names(customers, branches, users, pay):
    for period in (JAN, FEB, MAR):
        pay(customers["bq1"], period, "vnpost")
    assert [noncash(branches["bq"], p) for p in (JAN, FEB, MAR)] == [1, 1, 1]
    vnpost = PaymentChannel.objects.get(code="VNPOST")

    channel_history.restate(
        vnpost, ChannelKind.POST_OFFICE, True, JAN, users["admin"], "cash all along", to_period=FEB
    )

    assert {p for p, _ in RollupDirty.objects.values_list("period", "branch")} == {JAN, FEB}
    assert [noncash(branches["bq"], p) for p in (JAN, FEB, MAR)] == [0, 0, 1]
    assert spans(vnpost) == [
        (BEGINNING, date(2023, 12, 31), ChannelKind.POST_OFFICE, False),
        (JAN, date(2024, 2, 29), ChannelKind.POST_OFFICE, True),
        (MAR, None, ChannelKind.POST_OFFICE, False),
    ]
    latest = ChannelClassification.history.filter(channel=vnpost).latest()
    assert (latest.history_user, latest.history_change_reason) == (users["admin"], "cash all along")


def test_restating_from_the_beginning_joins_the_spans(users, vnpost):
    channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, True, MAR, users["admin"])

    channel_history.restate(vnpost, ChannelKind.POST_OFFICE, True, BEGINNING, users["admin"], "x")

    assert spans(vnpost) == [(BEGINNING, None, ChannelKind.POST_OFFICE, True)]


def test_only_an_administrator_restates_and_says_why(customers, users, pay, vnpost):
    pay(customers["bq1"], JAN, "vnpost")
    before = state(vnpost)

    with pytest.raises(PermissionDenied):
        channel_history.restate(
            vnpost, ChannelKind.POST_OFFICE, True, JAN, users["channel_admin"], "because"
        )
    with pytest.raises(ValidationError, match="Say why"):
        channel_history.restate(vnpost, ChannelKind.POST_OFFICE, True, JAN, users["admin"], " ")
    with pytest.raises(ValidationError, match="before the first"):
        channel_history.restate(
            vnpost, ChannelKind.POST_OFFICE, True, FEB, users["admin"], "x", to_period=JAN
        )

    assert unchanged(vnpost, before)


def test_the_restate_permission_alone_lets_a_channel_admin_restate(users, vnpost):
    from django.contrib.auth.models import Permission

    user = users["channel_admin"]
    user.user_permissions.add(Permission.objects.get(codename="restate_channelclassification"))
    user = type(user).objects.get(pk=user.pk)  # permissions are cached per instance

    channel_history.restate(vnpost, ChannelKind.POST_OFFICE, True, JAN, user, "audit 2024")

    assert spans(vnpost)[-1] == (JAN, None, ChannelKind.POST_OFFICE, True)


def test_a_plain_save_cannot_change_the_kind_or_the_cash_flag(vnpost):
    vnpost.is_cash = True
    with pytest.raises(ValidationError, match="reclassifying"):
        vnpost.save()

    vnpost.refresh_from_db()
    assert not vnpost.is_cash
    vnpost.name = "Bưu điện VNPost"
    vnpost.save()  # anything else saves as before


def test_the_channel_mix_keeps_the_kind_in_force_each_month(customers, users, pay, vnpost):
    pay(customers["bq1"], JAN, "vnpost")
    pay(customers["bq1"], FEB, "vnpost")
    channel_history.reclassify(vnpost, ChannelKind.AGENT_COUNTER, False, FEB, users["admin"])
    freshness.ensure_fresh()

    assert set(ChannelMonth.objects.values_list("period", "kind")) == {
        (JAN, ChannelKind.POST_OFFICE),
        (FEB, ChannelKind.AGENT_COUNTER),
    }
    mix = metrics.channel_mix(start=JAN, end=FEB, channel_kinds=[ChannelKind.POST_OFFICE])
    assert [(r["period"], r["kind"]) for r in mix] == [(JAN, ChannelKind.POST_OFFICE)]


def test_the_preview_lists_the_months_and_the_branch_rates_that_change(
    customers, branches, users, pay
):
    pay(customers["bq1"], JAN, "vnpost")
    pay(customers["bq2"], JAN, "vnpost")
    pay(customers["bq2"], JAN, "agribank")  # stays non-cash through the bank
    pay(customers["bq1"], FEB, "counter")
    freshness.ensure_fresh()
    vnpost = PaymentChannel.objects.get(code="VNPOST")

    changes = channel_history.preview(vnpost, ChannelKind.POST_OFFICE, True, JAN)

    assert [c["period"] for c in changes] == [JAN]
    [branch] = changes[0]["branches"]
    assert (branch["name"], branch["customers"]) == ("Điện lực Bắc Quang", 1)
    assert (branch["before"], branch["after"]) == (pytest.approx(200 / 3), pytest.approx(100 / 3))
    channel_history.restate(vnpost, ChannelKind.POST_OFFICE, True, JAN, users["admin"], "x")
    assert noncash(branches["bq"], JAN) == 1


@pytest.mark.parametrize(
    "kind, is_cash",
    [
        (ChannelKind.COMPANY_COUNTER, False),
        (ChannelKind.COLLECTOR, False),
        (ChannelKind.BANK, True),
        (ChannelKind.AUTO_DEBIT, True),
        (ChannelKind.EWALLET, True),
        (ChannelKind.MOBILE_MONEY, True),
    ],
)
def test_the_database_refuses_a_kind_that_contradicts_the_cash_flag(vnpost, kind, is_cash):
    with pytest.raises(IntegrityError), transaction.atomic():
        PaymentChannel.objects.create(code="X", name="X", kind=kind, is_cash=is_cash)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelClassification.objects.filter(channel=vnpost).update(kind=kind, is_cash=is_cash)
    with pytest.raises(ValidationError):
        PaymentChannel(code="Y", name="Y", kind=kind, is_cash=is_cash).full_clean()


@pytest.mark.parametrize("is_cash", [True, False])
def test_a_post_office_or_an_agent_may_be_either(db, is_cash):
    for kind in (ChannelKind.POST_OFFICE, ChannelKind.AGENT_COUNTER):
        PaymentChannel(code="Z", name="Z", kind=kind, is_cash=is_cash).full_clean()


def test_the_database_refuses_two_open_classifications_or_a_mid_month_start(vnpost):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelClassification.objects.create(
            channel=vnpost, valid_from=FEB, kind=ChannelKind.POST_OFFICE
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelClassification.objects.filter(channel=vnpost).update(valid_from=date(2024, 2, 2))


def test_two_classifications_of_one_channel_at_once_are_refused(vnpost):
    """Python says so on every database (with the reason); PostgreSQL's exclusion constraint
    backs it (test below)."""
    overlapping = ChannelClassification(
        channel=vnpost, valid_from=FEB, valid_to=date(2024, 2, 29), kind=ChannelKind.POST_OFFICE
    )
    with pytest.raises(ValidationError, match="already has a classification then"):
        overlapping.full_clean()


@pytest.mark.postgres
def test_the_database_refuses_two_classifications_of_one_channel_at_once(vnpost):
    with pytest.raises(IntegrityError), transaction.atomic():
        ChannelClassification.objects.create(
            channel=vnpost,
            valid_from=FEB,
            valid_to=date(2024, 2, 29),
            kind=ChannelKind.POST_OFFICE,
        )
