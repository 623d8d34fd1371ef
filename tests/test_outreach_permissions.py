"""Who may see, add and change outreach, tried from the outside as each role."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone

from adoption.models import OutreachActivity

pytestmark = pytest.mark.django_db


REPORTS = ["/outreach/effect/", "/outreach/totals/", "/outreach/funnel/"]


@pytest.fixture
def activities(users, branches, areas, customers):
    """One fresh activity per branch, each recorded by that branch's staff."""
    today = timezone.localdate()
    bq = OutreachActivity.objects.create(
        branch=branches["bq"],
        date=today,
        commune=areas["tan_quang"],
        households_reached=30,
        registrations=5,
        created_by=users["staff_bq"],
    )
    qb = OutreachActivity.objects.create(
        branch=branches["qb"],
        date=today,
        commune=areas["yen_binh"],
        households_reached=20,
        registrations=4,
        created_by=users["staff_qb"],
    )
    bq.registered_customers.create(customer=customers["bq2"])
    qb.registered_customers.create(customer=customers["qb1"])
    return {"bq": bq, "qb": qb}


def entry(place, **changes):
    return {
        "submission_token": str(uuid.uuid4()),
        "date": timezone.localdate().isoformat(),
        "place": place.pk,
        "households_reached": "7",
        "registrations": "1",
        **changes,
    }


def test_staff_see_only_their_branch_in_the_list(client_for, users, activities):
    html = client_for(users["staff_qb"]).get("/outreach/").content.decode()
    assert f'id="activity-{activities["qb"].pk}"' in html
    assert f'id="activity-{activities["bq"].pk}"' not in html
    assert "Xã Tân Quang" not in html


def test_a_hand_edited_list_url_falls_back_quietly(client_for, users, activities):
    client = client_for(users["staff_qb"])
    response = client.get(f"/outreach/?month=2026-13&saved=x{activities['bq'].pk}")
    assert response.status_code == 200
    response = client.get(f"/outreach/?saved={activities['bq'].pk}")
    assert 'id="outreach-saved"' not in response.content.decode()  # not theirs to see


def test_staff_cannot_open_another_branchs_activity_by_url(client_for, users, activities):
    client = client_for(users["staff_qb"])
    assert client.get(f"/outreach/{activities['bq'].pk}/edit").status_code == 404


def test_staff_cannot_change_another_branchs_activity_by_url(client_for, users, areas, activities):
    client = client_for(users["staff_qb"])
    response = client.post(
        f"/outreach/{activities['bq'].pk}/edit",
        entry(areas["yen_binh"], households_reached="999"),
    )
    assert response.status_code == 404
    activities["bq"].refresh_from_db()
    assert (activities["bq"].households_reached, activities["bq"].branch.code) == (30, "BQ")
    assert activities["bq"].history.count() == 1


def test_staff_cannot_add_to_another_branch(client_for, users, areas, branches, activities):
    client = client_for(users["staff_qb"])
    response = client.post("/outreach/new", entry(areas["tan_quang"], branch=branches["bq"].pk))
    assert response.status_code == 200
    assert "place" in response.context["form"].errors
    assert OutreachActivity.objects.count() == 2

    # A branch field smuggled in the post is ignored: the entry is always the staff's branch.
    client.post("/outreach/new", entry(areas["yen_binh"], branch=branches["bq"].pk))
    assert OutreachActivity.objects.filter(branch=branches["qb"]).count() == 2
    assert OutreachActivity.objects.filter(branch=branches["bq"]).count() == 1


def test_the_place_list_offers_only_the_staffs_branch(client_for, users, areas):
    form = client_for(users["staff_qb"]).get("/outreach/new").context["form"]
    offered = {option["id"] for option in form.place_options()}
    assert offered == {areas["yen_binh"].pk}


def test_staff_cannot_attach_another_branchs_customers(client_for, users, areas, activities):
    client = client_for(users["staff_qb"])
    response = client.post(
        "/outreach/new", entry(areas["yen_binh"], customer_codes="PA20BQ0000001")
    )
    assert "customer_codes" in response.context["form"].errors
    assert OutreachActivity.objects.count() == 2


def test_managers_see_every_branch_but_cannot_add_or_change(client_for, users, areas, activities):
    client = client_for(users["manager"])
    html = client.get("/outreach/").content.decode()
    assert f'id="activity-{activities["bq"].pk}"' in html
    assert f'id="activity-{activities["qb"].pk}"' in html
    assert 'href="/outreach/new"' not in html

    assert client.get("/outreach/new").status_code == 403
    assert client.post("/outreach/new", entry(areas["tan_quang"])).status_code == 403
    assert client.get(f"/outreach/{activities['bq'].pk}/edit").status_code == 403
    response = client.post(
        f"/outreach/{activities['bq'].pk}/edit", entry(areas["tan_quang"], households_reached="1")
    )
    assert response.status_code == 403
    assert OutreachActivity.objects.count() == 2
    activities["bq"].refresh_from_db()
    assert activities["bq"].households_reached == 30


def test_superusers_read_but_record_nothing_here(client_for, users, areas, activities):
    client = client_for(users["admin"])
    assert client.get("/outreach/").status_code == 200
    assert client.post("/outreach/new", entry(areas["tan_quang"])).status_code == 403
    assert client.get(f"/outreach/{activities['bq'].pk}/edit").status_code == 403


@pytest.mark.parametrize("role", ["outsider", "channel_admin"])
def test_users_without_outreach_rights_are_refused_everywhere(
    client_for, users, areas, activities, role
):
    client = client_for(users[role])
    for url in ["/outreach/", "/outreach/new", f"/outreach/{activities['bq'].pk}/edit", *REPORTS]:
        assert client.get(url).status_code == 403, url
    assert client.post("/outreach/new", entry(areas["tan_quang"])).status_code == 403
    assert OutreachActivity.objects.count() == 2


def test_anonymous_visitors_are_sent_to_login(client, activities):
    for url in ["/outreach/", "/outreach/new", f"/outreach/{activities['bq'].pk}/edit", *REPORTS]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", REPORTS)
def test_report_pages_show_staff_only_their_branch(client_for, users, activities, url):
    client = client_for(users["staff_qb"])
    html = client.get(url).content.decode()
    assert "Quang Bình" in html
    assert "Bắc Quang" not in html
    # Asking for the other branch by its code falls back to what they may see.
    assert "Bắc Quang" not in client.get(f"{url}?branch=BQ").content.decode()


@pytest.mark.parametrize("url", REPORTS)
def test_report_exports_hold_only_the_staffs_branch(client_for, users, activities, url):
    response = client_for(users["staff_qb"]).get(f"{url}?_export=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    text = "\n".join(",".join(row) for row in rows)
    assert len(rows) >= 2
    assert "Bắc Quang" not in text and "Tân Quang" not in text


def test_managers_see_every_branch_on_the_reports(client_for, users, activities):
    html = client_for(users["manager"]).get("/outreach/totals/").content.decode()
    assert "Điện lực Bắc Quang" in html and "Điện lực Quang Bình" in html


def test_the_edit_link_shows_only_on_editable_rows(client_for, users, activities):
    OutreachActivity.objects.filter(pk=activities["qb"].pk).update(
        created_at=timezone.now() - timedelta(days=8)
    )
    html = client_for(users["staff_qb"]).get("/outreach/").content.decode()
    assert f"/outreach/{activities['qb'].pk}/edit" not in html


def test_the_list_asks_the_database_a_fixed_number_of_times(
    client_for, users, branches, areas, django_assert_max_num_queries
):
    def add(n):
        OutreachActivity.objects.bulk_create(
            OutreachActivity(
                branch=branches["bq"],
                date=timezone.localdate(),
                commune=areas["tan_quang"],
                village=areas["village"],
                created_by=users["staff_bq"],
            )
            for _ in range(n)
        )

    client = client_for(users["staff_bq"])
    add(2)
    with django_assert_max_num_queries(20) as few:
        client.get("/outreach/")
    add(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get("/outreach/")
    assert response.content.decode().count("/edit") == 22
