"""The base switch of the overview and the branch page (?base=customers|bills|vnd): the headline,
the table's rate column and the adoption chart follow it together; target, difference and status
stay on the customer base; the switch, the filter form and the drill links keep it."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.conf import settings

from tests.base_fixture import RANGE, RATES, make_base_data

BASES = ["customers", "bills", "vnd"]
NBSP = "\u00a0"


@pytest.fixture
def data(company, branches, areas):
    make_base_data(company, branches, areas)


@pytest.fixture
def client(client_for, users):
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url, params):
    response = client.get(url, params)
    assert response.status_code == 200
    return unescape(response.content.decode())


def stat(html, name):
    match = re.search(rf'data-stat="{name}"[^>]*>(.*?)</(?:span|p|small)>', html, re.S)
    assert match, name
    return re.sub(r"<[^>]+>", "", match[1]).strip()


def chart_of(html, chart_id):
    block = re.search(rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', html)
    return json.loads(block[1])


def last_points(chart):
    return {dataset["label"]: dataset["data"][-1] for dataset in chart["datasets"]}


def exported(client, url, params):
    """The table's CSV: (its header row, {first cell: row})."""
    response = client.get(url, {**params, "_export": "csv"})
    _period, header, *rows = csv.reader(io.StringIO(response.content.decode("utf-8-sig")))
    return header, {row[0]: row for row in rows}


def rate_column(header):
    """The rate column, whatever base its heading names."""
    return next(i for i, name in enumerate(header) if name.endswith("(%)") and "Target" not in name)


def with_base(base):
    return {**RANGE, "base": base}


@pytest.mark.parametrize("base", BASES)
def test_the_overview_shows_the_three_rates_of_the_fixture(client, data, base):
    html = page(client, "/", with_base(base))
    assert stat(html, "rate") == f"{RATES[base]['company']:.1f}{NBSP}%"
    header, rows = exported(client, "/", with_base(base))
    rate = rate_column(header)
    assert float(rows["Huyện Bắc Quang"][rate]) == RATES[base]["bq"]
    assert float(rows["Huyện Quang Bình"][rate]) == RATES[base]["qb"]
    # The chart ends on the table's rates, the company line on the headline.
    points = last_points(chart_of(html, "adoption-chart"))
    assert round(points["Huyện Bắc Quang"], 1) == RATES[base]["bq"]
    assert round(points["Huyện Quang Bình"], 1) == RATES[base]["qb"]
    assert round(points["Whole company"], 1) == RATES[base]["company"]


@pytest.mark.parametrize("base", BASES)
def test_the_branch_page_shows_the_three_rates_of_the_fixture(client, data, base):
    html = page(client, "/branches/BQ/", with_base(base))
    assert stat(html, "rate") == f"{RATES[base]['bq']:.1f}{NBSP}%"
    header, rows = exported(client, "/branches/BQ/", with_base(base))
    assert float(rows["Thị trấn Việt Quang"][rate_column(header)]) == RATES[base]["bq"]
    points = last_points(chart_of(html, "branch-chart"))
    assert round(points["Thị trấn Việt Quang"], 1) == RATES[base]["bq"]
    assert round(points["Huyện Bắc Quang"], 1) == RATES[base]["bq"]


@pytest.mark.parametrize(
    "url, chart_id", [("/", "adoption-chart"), ("/branches/BQ/", "branch-chart")]
)
@pytest.mark.parametrize("base", BASES)
def test_the_embedded_chart_is_the_json_of_its_base(client, data, url, chart_id, base):
    html = page(client, url, with_base(base))
    link = re.search(rf'id="{chart_id}".*?<canvas data-chart-url="([^"]+)"', html, re.S)[1]
    assert ("base=" + base in link) == (base != "customers")
    response = client.get(link)
    assert response.status_code == 200
    assert response.json() == chart_of(html, chart_id)


@pytest.mark.parametrize("base", BASES)
def test_target_difference_and_status_stay_on_the_customer_base(client, data, base):
    html = page(client, "/", with_base(base))
    assert stat(html, "target") == f"40.0{NBSP}%"
    assert stat(html, "difference") == "-10.0"  # 30 % of customers against 40 %
    header, rows = exported(client, "/", with_base(base))
    gap = header.index("Difference from target (points)")
    assert rows["Huyện Quang Bình"][gap] == "-20.0"
    labels = [d["label"] for d in chart_of(html, "adoption-chart")["datasets"]]
    # A customer target is drawn only against customers, and the page says why.
    assert ("Target" in labels) == (base == "customers")
    assert ("data-base-note" in html) == (base != "customers")


def test_the_rate_column_names_its_base(client, data):
    header, _rows = exported(client, "/", with_base("bills"))
    assert "Share of bills paid without cash (%)" in header
    assert "Adoption rate (%)" not in header
    header, _rows = exported(client, "/", RANGE)
    assert "Adoption rate (%)" in header


def test_the_switch_and_the_drill_links_keep_the_filters_and_the_base(client, data):
    params = {**RANGE, "customer_type": "household", "view": "now", "mix": "partner"}
    html = page(client, "/", params)
    switch = re.search(
        r'<nav class="switch no-print" aria-label="Base of the rate">(.*?)</nav>', html
    )
    vnd = re.search(r'href="\?([^"]+)" data-base="vnd"', switch[1])[1]
    for kept in [
        "start=2024-12",
        "end=2025-01",
        "customer_type=household",
        "view=now",
        "mix=partner",
    ]:
        assert kept in vnd
    html = page(client, "/?" + vnd, {})
    assert 'data-base="vnd" aria-current="true"' in html
    assert '<input type="hidden" name="base" value="vnd">' in html
    drill = re.search(r'href="(/branches/BQ/\?[^"]+)"', html)[1]
    assert "base=vnd" in drill and "customer_type=household" in drill and "view=now" in drill
    branch = page(client, drill, {})
    assert 'data-base="vnd" aria-current="true"' in branch
    commune = re.search(r'href="(/branches/BQ/communes/\d+/\?[^"]+)"', branch)[1]
    assert "base=vnd" in commune and "view=now" in commune


def test_an_unknown_base_shows_customers_and_the_chart_json_refuses_it(client, data):
    html = page(client, "/", {**RANGE, "base": "kwh"})
    assert stat(html, "rate") == f"30.0{NBSP}%"
    assert 'data-base="customers" aria-current="true"' in html
    response = client.get("/charts/adoption/", {**RANGE, "base": "kwh"})
    assert response.status_code == 400
    assert "base" in response.json()["errors"]


def test_the_exports_name_their_period_view_and_filters(client, data):
    for url, stem in [
        ("/", "districts"),
        ("/branches/BQ/", "communes-BQ"),
        ("/channels/", "partners"),
    ]:
        response = client.get(
            url, {**RANGE, "view": "now", "customer_type": "household", "_export": "csv"}
        )
        assert response.status_code == 200
        disposition = response["Content-Disposition"]
        assert f'filename="{stem}-2024-12_2025-01-now-household.csv"' in disposition
        first = response.content.decode("utf-8-sig").splitlines()[0]
        assert "12/2024" in first and "01/2025" in first and "as it is now" in first
