"""The channel admin: kind and cash flag read-only on the change form, the "Reclassify from a
month" page (with its confirmation of months already reported), and the name history."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from adoption import channel_history, metrics
from adoption.choices import ChannelKind
from adoption.metrics import freshness
from adoption.models import ChannelClassification, Payment, PaymentChannel, RollupDirty
from adoption.months import add_months, this_month

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SEP, OCT, NOV = (date(2021, m, 1) for m in (9, 10, 11))


@pytest.fixture
def vnpost(db):
    return PaymentChannel.objects.create(code="VNPOST", name="VNPost", kind=ChannelKind.POST_OFFICE)


def url(channel, page="reclassify"):
    return f"/admin/adoption/paymentchannel/{channel.pk}/{page}/"


def pay(customer, period, channel, n=[0]):  # noqa: B006 - a counter for unique references
    n[0] += 1
    return Payment.objects.create(
        customer=customer,
        period=period,
        channel=channel,
        amount=100_000,
        paid_at=datetime(period.year, period.month, 20, tzinfo=TZ),
        reference=f"ADM{n[0]}",
    )


def bq_rate(branches, period):
    freshness.ensure_fresh()
    [row] = metrics.monthly_rates(start=period, end=period, branch_ids=[branches["bq"].id])
    return row["adoption_rate"]


def test_the_change_form_shows_the_classification_read_only_with_a_link(client_for, users, vnpost):
    response = client_for(users["channel_admin"]).get(url(vnpost, "change"))

    assert response.status_code == 200
    assert 'name="is_cash"' not in response.text
    assert 'name="kind"' not in response.text
    assert url(vnpost) in response.text
    assert 'class="classification-history"' in response.text


def test_the_add_form_still_sets_the_first_classification(client_for, users):
    response = client_for(users["channel_admin"]).post(
        "/admin/adoption/paymentchannel/add/",
        {"code": "ZALO", "name": "ZaloPay", "kind": ChannelKind.EWALLET, "fee_per_transaction": 0},
    )

    assert response.status_code == 302
    channel = PaymentChannel.objects.get(code="ZALO")
    assert channel_history.timeline(channel)[0].kind == ChannelKind.EWALLET


def test_the_add_form_refuses_a_counter_that_is_not_cash(client_for, users):
    response = client_for(users["channel_admin"]).post(
        "/admin/adoption/paymentchannel/add/",
        {"code": "Q2", "name": "Quầy 2", "kind": ChannelKind.COMPANY_COUNTER},
    )

    assert response.status_code == 200
    assert "luôn là tiền mặt" in response.text
    assert not PaymentChannel.objects.filter(code="Q2").exists()


def test_a_channel_admin_reclassifies_from_next_month_at_once(client_for, users, vnpost):
    next_month = add_months(this_month(), 1)

    response = client_for(users["channel_admin"]).post(
        url(vnpost),
        {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": f"{next_month:%Y-%m}"},
    )

    assert response.status_code == 302
    last = channel_history.timeline(vnpost)[-1]
    assert (last.valid_from, last.is_cash) == (next_month, True)
    assert ChannelClassification.history.filter(history_user=users["channel_admin"]).exists()


def test_a_channel_admin_is_told_a_past_month_is_for_an_administrator(client_for, users, vnpost):
    response = client_for(users["channel_admin"]).post(
        url(vnpost), {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": "2021-11"}
    )

    assert response.status_code == 200
    assert "chỉ quản trị viên mới được làm việc đó" in response.text
    assert len(channel_history.timeline(vnpost)) == 1


def test_a_date_in_the_middle_of_a_month_is_refused_with_the_reason(client_for, users, vnpost):
    response = client_for(users["admin"]).post(
        url(vnpost),
        {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": "2021-11-15"},
    )

    assert response.status_code == 200
    assert "ngày 15/11/2021 nằm giữa tháng 11/2021" in response.text
    assert len(channel_history.timeline(vnpost)) == 1


def test_a_channel_admin_cannot_restate(client_for, users, vnpost):
    response = client_for(users["channel_admin"]).post(
        url(vnpost),
        {
            "kind": ChannelKind.POST_OFFICE,
            "is_cash": "on",
            "from_period": "2021-01",
            "restate": "on",
            "reason": "x",
        },
    )

    assert response.status_code == 200
    assert "Chỉ quản trị viên mới được điều chỉnh" in response.text
    assert len(channel_history.timeline(vnpost)) == 1


def test_vnpost_ticked_cash_from_a_month_leaves_bac_quangs_earlier_months_alone(
    client_for, users, customers, branches, vnpost
):
    for period in (SEP, OCT, NOV):
        pay(customers["bq1"], period, vnpost)
    before = [bq_rate(branches, p) for p in (SEP, OCT, NOV)]
    client = client_for(users["admin"])
    form = {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": "2021-11"}

    confirm = client.post(url(vnpost), form)

    # Months already reported: shown first, with Bắc Quang's rate before and after.
    assert confirm.status_code == 200
    assert "reclassify-changes" in confirm.text
    assert (
        "11/2021" in confirm.text and "10/2021" not in confirm.text.split("reclassify-changes")[1]
    )
    assert "Điện lực Bắc Quang" in confirm.text
    assert len(channel_history.timeline(vnpost)) == 1
    assert not RollupDirty.objects.exists()

    done = client.post(url(vnpost), {**form, "confirmed": "on"})

    assert done.status_code == 302
    after = [bq_rate(branches, p) for p in (SEP, OCT, NOV)]
    assert after[:2] == before[:2]
    assert after[2] < before[2]


def test_an_administrator_restates_after_confirming_the_months(
    client_for, users, customers, branches, vnpost
):
    for period in (SEP, OCT, NOV):
        pay(customers["bq1"], period, vnpost)
    before = [bq_rate(branches, p) for p in (SEP, OCT, NOV)]
    client = client_for(users["admin"])
    form = {
        "kind": ChannelKind.POST_OFFICE,
        "is_cash": "on",
        "from_period": "2021-09",
        "to_period": "2021-10",
        "restate": "on",
        "reason": "VNPost collected cash in 2021",
    }

    confirm = client.post(url(vnpost), form)
    assert confirm.status_code == 200
    changes = confirm.text.split("reclassify-changes")[1]
    assert "09/2021" in changes and "10/2021" in changes and "11/2021" not in changes

    assert client.post(url(vnpost), {**form, "confirmed": "on"}).status_code == 302
    after = [bq_rate(branches, p) for p in (SEP, OCT, NOV)]
    assert after[0] < before[0] and after[1] < before[1] and after[2] == before[2]
    record = ChannelClassification.history.filter(channel=vnpost).latest()
    assert record.history_user == users["admin"]
    assert record.history_change_reason == "VNPost collected cash in 2021"


def test_a_rename_keeps_one_channel_and_shows_the_earlier_name(client_for, users, channels):
    viettel = channels["viettelpay"]
    viettel.name = "Viettel Money"
    viettel.save()

    response = client_for(users["channel_admin"]).get(url(viettel, "change"))

    assert PaymentChannel.objects.filter(code="VTP").count() == 1
    assert "ViettelPay (đến " in response.text


def test_the_confirmation_page_carries_the_change_it_shows(client_for, users, vnpost):
    client = client_for(users["admin"])
    form = {"kind": ChannelKind.AGENT_COUNTER, "is_cash": "on", "from_period": "2021-10"}
    confirm = client.post(url(vnpost), form)
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', confirm.text))
    hidden.pop("csrfmiddlewaretoken", None)

    assert hidden["confirmed"] in ("True", "on")
    assert client.post(url(vnpost), hidden).status_code == 302
    last = channel_history.timeline(vnpost)[-1]
    assert (last.valid_from, last.kind, last.is_cash) == (OCT, ChannelKind.AGENT_COUNTER, True)


def test_restoring_a_past_version_keeps_the_classification(client_for, users, vnpost):
    from tests.test_admin_history_form import history_form_url, posted_form

    channel_history.reclassify(vnpost, ChannelKind.POST_OFFICE, True, this_month(), users["admin"])
    PaymentChannel.objects.filter(pk=vnpost.pk).update(name="VNPost (renamed)")
    client = client_for(users["admin"])
    url_ = history_form_url(vnpost)  # the first version: non-cash, named VNPost

    response = client.post(url_, posted_form(client, url_))

    assert response.status_code == 302
    vnpost.refresh_from_db()
    assert (vnpost.name, vnpost.is_cash) == ("VNPost", True)


def test_a_manager_who_only_views_channels_cannot_open_the_reclassify_page(
    client_for, users, vnpost
):
    client = client_for(users["manager"])

    assert client.get(url(vnpost)).status_code == 403
    response = client.post(
        url(vnpost), {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": "2030-01"}
    )
    assert response.status_code == 403
    assert len(channel_history.timeline(vnpost)) == 1
