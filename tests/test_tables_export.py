"""CSV and XLSX exports of the dashboard tables: the fixture's numbers, and no formula injection."""

import csv
import io

import pytest
from openpyxl import load_workbook

from adoption.exports import neutralise
from adoption.formatting import count, percent, points, vnd
from tests.dashboard_fixture import MALICIOUS_PARTNER, RANGE, make_dashboard_data


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def csv_rows(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    # A byte order mark first, so Excel reads UTF-8 (adoption.exports).
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    # First the period the file holds (adoption.exports.scope_description), then the table.
    assert len(rows[0]) == 1 and "01/2024" in rows[0][0] and "01/2025" in rows[0][0]
    return rows[1:]


def test_the_district_csv_holds_the_fixture_numbers(client_for, users, data):
    rows = csv_rows(client_for(users["manager"]).get("/", {**RANGE, "_export": "csv"}))
    assert len(rows[0]) == 9
    assert rows[1:] == [
        ["Huyện Quang Bình", "chậm", "200", "40", "20.0", "5.0", "10.5", "40.0", "-20.0"],
        ["Huyện Bắc Quang", "chậm", "200", "92", "46.0", "7.5", "23.5", "60.0", "-14.0"],
    ]


def test_the_export_follows_the_sort_and_ignores_the_page(client_for, users, data):
    response = client_for(users["manager"]).get(
        "/", {**RANGE, "_export": "csv", "sort": "-gap", "page": "1"}
    )
    assert [row[0] for row in csv_rows(response)[1:]] == ["Huyện Bắc Quang", "Huyện Quang Bình"]


def test_the_commune_csv_lists_the_furthest_behind_first(client_for, users, data):
    rows = csv_rows(client_for(users["staff_bq"]).get("/branches/BQ/", {**RANGE, "_export": "csv"}))
    assert rows[1:] == [
        ["Xã Tân Quang", "chậm", "100", "42", "42.0", "5.0", "17.0", "60.0", "-18.0"],
        ["Thị trấn Việt Quang", "chậm", "100", "50", "50.0", "10.0", "30.0", "60.0", "-10.0"],
    ]


def test_the_partner_csv_neutralises_a_formula_in_a_name(client_for, users, data):
    rows = csv_rows(client_for(users["manager"]).get("/channels/", {**RANGE, "_export": "csv"}))
    names = [row[0] for row in rows[1:]]
    assert "'" + MALICIOUS_PARTNER in names
    assert MALICIOUS_PARTNER not in names
    viettel = next(row for row in rows if row[0] == "Viettel")
    assert viettel[3:] == ["115", "32500000", "80", "22000000"]


def test_the_partner_xlsx_holds_numbers_and_no_formula(client_for, users, data):
    response = client_for(users["manager"]).get("/channels/", {**RANGE, "_export": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    viettel = next(row for row in rows if row[0] == "Viettel")
    assert viettel[3:] == [115, 32_500_000, 80, 22_000_000]
    assert "'" + MALICIOUS_PARTNER in [row[0] for row in rows]


def test_a_negative_number_stays_a_number_in_csv_and_xlsx(client_for, users, data):
    # Quang Bình: 20.0 % against the company's 40 % target, 20 points behind.
    client = client_for(users["manager"])
    qb = csv_rows(client.get("/", {**RANGE, "_export": "csv"}))[1]
    assert qb[0] == "Huyện Quang Bình" and qb[4] == "20.0" and qb[8] == "-20.0"
    response = client.get("/", {**RANGE, "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert "01/2024" in sheet["A1"].value  # the period first, then the header row
    qb = [cell.value for cell in next(sheet.iter_rows(min_row=3, max_row=3))]
    assert qb[4] == 20.0 and qb[8] == -20.0


@pytest.mark.parametrize(
    "value, expected",
    [
        ("=1+2", "'=1+2"),
        ("+SUM(A1)", "'+SUM(A1)"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=x", "'\t=x"),
        ("Xã Tân Quang", "Xã Tân Quang"),
        ("", ""),
        (-2.5, -2.5),
        (1200, 1200),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_text_that_starts_a_formula(value, expected):
    assert neutralise(value) == expected


def test_an_unknown_export_format_shows_the_page(client_for, users, data):
    response = client_for(users["manager"]).get("/", {**RANGE, "_export": "yaml"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")


def test_formats_in_vietnamese(settings):
    from django.utils import translation

    with translation.override("vi"):
        assert percent(44.06) == "44,1\u00a0%"
        assert vnd(1234567) == "1.234.567"
        assert count(400) == "400"
        assert points(-2.04) == "-2,0"
        assert points(3) == "+3,0"
        assert points(-0.01) == "0,0"
        assert percent(None) == "–"
    with translation.override("en"):
        assert percent(44.06) == "44.1\u00a0%"
        assert vnd(1234567) == "1,234,567"
