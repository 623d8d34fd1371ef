"""Status and signed gap in the overview's and the branch page's tables, worst first; the flow
figures beside the headline; an empty range says so instead of drawing axes."""

import re
from html import unescape

import pytest

from tests.outlook_fixture import RANGE, make_outlook_data


@pytest.fixture
def data(company, branches, areas):
    return make_outlook_data(company, branches, areas)


def rows(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200
    html = unescape(response.content.decode())
    table = re.search(r'<table[^>]*id="area-table".*?</table>', html, re.S)[0]
    return html, [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]


def test_the_overview_sorts_will_miss_then_behind_then_met(client_for, users, data):
    _html, table = rows(client_for(users["manager"]), "/", RANGE)
    assert [(r[0], r[1], r[-1]) for r in table] == [
        ("Huyện Vị Xuyên", "không đạt", "-30,0"),
        ("Huyện Quang Bình", "chậm", "-4,0"),
        ("Huyện Bắc Quang", "đạt", "+5,0"),
    ]


def test_a_sort_in_the_url_wins_over_the_status_order(client_for, users, data):
    _html, table = rows(client_for(users["manager"]), "/", {**RANGE, "sort": "-rate"})
    assert [r[0] for r in table] == ["Huyện Bắc Quang", "Huyện Quang Bình", "Huyện Vị Xuyên"]


def test_the_branch_table_holds_its_communes_to_the_branch_target(client_for, users, data):
    _html, table = rows(client_for(users["manager"]), "/branches/QB/", RANGE)
    assert [(r[0], r[1], r[-1]) for r in table] == [("Thị trấn Yên Bình", "chậm", "-4,0")]


def test_the_flows_of_the_last_month_are_shown(client_for, users, data):
    html, _table = rows(client_for(users["manager"]), "/", RANGE)
    # One new non-cash customer per commune and month in the fixture: 3 in 06/2025.
    assert re.search(r'data-stat="new_noncash">3<', html)
    # Everyone active pays: the paying-customer rate is the adoption rate, 290 of 1,200.
    assert re.search(r'data-stat="paying_rate">24,2\u00a0%<', html)


def test_an_empty_range_says_no_figures_instead_of_drawing_axes(client_for, users, data):
    client = client_for(users["manager"])
    response = client.get("/", {"start": "2019-01", "end": "2019-06"})
    html = unescape(response.content.decode())
    assert "không có số liệu" in html.lower()
    assert 'id="adoption-chart-data"' not in html


def test_the_monthly_report_gives_each_district_the_dashboards_status_and_gap(
    client_for, users, data, company
):
    """One rule for the status word: the report (and so its emails) says what the overview
    says for the same districts and month."""
    from adoption.filters import Scope
    from adoption.months import parse_month
    from adoption.reports.figures import Unit, unit_report

    _html, table = rows(client_for(users["manager"]), "/", RANGE)
    shown = {r[0]: (r[1], r[-1]) for r in table}
    scope = Scope(start=parse_month(RANGE["start"]), end=parse_month(RANGE["end"]))
    report = unit_report(Unit(company=company), scope)
    words = {"met": "đạt", "behind": "chậm", "miss": "không đạt"}
    reported = {
        r["name"]: (words[r["status"]], f"{r['gap']:+.1f}".replace(".", ",")) for r in report.rows
    }
    assert reported == shown
