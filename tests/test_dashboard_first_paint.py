"""A dashboard page embeds its charts' data for the first paint: the same answer the chart's JSON
gives, and the same numbers as the page's own table, for the same filters."""

import csv
import io
import json
import re
from html import unescape

import pytest
from django.conf import settings

from tests.dashboard_fixture import RANGE, make_dashboard_data

FILTERS = [
    RANGE,
    {**RANGE, "customer_type": "household"},
    {"start": "2024-06", "end": "2024-12", "view": "now"},
]


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


@pytest.fixture
def client(client_for, users):
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def embedded(client, url, params):
    """{chart id: (its JSON URL, its embedded data)} of the page."""
    response = client.get(url, params)
    assert response.status_code == 200
    html = response.content.decode()
    charts = {}
    for chart_id in re.findall(r'<figure class="card chart" id="([^"]+)"', html):
        figure = re.search(rf'id="{chart_id}".*?</figure>', html, re.S)[0]
        link = unescape(re.search(r'<canvas data-chart-url="([^"]+)"', figure)[1])
        block = re.search(
            rf'<script id="{chart_id}-data" type="application/json">(.*?)</script>', figure, re.S
        )
        charts[chart_id] = (link, json.loads(block[1]))
    return charts


def exported(client, url, params):
    """The page's table as its CSV export: {first cell: row}, plain numbers. The first row
    says the period the file holds, the second is the header."""
    response = client.get(url, {**params, "_export": "csv"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert f"{params['start'][5:]}/{params['start'][:4]}" in rows[0][0]
    return rows[1], {row[0]: row for row in rows[2:]}


def last_points(chart):
    return {dataset["label"]: dataset["data"][-1] for dataset in chart["datasets"]}


def assert_rates_match(header, rows, points):
    """Each table row's rate (one decimal) is its series' last point, rounded the same way."""
    rate = header.index("Adoption rate (%)")
    for name, row in rows.items():
        expected = points.get(name)
        assert (float(row[rate]) if row[rate] else None) == (
            None if expected is None else round(expected, 1)
        )


@pytest.mark.parametrize(
    "url", ["/", "/?mix=partner", "/branches/BQ/", "/channels/", "/channels/?measure=amount"]
)
@pytest.mark.parametrize("params", FILTERS)
def test_the_embedded_data_is_the_charts_json(client, data, url, params):
    path, _, query = url.partition("?")
    extra = dict([query.split("=")]) if query else {}
    charts = embedded(client, path, {**params, **extra})
    assert charts
    for link, chart in charts.values():
        answer = client.get(link)
        assert answer.status_code == 200
        assert answer.json() == chart


@pytest.mark.parametrize("params", FILTERS)
def test_the_adoption_chart_ends_on_the_district_tables_rates(client, data, params):
    _, chart = embedded(client, "/", params)["adoption-chart"]
    header, rows = exported(client, "/", params)
    points = last_points(chart)
    assert_rates_match(header, rows, points)
    assert set(rows) <= set(points)
    # The target line only where a target applies to the range.
    assert set(points) - set(rows) - {"Target"} == {"Whole company"}


@pytest.mark.parametrize("params", FILTERS)
def test_the_branch_chart_ends_on_the_commune_tables_rates(client, data, params):
    _, chart = embedded(client, "/branches/BQ/", params)["branch-chart"]
    header, rows = exported(client, "/branches/BQ/", params)
    assert rows
    assert_rates_match(header, rows, last_points(chart))


@pytest.mark.parametrize("measure", ["payments", "amount"])
@pytest.mark.parametrize("params", FILTERS)
def test_the_partner_chart_adds_up_to_the_partner_table(client, data, params, measure):
    _, chart = embedded(client, "/channels/", {**params, "measure": measure})["partner-chart"]
    header, rows = exported(client, "/channels/", params)
    total = header.index("Payments" if measure == "payments" else "Amount (VND)")
    last = header.index(
        "Payments, last month" if measure == "payments" else "Amount, last month (VND)"
    )
    drawn = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    assert drawn
    for name, row in rows.items():
        series = drawn.get(name, [0])
        assert (sum(series), series[-1]) == (int(row[total]), int(row[last]))
