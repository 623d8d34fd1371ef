"""Signed chart links: a page's own charts come from the cache without a query, and a link never
lets anyone read more than the full checks would (adoption.chart_links)."""

import re
import time
from html import unescape

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.core import signing
from django.test import Client

from adoption import chart_links
from adoption.choices import Role
from adoption.metrics import freshness
from tests.dashboard_fixture import RANGE, make_dashboard_data


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def logged_in(user):
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def chart_links_of(client, url, params=RANGE):
    response = client.get(url, params)
    assert response.status_code == 200
    return re.findall(r'data-chart-url="([^"]+)"', unescape(response.content.decode()))


def with_link(url, **changes):
    """The same link with some query parameters replaced (a hand-edited URL)."""
    for name, value in changes.items():
        url = re.sub(rf"([?&]){name}=[^&]*", rf"\g<1>{name}={value}", url)
    return url


@pytest.mark.parametrize(
    "role, url", [("manager", "/"), ("staff_bq", "/branches/BQ/"), ("channel_admin", "/channels/")]
)
def test_a_pages_own_charts_are_sent_from_the_cache_without_a_query(
    users, data, role, url, django_assert_num_queries
):
    client = logged_in(users[role])
    links = chart_links_of(client, url)
    assert links
    for link in links:
        first = client.get(link)  # fills the cache through the full checks
        assert first.status_code == 200
        with django_assert_num_queries(0):
            again = client.get(link)
        assert again.status_code == 200
        assert again.json() == first.json()
        assert again["Cache-Control"] == first["Cache-Control"] == "private, no-store"
        assert "Cookie" in again["Vary"] and again["Vary"] == first["Vary"]
        # The same chart without the link: the same answer, through the full checks.
        assert client.get(re.sub(r"&link=.*", "", link)).json() == first.json()


def test_a_link_is_bound_to_the_browser_that_was_shown_the_page(users, data):
    link = chart_links_of(logged_in(users["manager"]), "/")[0]
    logged_in(users["manager"]).get(link)  # cached
    # Another session of branch staff: the link does not hold for its cookie, the full checks
    # refuse the company chart.
    assert logged_in(users["staff_bq"]).get(link).status_code == 403
    # No session at all.
    assert Client().get(link).status_code == 403


def test_an_edited_link_is_checked_in_full(users, data, django_assert_max_num_queries):
    client = logged_in(users["manager"])
    link = chart_links_of(client, "/")[0]
    assert client.get(link).status_code == 200
    edited = with_link(link, start="2024-12")
    assert edited != link
    with django_assert_max_num_queries(30) as context:
        shorter = client.get(edited)
    assert shorter.status_code == 200
    assert any("django_session" in q["sql"] for q in context.captured_queries)
    assert len(shorter.json()["labels"]) == 2 < len(client.get(link).json()["labels"])
    # A signature copied onto another chart does not hold either.
    other = link.replace("/charts/adoption/", "/charts/channel-mix/")
    assert "Whole company" not in str(client.get(other).json())


def test_a_forged_or_moved_link_is_checked_in_full(users, data, branches):
    staff = logged_in(users["staff_bq"])
    link = chart_links_of(staff, "/branches/BQ/")[0]
    assert link.startswith("/charts/branches/BQ/?")
    assert staff.get(link).status_code == 200
    # The payload rewritten to vouch for every branch, the signature kept: it no longer holds.
    token = re.search(r"&link=([^&]+)", link)[1]
    every_branch = sorted(b.pk for b in branches.values())
    payload = signing.b64_encode(f'{{"b":{every_branch},"v":"x"}}'.encode()).decode()
    forged = link.replace(token, payload + token[token.index(":") :])
    assert chart_links.verify(staff.get(forged).wsgi_request) is None
    # The link moved to another branch's chart: the full checks refuse it.
    assert staff.get(link.replace("/BQ/", "/QB/")).status_code == 404


def test_a_link_expires(users, data, monkeypatch):
    client = logged_in(users["manager"])
    link = chart_links_of(client, "/")[0]
    assert client.get(link).status_code == 200
    assert chart_links.verify(client.get(link).wsgi_request)
    later = time.time() + settings.CHART_LINK_SECONDS + 1
    monkeypatch.setattr(signing.time, "time", lambda: later)
    assert chart_links.verify(client.get(link).wsgi_request) is None


def test_the_shortcut_can_be_turned_off(users, data, settings, django_assert_max_num_queries):
    client = logged_in(users["manager"])
    link = chart_links_of(client, "/")[0]
    assert client.get(link).status_code == 200
    settings.CHART_LINK_SECONDS = 0
    with django_assert_max_num_queries(10) as context:
        assert client.get(link).status_code == 200
    assert any("django_session" in q["sql"] for q in context.captured_queries)


def test_a_user_who_lost_the_role_is_refused_once_the_cache_cannot_answer(users, data):
    manager = users["manager"]
    client = logged_in(manager)
    link = chart_links_of(client, "/")[0]
    manager.groups.remove(Group.objects.get(name=Role.MANAGERS))
    # Nothing cached for this page yet: the link alone opens nothing.
    assert client.get(link).status_code == 403


def test_a_link_shows_the_data_of_its_page_and_a_new_page_the_new_data(users, data):
    client = logged_in(users["manager"])
    link = chart_links_of(client, "/")[0]
    before = client.get(link).json()
    freshness.refresh()  # a new data version: this database has no payments, every month empties
    # The page on screen was drawn from the old version; its chart matches it.
    assert client.get(link).json() == before
    fresh = chart_links_of(client, "/")[0]
    assert fresh != link
    assert client.get(fresh).json() != before
