"""The dashboard's one cache (adoption.dashboard_cache.remember): an answer is reused only for
the same data version, branches, filters and language, and one answer serves every sort, page
and export of it; permissions are checked on every request, never cached."""

import json
import re
from datetime import date
from decimal import Decimal
from functools import wraps
from html import unescape

import pytest
from django.conf import settings

from adoption import summaries
from adoption.metrics import dirty, freshness
from adoption.models import AdminArea, BranchMonth, CommuneMonth, Target
from tests.dashboard_fixture import RANGE, make_dashboard_data

JAN = 12  # 01/2025 in the 01/2024 .. 01/2025 labels


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def chart(client, url="/charts/adoption/", language="en", **params):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, {**RANGE, **params})
    assert response.status_code == 200, response.content[:300]
    return {d["label"]: d["data"] for d in response.json()["datasets"]}


def test_it_answers_from_the_cache_until_the_rollups_are_refreshed(client_for, users, data):
    client = client_for(users["manager"])
    before = chart(client)
    assert before["Huyện Bắc Quang"][JAN] == 46.0
    # A change behind the rollups' back (no fill, no marker): the cached answer stands.
    BranchMonth.objects.update(noncash_customers=0)
    CommuneMonth.objects.update(noncash_customers=0)
    assert chart(client) == before
    # A fill (here: of a database without payments, so every month empties) is a new version.
    freshness.refresh()
    after = chart(client)
    assert after != before
    assert after["Huyện Bắc Quang"][JAN] is None


def test_a_dirty_marker_waits_for_the_worker_then_makes_a_new_version(
    client_for, users, data, branches, drain
):
    client = client_for(users["manager"])
    before = chart(client)
    BranchMonth.objects.update(noncash_customers=0)
    CommuneMonth.objects.update(noncash_customers=0)
    dirty.mark_dirty([date(2025, 1, 1)], [branches["bq"].pk])
    assert chart(client) == before  # a read never fills
    drain()
    assert chart(client) != before


def test_users_with_different_branches_never_share_an_entry(client_for, users, data):
    bq = chart(client_for(users["staff_bq"]), "/charts/partners/")
    qb = chart(client_for(users["staff_qb"]), "/charts/partners/")
    assert qb["Viettel"][JAN] == 40  # Quang Bình's own 40, not Bắc Quang's cached answer
    assert bq != qb
    assert "Agribank" in bq and "Agribank" not in qb


def test_the_language_is_part_of_the_key(client_for, users, data):
    client = client_for(users["manager"])
    assert "Whole company" in chart(client, language="en")
    assert "Toàn công ty" in chart(client, language="vi")
    assert "Whole company" in chart(client, language="en")


def test_the_query_string_is_part_of_the_key_in_any_order(client_for, users, data):
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    whole = client.get("/charts/adoption/?start=2024-01&end=2025-01").json()
    business = client.get("/charts/adoption/?start=2024-01&end=2025-01&customer_type=business")
    assert business.json() != whole
    reordered = client.get("/charts/adoption/?customer_type=business&end=2025-01&start=2024-01")
    assert reordered.json() == business.json()


def test_an_edited_target_shows_at_once(client_for, users, data, company):
    client = client_for(users["manager"])
    before = chart(client)["Target"]
    Target.objects.filter(company=company, branch=None).update(rate=Decimal("1.00"))
    # QuerySet.update sends no signal: still the cached answer.
    assert chart(client)["Target"] == before
    target = Target.objects.get(company=company, branch=None)
    target.rate = Decimal("55.00")
    target.save()
    assert chart(client)["Target"][JAN] == 55.0


def test_a_refused_user_is_refused_even_when_an_answer_is_cached(client_for, users, data):
    assert chart(client_for(users["manager"]))
    assert client_for(users["staff_bq"]).get("/charts/adoption/", RANGE).status_code == 403
    response = client_for(users["outsider"]).get("/charts/adoption/", RANGE)
    assert response.status_code == 403


@pytest.mark.parametrize("role, queries", [("manager", 5), ("admin", 4)])
def test_a_cached_answer_costs_a_few_queries(
    client_for, users, data, role, queries, django_assert_max_num_queries
):
    # Session, user, data version (with the dirty check), roles (not for a superuser), branches.
    client = client_for(users[role])
    first = chart(client)
    with django_assert_max_num_queries(queries):
        assert chart(client) == first


# The pages' tables.


def table(client, url="/", language="en", **params):
    """The rows of the page's table, as lists of cell texts."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, {**RANGE, **params})
    assert response.status_code == 200
    page = unescape(response.content.decode())
    html = re.search(r'<table[^>]*id="(area|partner)-table".*?</table>', page, re.S)[0]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        ]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S)
    ]


def headline_rate(client):
    html = client.get("/", RANGE).content.decode()
    return re.search(r'data-stat="rate">([^<]*)<', html)[1].strip()


def test_a_pages_figures_and_table_are_read_once_per_data_version(
    client_for, users, data, django_assert_max_num_queries
):
    client = client_for(users["manager"])
    before = table(client)
    bq = next(row for row in before if row[0] == "Huyện Bắc Quang")
    # name, status, customers, non-cash, rate
    assert [c.replace("\xa0", "") for c in [bq[0], *bq[2:5]]] == [
        "Huyện Bắc Quang",
        "200",
        "92",
        "46.0%",
    ]
    assert headline_rate(client) == "33.0\xa0%"
    BranchMonth.objects.update(noncash_customers=0)  # behind the rollups' back: still cached
    assert table(client) == before
    assert headline_rate(client) == "33.0\xa0%"
    # Seen before: session, user, data version, roles, branches, data as of (2), permissions
    # of the menu (2); nothing read from the rollups.
    with django_assert_max_num_queries(9) as context:
        client.get("/", RANGE)
    assert not any("month" in q["sql"] for q in context.captured_queries)
    freshness.refresh()  # a new version
    assert table(client) != before
    assert headline_rate(client) == "–"


def test_sort_page_and_language_each_have_their_table(client_for, users, data):
    client = client_for(users["manager"])
    by_rate = [row[0] for row in table(client, sort="rate")[1:]]
    assert by_rate == ["Huyện Quang Bình", "Huyện Bắc Quang"]
    assert [row[0] for row in table(client, sort="-rate")[1:]] == by_rate[::-1]
    assert table(client, language="vi")[0][0] == "Huyện"
    assert table(client, language="en")[0][0] == "District"


def test_users_with_different_branches_never_share_a_table(client_for, users, data):
    bq = table(client_for(users["staff_bq"]), "/channels/")
    qb = table(client_for(users["staff_qb"]), "/channels/")
    agribank_payments = [next(row[3] for row in rows if row[0] == "Agribank") for rows in (bq, qb)]
    assert agribank_payments == ["30", "0"]  # Quang Bình's own table, not Bắc Quang's


def test_a_renamed_district_shows_at_once(client_for, users, data, branches):
    client = client_for(users["manager"])
    assert "Huyện Bắc Quang" in [row[0] for row in table(client)]
    district = AdminArea.objects.get(pk=branches["bq"].district_id)
    district.name = "Huyện Bắc Quang mới"
    district.save()
    assert "Huyện Bắc Quang mới" in [row[0] for row in table(client)]


def test_a_parameter_the_table_echoes_is_part_of_its_key(client_for, users, data):
    # The table's sort links carry every query parameter: one left out of the key (the chart
    # link's) let the first visitor's value show in everyone's cached sort links.
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first = client.get("/", {**RANGE, "link": "first-visitor"}).content.decode()
    second = client.get("/", {**RANGE, "link": "second-visitor"}).content.decode()

    assert "first-visitor" in first
    assert "second-visitor" in second
    assert "first-visitor" not in second


def counting(monkeypatch, name):
    """Replaces summaries.<name> by a wrapper that counts its calls (same name, same key)."""
    calls = []
    original = getattr(summaries, name)

    @wraps(original)
    def counted(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(summaries, name, counted)
    return calls


def test_sorts_pages_and_exports_share_one_answer(client_for, users, data, monkeypatch):
    calls = counting(monkeypatch, "overview")
    client = client_for(users["manager"])
    for params in ({}, {"sort": "rate"}, {"sort": "-name"}, {"page": "2"}, {"_export": "csv"}):
        assert client.get("/", {**RANGE, **params}).status_code == 200
    assert len(calls) == 1


def test_a_page_and_its_chart_json_share_one_answer(client_for, users, data, monkeypatch):
    calls = counting(monkeypatch, "adoption_chart")
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.get("/", RANGE).content.decode()
    embedded = json.loads(unescape(re.search(r'id="adoption-chart-data"[^>]*>(.*?)<', html)[1]))
    assert chart(client) == {d["label"]: d["data"] for d in embedded["datasets"]}
    assert len(calls) == 1


def test_a_chart_is_refused_after_logout_though_its_answer_is_cached(client_for, users, data):
    client = client_for(users["manager"])
    assert chart(client)
    client.logout()
    assert client.get("/charts/adoption/", RANGE).status_code == 403


def test_a_chart_is_refused_at_once_when_the_user_loses_the_role(client_for, users, data):
    manager = users["manager"]
    client = client_for(manager)
    assert chart(client, "/charts/partners/")
    manager.groups.clear()
    assert client.get("/charts/partners/", RANGE).status_code == 403
    assert client.get("/", RANGE).status_code == 403


# The pages' drawn part (dashboard_cache.page_html), shared by everyone with the same branches.

BODIES = (
    "_overview_body.html",
    "_branch_body.html",
    "_channels_body.html",
    "_commune_body.html",
    "_map_body.html",
)


@pytest.mark.parametrize("name", BODIES)
def test_a_shared_drawn_part_holds_nothing_of_the_users_own(name):
    # Everything these templates include is drawn into the one copy every user with the same
    # branches is served: a CSRF token or a name in it would be handed to the next user.
    from django.template import engines

    seen, todo, found = set(), [f"adoption/{name}"], []
    engine = engines["django"].engine
    while todo:
        template = todo.pop()
        if template in seen:
            continue
        seen.add(template)
        source = engine.get_template(template).source
        found += re.findall(r"csrf_token|\buser\.|{{ *user\b|\bperms\.|\bmessages\b", source)
        todo += re.findall(r'{% include "([^"]+)"', source)
    assert found == []


def test_two_managers_share_the_drawn_part_each_with_their_own_name_and_token(
    client_for, users, company, data, monkeypatch
):
    from django.contrib.auth.models import Group

    from adoption import dashboard_cache
    from adoption.choices import Role
    from adoption.models import StaffProfile

    second = type(users["manager"]).objects.create_user("manager2", password="x", is_staff=True)
    second.groups.add(Group.objects.get(name=Role.MANAGERS.value))
    StaffProfile.objects.create(user=second, company=company)
    drawn = []
    original = dashboard_cache.render_to_string
    monkeypatch.setattr(
        dashboard_cache,
        "render_to_string",
        lambda template, *args: drawn.append(template) or original(template, *args),
    )
    pages = []
    for user in (users["manager"], second):
        client = client_for(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        pages.append(client.get("/", RANGE).content.decode())
    assert drawn == ["adoption/_overview_body.html"]  # drawn once, served twice
    tokens = [re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page) for page in pages]
    assert tokens[0] and tokens[1] and set(tokens[0]).isdisjoint(tokens[1])
    assert "(manager)" in pages[0] and "(manager2)" in pages[1] and "manager2" not in pages[0]
    assert table_of(pages[0]) == table_of(pages[1])


def table_of(page):
    return re.search(r'<table[^>]*id="area-table".*?</table>', page, re.S)[0]
