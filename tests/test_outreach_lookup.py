"""Household lookup by customer code: branch staff learn whether one of their branch's
households already pays without cash, through which kind of channel and since when; nothing
about another branch's customers, and never a name or an amount."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from django.utils.translation import gettext

from adoption.choices import ChannelKind
from adoption.household_lookup import lookup
from adoption.models import Payment

pytestmark = pytest.mark.django_db
VN = ZoneInfo("Asia/Ho_Chi_Minh")


def pay(customer, channel, period, ref, amount=187_000):
    Payment.objects.create(
        customer=customer,
        channel=channel,
        period=period,
        amount=amount,
        paid_at=datetime(period.year, period.month, 20, 9, tzinfo=VN),
        reference=ref,
    )


def main(html):
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def history(customers, channels):
    """bq1: cash for 01–02/2026, by bank for 03/2026, unpaid 04, by wallet for 05–06/2026."""
    bq1 = customers["bq1"]
    pay(bq1, channels["counter"], date(2026, 1, 1), "1")
    pay(bq1, channels["counter"], date(2026, 2, 1), "2")
    pay(bq1, channels["agribank"], date(2026, 3, 1), "3")
    pay(bq1, channels["viettelpay"], date(2026, 5, 1), "5")
    pay(bq1, channels["viettelpay"], date(2026, 6, 1), "6")
    # bq2: by wallet for 01/2026, back to cash for 02/2026.
    pay(customers["bq2"], channels["viettelpay"], date(2026, 1, 1), "b1")
    pay(customers["bq2"], channels["collector"], date(2026, 2, 1), "b2")
    pay(customers["qb1"], channels["viettelpay"], date(2026, 1, 1), "q1")
    return customers


def test_a_noncash_household_shows_its_channel_kind_and_since_when(history):
    result = lookup(history["bq1"])
    assert result["noncash"] is True
    assert result["kind"] == ChannelKind.EWALLET
    # The unpaid April does not break the run that began with March's bank payment.
    assert result["since"] == date(2026, 3, 1)


def test_a_household_back_to_cash_is_not_noncash(history):
    result = lookup(history["bq2"])
    assert (result["noncash"], result["kind"], result["since"]) == (False, None, None)
    assert result["last_period"] == date(2026, 2, 1)


def test_a_household_that_never_paid(customers):
    assert lookup(customers["bq3"])["paid"] is False


def test_staff_look_up_their_own_branch_customer(client_for, users, history):
    page = client_for(users["staff_bq"]).get("/outreach/lookup/?code=pa20bq0000001")
    html = page.content.decode()
    assert page.status_code == 200
    with translation.override("vi"):
        assert gettext("Already paying without cash.") in html and "03/2026" in html
        assert str(ChannelKind.EWALLET.label) in html
    # No name, no amount.
    assert history["bq1"].name not in html
    assert "187" not in html


def test_another_branch_customer_is_not_found_and_nothing_leaks(client_for, users, history):
    client = client_for(users["staff_bq"])
    other = client.get("/outreach/lookup/?code=PA20QB0000001").content.decode()
    missing = client.get("/outreach/lookup/?code=PA20QB0000009").content.decode()
    with translation.override("vi"):
        message = gettext("No customer of your branch has the code %(code)s.")
        assert message % {"code": "PA20QB0000001"} in other
    # The page for another branch's customer is the page for a code nobody has.
    assert main(other).replace("PA20QB0000001", "X") == main(missing).replace("PA20QB0000009", "X")
    assert history["qb1"].name not in other
    with translation.override("vi"):
        assert str(ChannelKind.EWALLET.label) not in other


@pytest.mark.parametrize("role", ["manager", "channel_admin", "outsider", "admin"])
def test_only_branch_staff_may_look_up(client_for, users, history, role):
    response = client_for(users[role]).get("/outreach/lookup/?code=PA20BQ0000001")
    assert response.status_code == 403
