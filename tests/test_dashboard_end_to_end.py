"""From raw payments through the rollup fill to the numbers a manager downloads."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

from adoption.metrics import freshness
from adoption.models import Payment

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def _pay(customer, channel, reference, period=date(2025, 1, 1), amount=150_000):
    return Payment.objects.create(
        customer=customer,
        channel=channel,
        period=period,
        amount=amount,
        paid_at=datetime(2025, 1, 20, 9, 0, tzinfo=VN),
        reference=reference,
    )


def test_the_district_export_shows_the_rates_of_the_raw_payments(
    client_for, users, customers, channels, in_english
):
    _pay(customers["bq1"], channels["viettelpay"], "V1")
    _pay(customers["bq2"], channels["counter"], "Q1")
    _pay(customers["bq3"], channels["agribank"], "A1")
    _pay(customers["bq3"], channels["counter"], "Q2")  # paid twice, once by bank: non-cash
    _pay(customers["qb1"], channels["collector"], "T1")
    freshness.refresh()

    client = client_for(users["manager"])
    client.cookies["django_language"] = "en"
    response = client.get("/", {"start": "2025-01", "end": "2025-01", "_export": "csv"})
    # The first row says the period (adoption.exports), the second is the header.
    period, header, *body = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    assert "01/2025" in period[0]
    rows = {row[0]: row for row in body}
    rate = header.index("Adoption rate (%)")
    customers_col = header.index("Customers")
    # Bắc Quang: bq1 and bq3 of three customers; Quang Bình: none of one.
    bq = next(row for name, row in rows.items() if "Bắc Quang" in name)
    qb = next(row for name, row in rows.items() if "Quang Bình" in name)
    assert (bq[customers_col], float(bq[rate])) == ("3", 66.7)  # exports keep one decimal
    assert (qb[customers_col], float(qb[rate])) == ("1", 0.0)
