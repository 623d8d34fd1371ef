"""Each role's main path on today's date, unfrozen, in a world after the 2025 reform; and
the same paths frozen on either side of 01/07/2025."""

import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from adoption import area_reform
from adoption.metrics import freshness
from adoption.models import OutreachActivity, Payment
from adoption.months import add_months
from tests.territory_fixture import REFORM, make_reform

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


@contextmanager
def frozen(day):
    """timezone.now() (and so localdate()) at noon of this day in Vietnam."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=TZ)
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


@pytest.fixture
def reformed(areas, customers, branches):
    new = make_reform(areas)
    area_reform.apply_area_reform(REFORM)
    return new


def outreach(place, day):
    return {
        "submission_token": str(uuid.uuid4()),
        "date": day.isoformat(),
        "place": place.pk,
        "staff_names": "Nguyễn Văn An",
        "households_reached": "40",
        "registrations": "0",
    }


def place_labels(client):
    form = client.get("/outreach/new").context["form"]
    return [option["label"] for option in form.place_options()]


def test_branch_staff_record_an_outreach_today_in_a_current_commune(client_for, users, reformed):
    staff = client_for(users["staff_bq"])
    labels = place_labels(staff)
    # Today's communes only, each name once; the old ones ended on 30/06/2025.
    assert "Xã Bắc Quang" in labels and "Xã Tân Quang" in labels
    assert "Thị trấn Việt Quang" not in labels
    assert len(labels) == len(set(labels))
    today = timezone.localdate()
    response = staff.post("/outreach/new", outreach(reformed["bac_quang"], today))
    assert response.status_code == 302
    activity = OutreachActivity.objects.get()
    assert (activity.date, activity.commune) == (today, reformed["bac_quang"])


def test_an_outreach_today_in_an_old_commune_is_refused(client_for, users, reformed, areas):
    staff = client_for(users["staff_bq"])
    response = staff.post("/outreach/new", outreach(areas["viet_quang"], timezone.localdate()))
    assert response.status_code == 200
    assert not OutreachActivity.objects.exists()


def test_the_manager_opens_on_the_latest_complete_month(client_for, users, customers, channels):
    last_month = add_months(timezone.localdate().replace(day=1), -1)
    Payment.objects.create(
        customer=customers["bq1"],
        period=last_month,
        channel=channels["viettelpay"],
        amount=100_000,
        paid_at=timezone.now() - timedelta(days=1),
        reference="R1",
    )
    freshness.refresh()
    response = client_for(users["manager"]).get("/")
    assert response.status_code == 200
    assert response.context["scope"].end == last_month


@pytest.mark.parametrize(
    "day, communes, district_label",
    [
        (date(2025, 6, 15), {"Thị trấn Việt Quang", "Xã Tân Quang"}, "Huyện Bắc Quang"),
        (date(2025, 7, 15), {"Xã Bắc Quang", "Xã Tân Quang"}, "Điện lực Bắc Quang"),
    ],
)
def test_either_side_of_the_reform(client_for, users, reformed, day, communes, district_label):
    with frozen(day):
        staff = client_for(users["staff_bq"])
        labels = set(place_labels(staff))
        assert {label for label in labels if not label.startswith("Thôn")} == communes
        page = client_for(users["manager"]).get("/", {"view": "now"})
        assert page.status_code == 200
        assert district_label in page.content.decode()
