"""The dashboard in Chromium: charts really drawn, filters and sorting followed, CSV downloaded,
another branch refused."""

import csv
import re
from datetime import date

import pytest
from playwright.sync_api import expect

from adoption import metrics
from tests.dashboard_fixture import make_dashboard_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RANGE_QUERY = "?start=2024-01&end=2025-01"


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


def wait_for_charts(page, count):
    # Not wait_for_function: its string predicate needs eval, which the CSP forbids.
    expect(page.locator("canvas[data-state=drawn]")).to_have_count(count)


def chart_state(page, chart_id):
    """Datasets and labels Chart.js holds, and how many canvas pixels are painted."""
    return page.evaluate(
        """(id) => {
            const canvas = document.querySelector('#' + id + ' canvas');
            const chart = Chart.getChart(canvas);
            const pixels = canvas.getContext('2d')
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) painted++; }
            return {
                version: Chart.version,
                labels: chart.data.labels,
                datasets: chart.data.datasets.length,
                points: chart.data.datasets.reduce(
                    (n, d) => n + d.data.filter((v) => v !== null).length, 0),
                painted: painted,
                total: canvas.width * canvas.height,
            };
        }""",
        chart_id,
    )


def first_column(page, table_id):
    return page.locator(f"#{table_id} tbody tr td:first-child").all_inner_texts()


def test_the_overview_draws_both_charts_with_data(login_page, live_server, users, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.reload()
    wait_for_charts(page, 2)
    assert errors == []  # no CSP violation, no failed fetch
    for chart_id in ("adoption-chart", "mix-chart"):
        state = chart_state(page, chart_id)
        assert state["version"].startswith("4.")
        assert state["datasets"] > 0 and state["points"] > 0
        assert len(state["labels"]) == 13
        # Lines, axes and legend: a real drawing covers far more than a few stray pixels.
        assert state["painted"] > state["total"] * 0.02


def test_each_chart_has_a_plain_table_with_its_numbers(login_page, live_server, users, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    wait_for_charts(page, 2)
    table = page.locator("#adoption-chart details.chart-table table")
    page.click("#adoption-chart details.chart-table summary")
    expect(table.locator("tbody tr")).to_have_count(13)
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["Tháng", "Huyện Bắc Quang", "Huyện Quang Bình", "Toàn công ty", "Mục tiêu"]
    january = table.locator("tbody tr").last
    assert january.locator("th").inner_text() == "01/2025"
    # 46.0 %, 20.0 %, 33.0 %, target 40 %, written the Vietnamese way.
    assert january.locator("td").all_inner_texts() == [
        "46,0\u00a0%",
        "20,0\u00a0%",
        "33,0\u00a0%",
        "40,0\u00a0%",
    ]
    page.click("#mix-chart details.chart-table summary")
    mix = page.locator("#mix-chart details.chart-table tbody tr").last
    # 01/2025 by kind: bank 30, e-wallet 80, company counter 100, collector 160.
    assert mix.locator("td").all_inner_texts() == ["30", "80", "100", "160"]


def test_changing_the_month_range_updates_chart_and_table(login_page, live_server, users, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    wait_for_charts(page, 2)
    bq_rate = page.locator("#area-table tbody tr", has_text="Bắc Quang").locator("td").nth(4)
    expect(bq_rate).to_have_text("46,0\u00a0%")
    page.fill("#id_start", "2024-06")
    page.fill("#id_end", "2024-12")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"start=2024-06&end=2024-12"))
    wait_for_charts(page, 2)
    assert chart_state(page, "adoption-chart")["labels"] == [
        "06/2024",
        "07/2024",
        "08/2024",
        "09/2024",
        "10/2024",
        "11/2024",
        "12/2024",
    ]
    # Bắc Quang in 12/2024: 85 of 200.
    expect(bq_rate).to_have_text("42,5\u00a0%")


def test_the_district_table_sorts_by_rate(login_page, live_server, users, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    # By default the most behind first (both behind pace: Quang Bình 20 points, Bắc Quang 14).
    assert first_column(page, "area-table") == ["Huyện Quang Bình", "Huyện Bắc Quang"]
    page.click("#area-table thead th a[href*='sort=rate']")
    page.wait_for_url(re.compile(r"sort=rate"))
    assert first_column(page, "area-table") == ["Huyện Quang Bình", "Huyện Bắc Quang"]
    page.click("#area-table thead th a[href*='sort=-rate']")
    page.wait_for_url(re.compile(r"sort=-rate"))
    assert first_column(page, "area-table") == ["Huyện Bắc Quang", "Huyện Quang Bình"]


def test_the_csv_export_matches_the_database(login_page, live_server, users, branches, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    with page.expect_download() as download:
        page.click("#districts .exports a[href*='_export=csv']")
    with open(download.value.path(), encoding="utf-8-sig") as file:
        rows = list(csv.reader(file))[1:]
    month = date(2025, 1, 1)
    in_database = {
        row["branch_id"]: row
        for row in metrics.monthly_rates(start=month, end=month, group="branch")
    }
    for code, name in (("bq", "Huyện Bắc Quang"), ("qb", "Huyện Quang Bình")):
        expected = in_database[branches[code].pk]
        row = next(row for row in rows if row[0] == name)
        # name, status, customers, non-cash, rate, ...
        assert int(row[2]) == expected["active_customers"]
        assert int(row[3]) == expected["noncash_customers"]
        assert float(row[4]) == round(expected["adoption_rate"], 1)


def test_branch_staff_are_refused_another_branch(login_page, live_server, users, data):
    page = login_page(users["staff_bq"], next_url="/")
    # Their overview is their own branch.
    assert page.url.endswith("/branches/BQ/")
    wait_for_charts(page, 2)
    response = page.goto(f"{live_server.url}/branches/QB/")
    assert response.status == 404
    assert page.request.get(f"{live_server.url}/charts/branches/QB/").status == 404
    assert page.request.get(f"{live_server.url}/charts/adoption/").status == 403
    assert page.request.get(f"{live_server.url}/charts/branches/BQ/").status == 200


def app_requests(page, live_server):
    """Requests the page makes to the application itself, static files aside."""
    seen = []

    def record(request):
        if request.url.startswith(live_server.url) and "/static/" not in request.url:
            seen.append((request.resource_type, request.url[len(live_server.url) :]))

    page.on("request", record)
    return seen


@pytest.mark.parametrize("path, charts", [("/", 2), ("/branches/BQ/", 2), ("/channels/", 1)])
def test_a_page_costs_one_request_until_the_user_interacts(
    login_page, live_server, users, data, path, charts
):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    seen = app_requests(page, live_server)
    page.goto(f"{live_server.url}{path}{RANGE_QUERY}")
    wait_for_charts(page, charts)
    page.wait_for_load_state("networkidle")
    assert seen == [("document", path + RANGE_QUERY)]


def test_switching_the_mix_redraws_that_chart_from_its_json(login_page, live_server, users, data):
    page = login_page(users["manager"], next_url="/" + RANGE_QUERY)
    wait_for_charts(page, 2)
    seen = app_requests(page, live_server)
    drawn = ("labels", "datasets", "points")
    before = {key: chart_state(page, "adoption-chart")[key] for key in drawn}
    page.click("#mix-chart .switch a[data-value=partner]")
    expect(page.locator("#mix-chart .switch a[data-value=partner]")).to_have_attribute(
        "aria-current", "true"
    )
    wait_for_charts(page, 2)
    assert [kind for kind, _ in seen] == ["fetch"]
    assert seen[0][1].startswith("/charts/channel-mix/?") and "by=partner" in seen[0][1]
    assert page.url.endswith("mix=partner")
    assert page.locator("form.filters input[name=mix]").input_value() == "partner"
    page.click("#mix-chart details.chart-table summary")
    headers = page.locator("#mix-chart details.chart-table thead th").all_inner_texts()
    assert "Viettel" in headers  # partners now, not channel kinds
    after = {key: chart_state(page, "adoption-chart")[key] for key in drawn}
    assert after == before  # the other chart is left as it was
