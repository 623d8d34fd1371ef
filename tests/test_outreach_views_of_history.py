"""The outreach reports switch between the two views of history (?view=was|now): as it was,
each activity under the branch and commune it was recorded for; as it is now, under today's
commune and the branch serving it, sums preserved. The page says which view it shows."""

import csv
import io
from datetime import date

import pytest

from adoption.models import OutreachActivity
from adoption.outreach_comparison import comparison_rows

OCT = {"start": "2021-10", "end": "2021-10"}


@pytest.fixture
def visits(two_district_reform, areas, branches, users):
    """October 2021: Bắc Quang at Việt Quang, Quang Bình at Yên Bình; both communes are Xã Liên
    Hiệp today, served by Bắc Quang."""
    for branch, commune, reached in [("bq", "viet_quang", 30), ("qb", "yen_binh", 20)]:
        OutreachActivity.objects.create(
            branch=branches[branch],
            date=date(2021, 10, 12),
            commune=areas[commune],
            households_reached=reached,
            registrations=5,
        )
    return two_district_reform


def csv_rows(response):
    assert response.status_code == 200
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("report", ["effect", "totals", "funnel"])
def test_each_report_shows_history_as_it_was_by_default_and_says_so(
    client_for, users, visits, report
):
    client = client_for(users["manager"])
    page = client.get(f"/outreach/{report}/", OCT).content.decode()
    assert 'data-view="was"' in page and 'value="was" checked' in page
    assert "Như thời điểm đó: mỗi tháng theo công ty, điện lực và xã" in page
    page = client.get(f"/outreach/{report}/", {**OCT, "view": "now"}).content.decode()
    assert 'data-view="now"' in page and 'value="now" checked' in page
    assert "Như hiện nay: mọi tháng được nhóm lại theo xã, điện lực và công ty hiện nay" in page


def test_totals_as_it_is_now_put_both_visits_under_todays_branch(client_for, users, visits):
    client = client_for(users["manager"])
    was = csv_rows(client.get("/outreach/totals/", {**OCT, "_export": "csv"}))
    assert sorted((r["Điện lực"], r["Số buổi"]) for r in was) == [
        ("Điện lực Bắc Quang", "1"),
        ("Điện lực Quang Bình", "1"),
    ]
    response = client.get("/outreach/totals/", {**OCT, "view": "now", "_export": "csv"})
    assert "-now." in response["Content-Disposition"]
    (now,) = csv_rows(response)
    assert (now["Điện lực"], now["Số buổi"], now["Số hộ đã tiếp cận"]) == (
        "Điện lực Bắc Quang",
        "2",
        "50",
    )


def test_a_branch_chosen_as_it_is_now_is_todays_branch(client_for, users, visits):
    client = client_for(users["manager"])
    query = {**OCT, "view": "now", "_export": "csv"}
    (row,) = csv_rows(client.get("/outreach/totals/", {**query, "branch": "BQ"}))
    assert row["Số buổi"] == "2"
    assert csv_rows(client.get("/outreach/totals/", {**query, "branch": "QB"})) == []
    was = csv_rows(client.get("/outreach/totals/", {**OCT, "_export": "csv", "branch": "QB"}))
    assert [r["Điện lực"] for r in was] == ["Điện lực Quang Bình"]


def test_the_funnel_as_it_is_now_names_todays_commune_and_branch(client_for, users, visits):
    client = client_for(users["manager"])
    query = {**OCT, "view": "now", "_export": "csv"}
    activities = csv_rows(client.get("/outreach/funnel/", {**query, "table": "activity-"}))
    assert {(r["Điện lực"], r["Xã"]) for r in activities} == {
        ("Điện lực Bắc Quang", "Xã Liên Hiệp")
    }
    branches = csv_rows(client.get("/outreach/funnel/", {**query, "table": "branch-"}))
    assert [(r["Điện lực"], r["Số buổi"]) for r in branches] == [("Điện lực Bắc Quang", "2")]


def test_the_comparison_as_it_is_now_makes_one_row_of_todays_commune(visits):
    was = comparison_rows(OutreachActivity.objects.all(), "was")
    assert sorted(r["commune"] for r in was) == ["Thị trấn Việt Quang", "Thị trấn Yên Bình"]
    (now,) = comparison_rows(OutreachActivity.objects.all(), "now")
    assert (now["branch"], now["commune"], now["activities"]) == (
        "Điện lực Bắc Quang",
        "Xã Liên Hiệp",
        2,
    )
    assert now["households_reached"] == 50
