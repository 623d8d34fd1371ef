"""The commune page: its figures on the three bases, status, pace and forecast, the drill
links that keep the filters, and who may open it (page, JSON and exports)."""

import csv
import io
import re
from html import unescape

import pytest
from openpyxl import load_workbook

from tests.outlook_fixture import RANGE, make_outlook_data

NBSP = "\u00a0"


@pytest.fixture
def data(company, branches, areas):
    return make_outlook_data(company, branches, areas)


def url(branch, commune):
    return f"/branches/{branch}/communes/{commune.pk}/"


def html_of(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


def stat(html, name):
    match = re.search(rf'data-stat="{name}"[^>]*>(.*?)</(?:span|dd|small)>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match[1]).strip()


def test_a_commune_behind_pace_shows_its_status_gap_pace_and_forecast(
    client_for, users, areas, data
):
    html = html_of(client_for(users["manager"]).get(url("QB", areas["yen_binh"]), RANGE))
    assert stat(html, "status") == "chậm"
    assert stat(html, "difference") == "-4,0"
    # 4 points to gain in the 6 months to 12/2025; 1 point a month achieved.
    assert stat(html, "pace_needed") == "0,7 điểm %"
    assert stat(html, "gain_3m") == "+1,0"
    # A straight line: forecast 46 % with no backtest error.
    assert stat(html, "forecast").startswith(f"46,0{NBSP}%")
    assert "±0,0" in stat(html, "forecast_error")


def test_a_commune_ahead_is_met_with_a_plus_sign(client_for, users, areas, data):
    html = html_of(client_for(users["manager"]).get(url("BQ", areas["viet_quang"]), RANGE))
    assert stat(html, "status") == "đạt"
    assert stat(html, "difference") == "+5,0"


def test_the_chart_draws_three_bases_and_the_target_and_highlights_the_chosen_one(
    client_for, users, areas, data
):
    client = client_for(users["manager"])
    html = html_of(client.get(url("QB", areas["yen_binh"]), {**RANGE, "base": "vnd"}))
    lines = re.findall(
        r'<path d="[^"]+" stroke="([^"]+)" class="line( front)?"[^>]*data-line="(\w+)"', html
    )
    keys = {key: (colour, front) for colour, front, key in lines}
    assert set(keys) == {"customers", "bills", "vnd", "target"}
    assert keys["vnd"][1] == " front"
    assert keys["customers"][0] == keys["bills"][0] == "#8a8a8a"  # greyed
    assert 'data-base="vnd" aria-current="true"' in html


def test_an_empty_range_says_there_are_no_figures(client_for, users, areas, data):
    client = client_for(users["manager"])
    html = html_of(client.get(url("QB", areas["yen_binh"]), {"start": "2019-01", "end": "2019-06"}))
    assert "không có số liệu" in html.lower()
    assert "<svg viewBox" not in html.split('id="commune-chart"')[1].split("</figure>")[0]


def test_the_breadcrumb_goes_back_with_the_filters(client_for, users, areas, data):
    html = html_of(
        client_for(users["manager"]).get(
            url("QB", areas["yen_binh"]), {**RANGE, "customer_type": "household", "view": "now"}
        )
    )
    crumbs = re.search(r'<nav class="crumbs.*?</nav>', html, re.S)[0]
    hrefs = re.findall(r'href="([^"]+)"', crumbs)
    assert hrefs[0].startswith("/?") and hrefs[1].startswith("/branches/QB/?")
    for href in hrefs:
        assert "start=2023-07" in href and "end=2025-06" in href
        assert "customer_type=household" in href and "view=now" in href


def test_the_branch_table_links_each_commune_with_the_filters(client_for, users, areas, data):
    html = html_of(
        client_for(users["manager"]).get("/branches/BQ/", {**RANGE, "customer_type": "household"})
    )
    link = re.search(rf'href="(/branches/BQ/communes/{areas["viet_quang"].pk}/\?[^"]+)"', html)
    assert link and "start=2023-07" in link[1] and "customer_type=household" in link[1]


def test_the_csv_has_a_bom_the_period_in_its_name_and_a_header_row(client_for, users, areas, data):
    response = client_for(users["manager"]).get(
        url("QB", areas["yen_binh"]), {**RANGE, "_export": "csv"}
    )
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    assert "2023-07_2025-06" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "07/2023–06/2025" in rows[0][0]
    assert rows[1][0] == "Tháng"
    # Counts without separators, dates ISO, rates with a decimal point (said in the header).
    assert rows[-1][:5] == ["2025-06-01", "100", "40", "100", "10000000"]
    assert rows[-1][5] == "40.0"


def test_the_xlsx_has_a_vietnamese_sheet_name_and_real_dates(client_for, users, areas, data):
    response = client_for(users["manager"]).get(
        url("QB", areas["yen_binh"]), {**RANGE, "_export": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet.title == "Từng tháng"
    last = [cell.value for cell in sheet[sheet.max_row]]
    assert last[0].date().isoformat() == "2025-06-01"
    assert last[1:3] == [100, 40]


def test_the_json_holds_the_months(client_for, users, areas, data):
    response = client_for(users["manager"]).get(url("QB", areas["yen_binh"]) + "data.json", RANGE)
    months = response.json()["months"]
    assert months[-1]["month"] == "2025-06" and months[-1]["customers_rate"] == 40.0


DOORS = ["", "data.json", "?_export=csv", "?_export=xlsx"]


@pytest.mark.parametrize("door", DOORS)
def test_branch_staff_open_only_their_branch_communes(client_for, users, areas, data, door):
    client = client_for(users["staff_qb"])
    assert client.get(url("QB", areas["yen_binh"]) + door).status_code == 200
    assert client.get(url("BQ", areas["viet_quang"]) + door).status_code == 404
    # Their own branch's code with a commune it does not serve is refused too.
    assert client.get(url("QB", areas["viet_quang"]) + door).status_code == 404


@pytest.mark.parametrize("door", DOORS)
def test_every_company_role_opens_every_commune(client_for, users, areas, data, door):
    for role in ("manager", "channel_admin", "admin"):
        client = client_for(users[role])
        assert client.get(url("BQ", areas["viet_quang"]) + door).status_code == 200, role


@pytest.mark.parametrize("door", DOORS)
def test_an_outsider_is_refused_and_a_visitor_sent_to_log_in(
    client, client_for, users, areas, data, door
):
    response = client.get(url("QB", areas["yen_binh"]) + door)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert client_for(users["outsider"]).get(url("QB", areas["yen_binh"]) + door).status_code == 403


def test_an_unknown_commune_is_not_found(client_for, users, data):
    assert client_for(users["manager"]).get("/branches/QB/communes/999999/").status_code == 404
