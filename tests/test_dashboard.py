"""Dashboard pages: figures for the hand-worked fixture, filters in the URL, who may see what."""

import json
import re
from datetime import UTC, datetime
from html import unescape

import pytest

from adoption.models import RollupState
from tests.dashboard_fixture import RANGE, make_dashboard_data

NBSP = "\u00a0"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data(company, branches, areas, channels):
    RollupState.objects.create(name="rollups", data_as_of=datetime(2025, 2, 3, 1, 30, tzinfo=UTC))
    return make_dashboard_data(company, branches, areas, channels)


def page(client, url, params=None, status=200):
    response = client.get(url, params or {})
    assert response.status_code == status
    return unescape(response.content.decode())


def stat(html, name):
    match = re.search(rf'data-stat="{name}">([^<]*)<', html)
    assert match, name
    return match[1].strip()


def table_rows(html, table_id):
    table = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S)[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        ]
        for row in rows
    ]


def test_the_overview_shows_the_headline_figures_of_the_fixture(client_for, users, data):
    html = page(client_for(users["manager"]), "/", RANGE)
    # 01/2025: 132 of 400 customers; 12/2024 30.0 %; 01/2024 16.0 %; target 40 % by 06/2025.
    assert stat(html, "rate") == f"33,0{NBSP}%"
    assert stat(html, "change_1m") == "+3,0"
    assert stat(html, "change_12m") == "+17,0"
    assert stat(html, "target") == f"40,0{NBSP}%"
    assert stat(html, "difference") == "-7,0"  # rate − target: behind
    assert stat(html, "customers") == "400"
    assert stat(html, "noncash_customers") == "132"
    assert "03/02/2025 08:30" in stat(html, "data_as_of")  # shown in Hà Nội time


def test_the_district_table_equals_the_fixture(client_for, users, data):
    html = page(client_for(users["manager"]), "/", RANGE)
    # Both below target with too little history to forecast: behind pace, most behind first;
    # the difference is rate − target, so it is negative when behind.
    assert table_rows(html, "area-table") == [
        # district, status, customers, non-cash, rate, change 3m, change 12m, target, difference
        ["Huyện Quang Bình", "chậm", "200", "40", f"20,0{NBSP}%", "+5,0", "+10,5", f"40,0{NBSP}%"]
        + ["-20,0"],
        ["Huyện Bắc Quang", "chậm", "200", "92", f"46,0{NBSP}%", "+7,5", "+23,5", f"60,0{NBSP}%"]
        + ["-14,0"],
    ]
    # The drill link keeps the overview's filters.
    assert 'href="/branches/BQ/?start=2024-01&end=2025-01"' in html.replace("&amp;", "&")


def test_the_district_table_sorts_by_rate(client_for, users, data):
    html = page(client_for(users["manager"]), "/", {**RANGE, "sort": "rate"})
    assert [row[0] for row in table_rows(html, "area-table")] == [
        "Huyện Quang Bình",
        "Huyện Bắc Quang",
    ]


def test_numbers_are_written_the_english_way_in_english(client_for, users, data):
    client = client_for(users["manager"])
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = page(client, "/", RANGE)
    assert stat(html, "rate") == f"33.0{NBSP}%"
    assert 'lang="en"' in html


def test_big_numbers_get_thousands_separators(client_for, users, data):
    html = page(client_for(users["manager"]), "/channels/", RANGE)
    rows = {row[0]: row for row in table_rows(html, "partner-table")}
    assert rows["Thu ngân viên"][3:] == ["325", "65.000.000", "160", "32.000.000"]


def test_each_chart_names_its_json_endpoint_with_the_same_filters(client_for, users, data):
    html = page(
        client_for(users["manager"]), "/", {**RANGE, "customer_type": "household", "mix": "partner"}
    )
    urls = re.findall(r'<canvas data-chart-url="([^"]+)"', html)
    assert urls == [
        "/charts/adoption/?start=2024-01&end=2025-01&customer_type=household",
        "/charts/channel-mix/?start=2024-01&end=2025-01&customer_type=household&by=partner",
    ]


def test_each_chart_has_a_place_for_its_plain_table(client_for, users, data):
    html = page(client_for(users["manager"]), "/", RANGE)
    for chart_id in ("adoption-chart", "mix-chart"):
        figure = re.search(rf'id="{chart_id}".*?</figure>', html, re.S)[0]
        assert '<details class="chart-table">' in figure and "<caption>" in figure


def test_the_default_range_is_the_last_24_months_with_data(client_for, users, data):
    html = page(client_for(users["manager"]), "/")
    assert 'name="start" id="id_start" value="2023-02"' in html
    assert 'name="end" id="id_end" value="2025-01"' in html
    assert "start=2023-02&end=2025-01" in html


@pytest.mark.parametrize(
    "params",
    [{"start": "2025-13"}, {"start": "2025-02", "end": "2024-01"}, {"customer_type": "alien"}],
)
def test_a_bad_filter_shows_an_error_and_the_default_range(client_for, users, data, params):
    html = page(client_for(users["manager"]), "/", params)
    assert 'class="errorlist' in html
    assert "start=2023-02&end=2025-01" in html


def test_the_branch_page_lists_the_communes_furthest_behind_first(client_for, users, data):
    html = page(client_for(users["manager"]), "/branches/BQ/", RANGE)
    # BQ's own target, 60 %: Tân Quang 42.0 % is 18 points behind, Việt Quang 50.0 % 10.
    assert table_rows(html, "area-table") == [
        ["Xã Tân Quang", "chậm", "100", "42", f"42,0{NBSP}%", "+5,0", "+17,0", f"60,0{NBSP}%"]
        + ["-18,0"],
        ["Thị trấn Việt Quang", "chậm", "100", "50", f"50,0{NBSP}%", "+10,0", "+30,0"]
        + [f"60,0{NBSP}%", "-10,0"],
    ]
    assert stat(html, "rate") == f"46,0{NBSP}%"
    assert stat(html, "difference") == "-14,0"


def test_the_branch_page_lists_its_outreach_and_not_another_branchs(client_for, users, data):
    html = page(client_for(users["staff_bq"]), "/branches/BQ/", RANGE)
    outreach = re.search(r'id="outreach".*?</section>', html, re.S)[0]
    body = re.search(r"<tbody[^>]*>.*?</tbody>", outreach, re.S)[0]
    assert body.count("<tr") == 3  # the three activities of Bắc Quang
    assert "10/01/2025" in outreach and "Yên Bình" not in outreach


def test_the_channel_page_lists_active_and_inactive_partners(client_for, users, data):
    html = page(client_for(users["manager"]), "/channels/", RANGE)
    rows = {row[0]: row for row in table_rows(html, "partner-table")}
    assert rows["Viettel"][2:4] == ["Đang hoạt động", "115"]
    old = rows['=HYPERLINK("http://evil.example","x")']
    assert old[3:] == ["0", "0", "0", "0"]
    assert old[2] == "Ngừng hoạt động"


def test_branch_staff_see_only_their_branch_on_the_channel_page(client_for, users, data):
    html = page(client_for(users["staff_qb"]), "/channels/", RANGE)
    rows = {row[0]: row for row in table_rows(html, "partner-table")}
    assert rows["Viettel"][3] == "40"
    assert rows["Agribank"][3] == "0"


def test_branch_staff_are_sent_from_the_overview_to_their_branch(client_for, users, data):
    response = client_for(users["staff_qb"]).get("/", RANGE)
    assert response.status_code == 302
    assert response["Location"] == "/branches/QB/?start=2024-01&end=2025-01"


def test_branch_staff_are_refused_another_branchs_page(client_for, users, data):
    client = client_for(users["staff_bq"])
    assert client.get("/branches/QB/").status_code == 404
    assert client.get("/branches/QB/", {"_export": "csv"}).status_code == 404
    assert client.get("/branches/BQ/").status_code == 200


@pytest.mark.parametrize("url", ["/", "/branches/BQ/", "/channels/"])
def test_outsiders_are_refused_and_anonymous_users_sent_to_login(client, client_for, users, url):
    assert client.get(url).status_code == 302
    assert client_for(users["outsider"]).get(url).status_code == 403


def test_managers_see_every_branch_page(client_for, users, data):
    client = client_for(users["manager"])
    assert client.get("/branches/QB/").status_code == 200
    assert client.get("/branches/NOPE/").status_code == 404


@pytest.mark.parametrize(
    "url", ["/", "/?mix=partner", "/branches/BQ/", "/channels/", "/channels/?measure=amount"]
)
def test_pages_run_a_bounded_number_of_queries(
    client_for, users, data, url, django_assert_max_num_queries
):
    client = client_for(users["manager"])
    # A fixed cost (session, user, roles, filters, four snapshot months, targets, the check for
    # stale rollups, and the reads of the charts the page embeds) that must not grow with the
    # number of districts or communes.
    with django_assert_max_num_queries(24):
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", ["/", "/branches/BQ/", "/channels/"])
def test_pages_have_no_inline_scripts_or_styles(client_for, users, data, url):
    html = page(client_for(users["manager"]), url, RANGE)
    assert "style=" not in html
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    code = [(attrs, body) for attrs, body in scripts if 'type="application/json"' not in attrs]
    assert code and all("src=" in attrs and not body.strip() for attrs, body in code)
    # The rest are the charts' data: JSON blocks the browser never runs, escaped by json_script.
    for attrs, body in scripts:
        if 'type="application/json"' in attrs:
            assert "src=" not in attrs and "<" not in body
            json.loads(body)


def test_a_fresh_installation_shows_what_to_set_up_instead_of_refusing(client_for, db):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("chief", password="x")
    client = client_for(admin)
    response = client.get("/")
    assert response.status_code == 200
    assert "load_areas" in response.content.decode()
    assert client.get("/charts/adoption/").json() == {"labels": [], "datasets": []}
    assert client.get("/channels/").status_code == 200
