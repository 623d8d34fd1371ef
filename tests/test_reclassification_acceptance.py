"""Acceptance (issue 13): reclassifying a channel from next month changes no past figure, as the
dashboard's CSV exports read it before and after, at the real current date."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from adoption import channel_history
from adoption.choices import ChannelKind
from adoption.models import Payment, PaymentChannel
from adoption.months import add_months, this_month

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@pytest.fixture
def paid(customers, channels):
    """Three past months of payments through VNPost (non-cash), a bank and the counter."""
    vnpost = PaymentChannel.objects.create(
        code="VNPOST", name="VNPost", kind=ChannelKind.POST_OFFICE
    )
    current = this_month()
    months = [add_months(current, -n) for n in (3, 2, 1)]
    n = 0
    for period in months:
        for customer, channel in [
            (customers["bq1"], vnpost),
            (customers["bq2"], channels["agribank"]),
            (customers["qb1"], vnpost),
            (customers["qb1"], channels["counter"]),
        ]:
            n += 1
            Payment.objects.create(
                customer=customer,
                period=period,
                channel=channel,
                amount=150_000,
                paid_at=datetime(period.year, period.month, 25, tzinfo=TZ),
                reference=f"ACC{n}",
            )
    return vnpost, months


def exports(client, months):
    """The overview's district table, Bắc Quang's commune table and the partner table, as CSV."""
    query = {"start": f"{months[0]:%Y-%m}", "end": f"{months[-1]:%Y-%m}", "_export": "csv"}
    result = {}
    for page in ("/", "/branches/BQ/", "/channels/"):
        response = client.get(page, query)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        result[page] = response.content.decode("utf-8")
    return result


def test_reclassifying_a_channel_from_next_month_changes_no_past_figure(
    client_for, users, paid, drain
):
    vnpost, months = paid
    drain()
    manager = client_for(users["manager"])
    before = exports(manager, months)
    assert "Huyện Bắc Quang,,3,2,66.7" in before["/"]  # 2 of 3 customers non-cash, no target

    next_month = add_months(this_month(), 1)
    response = client_for(users["channel_admin"]).post(
        f"/admin/adoption/paymentchannel/{vnpost.pk}/reclassify/",
        {"kind": ChannelKind.POST_OFFICE, "is_cash": "on", "from_period": f"{next_month:%Y-%m}"},
    )
    assert response.status_code == 302
    vnpost.refresh_from_db()
    assert vnpost.is_cash  # from next month on

    drain()
    assert exports(client_for(users["manager"]), months) == before


def test_restating_the_last_month_does_change_it(client_for, users, paid, drain):
    """The comparison above can see a change: the same channel restated as cash in the last
    month changes that month's export."""
    vnpost, months = paid
    drain()
    before = exports(client_for(users["manager"]), months)

    channel_history.restate(
        vnpost, ChannelKind.POST_OFFICE, True, months[-1], users["admin"], "cash last month"
    )
    drain()

    after = exports(client_for(users["manager"]), months)
    assert after["/"] != before["/"]
    assert after["/channels/"] == before["/channels/"]  # payments and VND per partner stay
