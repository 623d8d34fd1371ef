"""The map page: one circle per commune at its coordinates, coloured by status, with the same
figures in a table; scoped like every dashboard page."""

import csv
import io
import re
from html import unescape

import pytest

from tests.outlook_fixture import RANGE, make_outlook_data


@pytest.fixture
def data(company, branches, areas):
    return make_outlook_data(company, branches, areas)


def html_of(response):
    assert response.status_code == 200
    return unescape(response.content.decode())


def circles(html):
    return re.findall(
        r'<circle cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)" '
        r'class="status-(\w+)" data-commune="(\d+)"',
        html,
    )


def test_each_commune_with_figures_is_one_circle_coloured_by_its_status(
    client_for, users, areas, data
):
    html = html_of(client_for(users["manager"]).get("/map/", RANGE))
    drawn = {int(pk): status for _x, _y, _r, status, pk in circles(html)}
    assert drawn == {
        areas["viet_quang"].pk: "met",
        areas["yen_binh"].pk: "behind",
        data["vx_commune"].pk: "miss",
    }


def test_circles_are_sized_by_customers_and_placed_north_up(client_for, users, areas, data):
    html = html_of(client_for(users["manager"]).get("/map/", RANGE))
    by_pk = {int(pk): (float(x), float(y), float(r)) for x, y, r, _s, pk in circles(html)}
    vx, yen_binh = by_pk[data["vx_commune"].pk], by_pk[areas["yen_binh"].pk]
    assert vx[2] > yen_binh[2]  # 1,000 customers against 100
    assert vx[1] < yen_binh[1]  # Vị Xuyên lies further north
    assert vx[0] > yen_binh[0]  # and further east


def test_the_table_lists_worst_status_first_with_signed_gaps(client_for, users, areas, data):
    html = html_of(client_for(users["manager"]).get("/map/", RANGE))
    table = re.search(r'<table[^>]*id="map-table".*?</table>', html, re.S)[0]
    rows = [
        [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)[1:]
    ]
    assert [(r[0], r[2], r[4]) for r in rows] == [
        ("Thị trấn Vị Xuyên", "không đạt", "-30,0"),
        ("Thị trấn Yên Bình", "chậm", "-4,0"),
        ("Thị trấn Việt Quang", "đạt", "+5,0"),
    ]


def test_a_commune_without_coordinates_stays_in_the_table(client_for, users, areas, data):
    areas["yen_binh"].latitude = None
    areas["yen_binh"].save()
    html = html_of(client_for(users["manager"]).get("/map/", RANGE))
    assert len(circles(html)) == 2
    assert "Thị trấn Yên Bình" in html.split('id="map-table"')[1]


def test_the_map_links_each_commune_with_the_filters(client_for, users, areas, data):
    html = html_of(client_for(users["manager"]).get("/map/", {**RANGE, "view": "now"}))
    link = f"/branches/QB/communes/{areas['yen_binh'].pk}/?start=2023-07&end=2025-06&view=now"
    assert f'href="{link}"' in html.replace("&amp;", "&")


def test_branch_staff_see_only_their_communes_on_the_map_and_in_its_exports(
    client_for, users, areas, data
):
    client = client_for(users["staff_qb"])
    html = html_of(client.get("/map/", RANGE))
    assert [int(c[4]) for c in circles(html)] == [areas["yen_binh"].pk]
    assert "Việt Quang" not in html
    rows = list(
        csv.reader(
            io.StringIO(
                client.get("/map/", {**RANGE, "_export": "csv"}).content.decode("utf-8-sig")
            )
        )
    )
    assert [row[0] for row in rows[2:]] == ["Thị trấn Yên Bình"]


def test_an_outsider_is_refused_the_map(client, client_for, users, data):
    assert client.get("/map/").status_code == 302  # to the login page
    assert client_for(users["outsider"]).get("/map/").status_code == 403


def test_an_empty_range_says_there_are_no_figures(client_for, users, data):
    html = html_of(
        client_for(users["manager"]).get("/map/", {"start": "2019-01", "end": "2019-06"})
    )
    assert "không có số liệu" in html.lower()
    assert circles(html) == []
