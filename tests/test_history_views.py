"""The switch between the two views of history on the dashboard pages, charts and exports:
kept in the query string, said on the page, and labels that belong to the month shown."""

import csv
import io

import pytest

from adoption.metrics import freshness

OCT = {"start": "2021-10", "end": "2021-10"}
AUG_2025 = {"start": "2025-08", "end": "2025-08"}


@pytest.fixture
def world(two_district_reform, users):
    freshness.refresh()
    return two_district_reform


def csv_rows(response):
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # The period and view the file holds first (adoption.exports), then the table.
    assert len(rows[0]) == 1
    return rows[1:]


def test_the_overview_says_it_shows_history_as_it_was_by_default(client_for, users, world):
    page = client_for(users["manager"]).get("/", OCT).content.decode()
    assert 'data-view="was"' in page
    assert "Như thời điểm đó: mỗi tháng theo công ty, điện lực và xã" in page
    assert 'value="was" checked' in page


def test_the_overview_regroups_october_2021_as_it_is_now(client_for, users, world):
    client = client_for(users["manager"])
    page = client.get("/", {**OCT, "view": "now"}).content.decode()
    assert 'data-view="now"' in page and 'value="now" checked' in page
    assert "view=now" in page  # the chart links keep the view
    was = csv_rows(client.get("/", {**OCT, "_export": "csv"}))
    # name, status, customers, non-cash, ...
    assert [[row[0], *row[2:4]] for row in was[1:]] == [
        ["Huyện Bắc Quang", "3", "1"],
        ["Huyện Quang Bình", "1", "1"],
    ]
    response = client.get("/", {**OCT, "view": "now", "_export": "csv"})
    assert "-now." in response["Content-Disposition"]
    now = csv_rows(response)
    # Today there are no districts: the branch's name; Quang Bình serves nothing today.
    assert [now[1][0], *now[1][2:4]] == ["Điện lực Bắc Quang", "4", "2"]


def test_months_after_the_reform_name_no_district(client_for, users, world):
    rows = csv_rows(client_for(users["manager"]).get("/", {**AUG_2025, "_export": "csv"}))
    assert [row[0] for row in rows[1:]] == ["Điện lực Bắc Quang", "Điện lực Quang Bình"]


def test_the_branch_page_lists_the_communes_of_the_view(client_for, users, world):
    client = client_for(users["staff_bq"])
    was = csv_rows(client.get("/branches/BQ/", {**OCT, "_export": "csv"}))
    assert sorted(row[0] for row in was[1:]) == ["Thị trấn Việt Quang", "Xã Tân Quang"]
    now = csv_rows(client.get("/branches/BQ/", {**OCT, "view": "now", "_export": "csv"}))
    assert sorted(row[0] for row in now[1:]) == ["Xã Liên Hiệp", "Xã Tân Quang"]
    assert sorted(row[2] for row in now[1:]) == ["2", "2"]


def test_an_unknown_view_falls_back_to_as_it_was(client_for, users, world):
    page = client_for(users["manager"]).get("/", {**OCT, "view": "then"}).content.decode()
    assert 'data-view="was"' in page
