"""Outreach report exports carry real dates: date cells in XLSX, ISO dates in CSV."""

import csv
import io
from datetime import date, datetime

import openpyxl
import pytest
from django.utils import timezone

from adoption.choices import CustomerType
from adoption.models import CommuneMonth, OutreachActivity, OutreachPlan

pytestmark = pytest.mark.django_db


@pytest.fixture
def outreach(branches, areas, customers):
    bq = branches["bq"]
    activity = OutreachActivity.objects.create(
        branch=bq, date=date(2026, 6, 15), commune=areas["tan_quang"], households_reached=30
    )
    activity.registered_customers.create(customer=customers["bq2"])
    CommuneMonth.objects.create(
        period=date(2026, 5, 1),
        branch=bq,
        commune=areas["tan_quang"],
        customer_type=CustomerType.HOUSEHOLD,
        active_customers=50,
    )
    OutreachPlan.objects.create(branch=bq, date=timezone.localdate(), commune=areas["tan_quang"])
    return activity


REPORTS = [
    ("/outreach/totals/?start=2026-01&end=2026-12", "", date(2026, 6, 1)),
    ("/outreach/effect/?start=2026-01&end=2026-12", "", date(2026, 6, 1)),
    ("/outreach/funnel/?start=2026-01&end=2026-12", "activity-", date(2026, 6, 15)),
    ("/outreach/next/", "commune-", None),  # column "last visit"
    ("/outreach/plans/", "month-", None),
]


def first_date(values):
    return next(v for v in values if isinstance(v, datetime | date))


@pytest.mark.parametrize("url, table, expected", REPORTS)
def test_exports_hold_dates_not_text(client_for, users, outreach, url, table, expected):
    client = client_for(users["staff_bq"])
    today = timezone.localdate()
    expected = (
        expected
        or {
            "/outreach/next/": date(2026, 6, 15),
            "/outreach/plans/": today.replace(day=1),
        }[url.split("?")[0]]
    )

    xlsx = client.get(url, {"_export": "xlsx", "table": table})
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert rows
    cell = first_date(rows[0])
    assert isinstance(cell, datetime) and cell.date() == expected

    text = client.get(url, {"_export": "csv", "table": table}).content.decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    assert expected.isoformat() in first
