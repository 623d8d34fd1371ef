"""The outreach rules hold in the admin too: dates, counts, places and a colleague's entries.

Each attack is what branch staff did through the admin before; each is refused with the
message, and nothing changes."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from adoption import territory
from adoption.models import AdminArea, OutreachActivity, OutreachRegistration

ADD = "/admin/adoption/outreachactivity/add/"
COUNTS = (
    "accounts_opened",
    "gifts",
    "barrier_cash_habit",
    "barrier_no_smartphone",
    "barrier_no_bank_account",
    "barrier_fees",
    "barrier_distance",
    "barrier_language",
    "barrier_distrust",
)


@pytest.fixture
def staff(client_for, users):
    client = client_for(users["staff_bq"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def form(branch, commune, *, day=None, households=30, registrations=5):
    return {
        "branch": branch.pk,
        "date": (day or timezone.localdate()).isoformat(),
        "commune": commune.pk,
        "households_reached": households,
        "registrations": registrations,
        "registered_customers-TOTAL_FORMS": 0,
        "registered_customers-INITIAL_FORMS": 0,
        "registered_customers-MIN_NUM_FORMS": 0,
        "registered_customers-MAX_NUM_FORMS": 1000,
        **dict.fromkeys(COUNTS, 0),
    }


def refused_with(response, field, message):
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert message in " ".join(errors.get(field, [])), errors
    assert OutreachActivity.objects.count() == 0


def test_the_entry_rules_hold_for_a_good_entry(staff, users, branches, areas):
    response = staff.post(ADD, form(branches["bq"], areas["tan_quang"]))

    assert response.status_code == 302
    assert OutreachActivity.objects.get().created_by == users["staff_bq"]


@pytest.mark.parametrize(
    ("days", "message"),
    [
        (400, "The date cannot be in the future."),
        (-5 * 365, "The date cannot be more than a year ago."),
    ],
)
def test_a_date_outside_the_window_is_refused(staff, branches, areas, days, message):
    day = timezone.localdate() + timedelta(days=days)

    response = staff.post(ADD, form(branches["bq"], areas["tan_quang"], day=day))

    refused_with(response, "date", message)


def test_two_billion_households_are_refused(staff, branches, areas):
    response = staff.post(
        ADD, form(branches["bq"], areas["tan_quang"], households=2_000_000_000, registrations=1)
    )

    refused_with(response, "households_reached", "At most 100.000.")


def test_a_commune_another_branch_serves_is_refused(staff, branches, areas, customers):
    # A commune of the 2025 reform hangs under the province: its district cannot tell, the
    # territory does.
    merged = AdminArea.objects.create(
        level="commune", code="00971", name="Xã Bằng Lang", parent=areas["province"]
    )
    territory.reassign_communes([(merged, branches["qb"])], timezone.localdate().replace(day=1))

    response = staff.post(ADD, form(branches["bq"], merged))

    refused_with(response, "commune", "Điện lực Bắc Quang does not serve Xã Bằng Lang")


@pytest.fixture
def colleagues_old_entry(users, branches, areas, customers):
    """A colleague's activity of a month ago, with one registered customer."""
    colleague = users["staff_bq"].__class__.objects.create(username="colleague_bq")
    activity = OutreachActivity.objects.create(
        branch=branches["bq"],
        date=timezone.localdate() - timedelta(days=30),
        commune=areas["tan_quang"],
        households_reached=20,
        registrations=2,
        created_by=colleague,
    )
    OutreachActivity.objects.filter(pk=activity.pk).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    registration = activity.registered_customers.create(customer=customers["bq1"])
    return activity, registration


def test_registrations_cannot_be_added_to_a_colleagues_old_entry(
    staff, colleagues_old_entry, customers
):
    activity, registration = colleagues_old_entry

    response = staff.post(
        "/admin/adoption/outreachregistration/add/",
        {"activity": activity.pk, "customer": customers["bq2"].pk},
    )

    assert response.status_code == 200
    assert "your own entries for 7 days only" in str(response.context["adminform"].form.errors)
    assert list(OutreachRegistration.objects.all()) == [registration]


def test_registrations_cannot_be_deleted_from_a_colleagues_old_entry(staff, colleagues_old_entry):
    activity, registration = colleagues_old_entry
    url = f"/admin/adoption/outreachregistration/{registration.pk}/delete/"

    response = staff.post(url, {"post": "yes"})

    assert response.status_code == 403
    assert list(OutreachRegistration.objects.all()) == [registration]


def test_registrations_cannot_be_moved_from_a_colleagues_old_entry(
    staff, colleagues_old_entry, customers
):
    activity, registration = colleagues_old_entry
    url = f"/admin/adoption/outreachregistration/{registration.pk}/change/"

    response = staff.post(url, {"activity": activity.pk, "customer": customers["bq2"].pk})

    assert response.status_code == 403
    registration.refresh_from_db()
    assert registration.customer == customers["bq1"]


def test_the_model_refuses_the_same_values_whoever_saves(branches, areas):
    activity = OutreachActivity(
        branch=branches["bq"],
        date=timezone.localdate() + timedelta(days=400),
        commune=areas["tan_quang"],
        households_reached=2_000_000_000,
    )

    with pytest.raises(Exception) as error:
        activity.full_clean()

    assert set(error.value.message_dict) >= {"date", "households_reached"}
