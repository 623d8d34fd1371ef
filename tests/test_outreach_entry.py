"""Branch staff record outreach: validation, double submit, edit window, history."""

import uuid
from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext

from adoption.choices import Role
from adoption.forms import OutreachForm, year_before
from adoption.models import (
    AdminArea,
    BranchTerritory,
    OutreachActivity,
    OutreachRegistration,
    StaffProfile,
)
from adoption.views.outreach import _save_new
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def post(areas, channels, customers):
    """A valid entry for branch BQ; tests change one field at a time."""

    def make(**changes):
        data = {
            "submission_token": str(uuid.uuid4()),
            "date": timezone.localdate().isoformat(),
            "place": areas["village"].pk,
            "partner": channels["viettelpay"].partner_id,
            "staff_names": "Nguyễn Văn An",
            "households_reached": "40",
            "registrations": "12",
            "accounts_opened": "9",
            "gifts": "12",
            "barrier_cash_habit": "10",
            "barrier_no_smartphone": "6",
            "barrier_no_bank_account": "",
            "barrier_fees": "2",
            "barrier_distance": "3",
            "barrier_language": "1",
            "barrier_distrust": "0",
            "customer_codes": "PA20BQ0000001, pa20bq0000002",
            "notes": "Họp thôn tại nhà văn hoá",
        }
        data.update(changes)
        return data

    return make


@pytest.fixture
def staff(client_for, users):
    return client_for(users["staff_bq"])


def vi(message):
    with translation.override("vi"):
        return gettext(message)


def assert_refused(response, field, message):
    """The page comes back with the message next to the field, and nothing was written."""
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert any(message in error for error in errors[field]), errors[field]
    html = response.content.decode()
    field_start = html.index(f'id="id_{field}"') if field != "place" else html.index("id_place")
    assert message.replace("'", "&#x27;") in html[max(0, field_start - 1500) : field_start + 1500]
    assert OutreachActivity.objects.count() == 0
    assert OutreachRegistration.objects.count() == 0


def test_staff_record_an_activity_for_their_own_branch(staff, post, users, branches, areas):
    data = post()
    response = staff.post("/outreach/new", data)

    activity = OutreachActivity.objects.get()
    assert response.status_code == 302
    assert response["Location"].startswith("/outreach/?month=")
    assert response["Location"].endswith(f"#activity-{activity.pk}")
    assert activity.branch == branches["bq"]
    assert activity.created_by == users["staff_bq"]
    assert activity.village == areas["village"]
    assert activity.commune == areas["tan_quang"]
    assert str(activity.submission_token) == data["submission_token"]
    assert (activity.households_reached, activity.registrations, activity.gifts) == (40, 12, 12)
    assert activity.barrier_no_bank_account == 0  # left empty on the phone
    assert sorted(activity.registered_customers.values_list("customer__code", flat=True)) == [
        "PA20BQ0000001",
        "PA20BQ0000002",
    ]


def test_a_commune_can_be_chosen_without_a_village(staff, post, areas):
    staff.post("/outreach/new", post(place=areas["viet_quang"].pk))
    activity = OutreachActivity.objects.get()
    assert (activity.commune, activity.village) == (areas["viet_quang"], None)


def test_the_list_shows_the_new_activity_and_the_months_totals(staff, post):
    staff.post("/outreach/new", post())
    staff.post("/outreach/new", post(households_reached="10", registrations="3", customer_codes=""))
    response = staff.get("/outreach/")
    html = response.content.decode()
    assert "Thôn Khiềm, Xã Tân Quang" in html
    assert response.context["totals"]["activities"] == 2
    assert response.context["totals"]["households_reached"] == 50
    assert response.context["totals"]["registrations"] == 15
    assert response.context["totals"]["barriers_named"] == 2 * (10 + 6 + 2 + 3 + 1)


COUNT_MESSAGE = "Enter a whole number, zero or more."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("households_reached", "-1"),
        ("registrations", "2.5"),
        ("accounts_opened", "ba"),
        ("gifts", "-3"),
        ("barrier_cash_habit", "1,5"),
        ("barrier_distrust", "-1"),
    ],
)
def test_it_refuses_counts_that_are_not_whole_numbers_from_zero(staff, post, field, value):
    response = staff.post("/outreach/new", post(**{field: value}))
    assert_refused(response, field, vi(COUNT_MESSAGE))


def test_it_refuses_more_registrations_than_households_reached(staff, post):
    response = staff.post("/outreach/new", post(households_reached="5", registrations="6"))
    assert_refused(
        response, "registrations", vi("Registrations cannot exceed the households reached.")
    )


def test_it_refuses_a_date_in_the_future_by_vietnam_time(staff, post):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = staff.post("/outreach/new", post(date=tomorrow.isoformat()))
    assert_refused(response, "date", vi("The date cannot be in the future."))


def test_it_refuses_a_date_more_than_a_year_ago(staff, post):
    too_old = year_before(timezone.localdate()) - timedelta(days=1)
    response = staff.post("/outreach/new", post(date=too_old.isoformat()))
    assert_refused(response, "date", vi("The date cannot be more than a year ago."))


def test_it_accepts_a_date_exactly_a_year_ago(staff, post):
    response = staff.post("/outreach/new", post(date=year_before(timezone.localdate()).isoformat()))
    assert response.status_code == 302
    assert OutreachActivity.objects.count() == 1


def test_it_refuses_a_commune_of_another_branch_posted_directly(staff, post, areas):
    response = staff.post("/outreach/new", post(place=areas["yen_binh"].pk))
    assert_refused(response, "place", vi("This place is not in your branch's area."))


def test_it_refuses_a_district_posted_as_a_place(staff, post, areas):
    response = staff.post("/outreach/new", post(place=areas["bq"].pk))
    assert_refused(response, "place", vi("This place is not in your branch's area."))


def test_it_refuses_an_entry_without_a_place(staff, post):
    response = staff.post("/outreach/new", post(place=""))
    assert_refused(response, "place", vi("Choose the commune or village."))


def test_it_refuses_a_customer_code_of_another_branch(staff, post):
    response = staff.post("/outreach/new", post(customer_codes="PA20BQ0000001\nPA20QB0000001"))
    assert_refused(response, "customer_codes", "PA20QB0000001")
    message = vi("No customer of your branch has this code: %(codes)s.") % {
        "codes": "PA20QB0000001"
    }
    assert_refused(response, "customer_codes", message)


def test_it_refuses_a_customer_code_that_does_not_exist(staff, post):
    response = staff.post("/outreach/new", post(customer_codes="PA20BQ0009999"))
    message = vi("No customer of your branch has this code: %(codes)s.") % {
        "codes": "PA20BQ0009999"
    }
    assert_refused(response, "customer_codes", message)


def test_it_refuses_text_that_is_not_a_customer_code(staff, post):
    response = staff.post("/outreach/new", post(customer_codes="PA20BQ0000001 12345"))
    message = vi("Not a customer code: %(codes)s. A code looks like PA20BQ0001234.") % {
        "codes": "12345"
    }
    assert_refused(response, "customer_codes", message)


def test_it_refuses_more_customer_codes_than_registrations(staff, post):
    response = staff.post("/outreach/new", post(registrations="1"))
    with translation.override("vi"):
        message = ngettext(
            "%(codes)d customer code but only %(registrations)d registrations.",
            "%(codes)d customer codes but only %(registrations)d registrations.",
            2,
        ) % {"codes": 2, "registrations": 1}
    assert_refused(response, "customer_codes", message)


def test_customer_codes_may_be_pasted_in_any_separator_and_case(staff, post):
    staff.post("/outreach/new", post(customer_codes=" pa20bq0000001;\r\n\tPA20BQ0000002 ,"))
    assert OutreachRegistration.objects.count() == 2


# Double submit.


def test_a_second_post_with_the_same_token_records_nothing_more(staff, post):
    data = post()
    first = staff.post("/outreach/new", data)
    second = staff.post("/outreach/new", {**data, "households_reached": "99"})

    activity = OutreachActivity.objects.get()
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert activity.households_reached == 40
    assert OutreachRegistration.objects.count() == 2
    assert activity.history.count() == 1


def test_two_posts_racing_with_the_same_token_make_one_record(post, users, branches):
    """The second insert meets the unique token and returns the first activity."""
    data = post()
    token = uuid.UUID(data["submission_token"])
    forms = [OutreachForm(data, branch=branches["bq"]) for _ in range(2)]
    assert all(form.is_valid() for form in forms)

    first, created_first = _save_new(forms[0], users["staff_bq"], token)
    second, created_second = _save_new(forms[1], users["staff_bq"], token)

    assert (created_first, created_second) == (True, False)
    assert first.pk == second.pk
    assert OutreachActivity.objects.count() == 1
    assert OutreachRegistration.objects.count() == 2


@pytest.fixture
def colleague(company, branches):
    """A second staff member of branch BQ."""
    user = User.objects.create_user("staff_bq2", password=PASSWORD)
    user.groups.add(Group.objects.get(name=Role.BRANCH_STAFF.value))
    StaffProfile.objects.create(user=user, company=company, branch=branches["bq"])
    return user


def test_a_token_used_by_someone_else_does_not_hide_their_entry(client_for, post, users, colleague):
    data = post()
    client_for(users["staff_bq"]).post("/outreach/new", data)

    response = client_for(colleague).post("/outreach/new", data)

    assert response.status_code == 302
    assert OutreachActivity.objects.count() == 2
    assert OutreachActivity.objects.filter(created_by=colleague).exists()


# Edit window and history.


@pytest.fixture
def recorded(staff, post):
    staff.post("/outreach/new", post())
    return OutreachActivity.objects.get()


def test_staff_edit_their_own_entry_within_seven_days(staff, post, recorded):
    OutreachActivity.objects.filter(pk=recorded.pk).update(
        created_at=timezone.now() - timedelta(days=6, hours=23)
    )
    response = staff.post(
        f"/outreach/{recorded.pk}/edit",
        post(households_reached="45", customer_codes="PA20BQ0000002 PA20BQ0000003"),
    )
    assert response.status_code == 302
    recorded.refresh_from_db()
    assert recorded.households_reached == 45
    assert sorted(recorded.registered_customers.values_list("customer__code", flat=True)) == [
        "PA20BQ0000002",
        "PA20BQ0000003",
    ]


def test_an_edit_keeps_a_date_that_has_since_passed_a_year(staff, post, recorded):
    old_day = year_before(timezone.localdate()) - timedelta(days=2)
    OutreachActivity.objects.filter(pk=recorded.pk).update(date=old_day)
    response = staff.post(
        f"/outreach/{recorded.pk}/edit", post(date=old_day.isoformat(), households_reached="41")
    )
    assert response.status_code == 302
    recorded.refresh_from_db()
    assert (recorded.date, recorded.households_reached) == (old_day, 41)

    # Moving it further back is still refused.
    older = old_day - timedelta(days=1)
    response = staff.post(f"/outreach/{recorded.pk}/edit", post(date=older.isoformat()))
    assert response.context["form"].errors["date"] == [
        vi("The date cannot be more than a year ago.")
    ]


def test_the_edit_page_shows_the_recorded_values(staff, recorded):
    html = staff.get(f"/outreach/{recorded.pk}/edit").content.decode()
    assert 'name="households_reached" value="40"' in html
    assert "PA20BQ0000001\nPA20BQ0000002" in html
    assert f'<option value="{recorded.village_id}" selected>' in html


def test_staff_cannot_edit_after_seven_days(staff, post, recorded):
    OutreachActivity.objects.filter(pk=recorded.pk).update(
        created_at=timezone.now() - timedelta(days=7, minutes=1)
    )
    assert staff.get(f"/outreach/{recorded.pk}/edit").status_code == 403
    response = staff.post(f"/outreach/{recorded.pk}/edit", post(households_reached="45"))
    assert response.status_code == 403
    recorded.refresh_from_db()
    assert recorded.households_reached == 40
    assert "/edit" not in staff.get("/outreach/").content.decode()


def test_staff_cannot_edit_a_colleagues_entry(client_for, post, colleague, recorded):
    client = client_for(colleague)
    assert client.get("/outreach/").status_code == 200  # they see it ...
    response = client.post(f"/outreach/{recorded.pk}/edit", post(households_reached="1"))
    assert response.status_code == 403  # ... but may not change it
    recorded.refresh_from_db()
    assert recorded.households_reached == 40


def test_an_invalid_edit_changes_nothing(staff, post, recorded):
    response = staff.post(
        f"/outreach/{recorded.pk}/edit", post(households_reached="3", customer_codes="")
    )
    assert response.status_code == 200
    assert "registrations" in response.context["form"].errors
    recorded.refresh_from_db()
    assert recorded.households_reached == 40
    assert recorded.registered_customers.count() == 2
    assert recorded.history.count() == 1


def test_every_change_is_in_the_history_with_who_made_it(staff, post, users, recorded):
    staff.post(
        f"/outreach/{recorded.pk}/edit",
        post(households_reached="45", customer_codes="PA20BQ0000002"),
    )
    history = list(recorded.history.order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert {h.history_user for h in history} == {users["staff_bq"]}
    delta = history[1].diff_against(history[0])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("households_reached", 40, 45)]

    removed = OutreachRegistration.history.filter(history_type="-").get()
    assert removed.customer.code == "PA20BQ0000001"
    assert removed.history_user == users["staff_bq"]


# Weight (figures printed by bench/outreach_page_weight.py as well).

SYLLABLES = "Tân Quang Việt Vĩnh Hảo Khiềm Nà Lũng Pìn Xuân Minh Đồng Yên Thượng Hạ Bình Tiên Kiều"


def test_the_entry_page_weighs_at_most_60_kb_gzipped_with_its_css_js_and_worker(
    staff, areas, branches, channels, capsys
):
    import random

    from bench.outreach_page_weight import BUDGET, page_weight

    # A large area: 30 communes of 15 villages, with varied names that compress less well.
    words = SYLLABLES.split()
    pick = random.Random(7).sample
    for c in range(30):
        commune = AdminArea.objects.create(
            level="commune", name="Xã " + " ".join(pick(words, 2)) + f" {c}", parent=areas["bq"]
        )
        BranchTerritory.objects.create(
            branch=branches["bq"], commune=commune, valid_from=date(1900, 1, 1)
        )
        AdminArea.objects.bulk_create(
            AdminArea(level="village", name="Thôn " + " ".join(pick(words, 3)), parent=commune)
            for _ in range(15)
        )

    response = staff.get("/outreach/new")
    rows = page_weight(response.content, staff.get("/outreach/sw.js").content)
    total = sum(packed for _, _, packed in rows)

    assert len(response.context["form"].place_options()) >= 480
    with capsys.disabled():
        print(
            f"\noutreach entry page: {total:,} B gzipped with CSS, JS, worker (budget {BUDGET:,})"
        )
    assert total <= BUDGET
