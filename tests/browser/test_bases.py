"""The base switch of the overview and the branch page in Chromium, at a desktop (1366 px) and a
phone (360 px) width: one click changes the headline, the table's rate column and the chart
together, and keeps the filters."""

import pytest
from playwright.sync_api import expect

from tests.base_fixture import make_base_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = "?start=2024-12&end=2025-01&customer_type=household"
NBSP = "\u00a0"
CHOSEN = "nav.switch a[data-base][aria-current]"  # the base shown


@pytest.fixture
def data(company, branches, areas):
    make_base_data(company, branches, areas)


@pytest.fixture(params=[1366, 360], ids=lambda w: f"{w}px")
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def open_as(login_page, live_server, user, url):
    # The login form's ?next= would drop everything after the query's first "&".
    page = login_page(user)
    page.goto(live_server.url + url)
    return page


def last_point(page, chart_id, label):
    """The last value Chart.js holds for the dataset of this label, once the chart is drawn."""
    expect(page.locator(f"#{chart_id} canvas[data-state=drawn]")).to_have_count(1)
    return page.evaluate(
        """([id, label]) => {
            const chart = Chart.getChart(document.querySelector('#' + id + ' canvas'));
            const data = chart.data.datasets.find((d) => d.label === label).data;
            return data[data.length - 1];
        }""",
        [chart_id, label],
    )


def rate_cell(page, name):
    # name, status, customers, non-cash customers, rate.
    return page.locator("#area-table tbody tr", has_text=name).locator("td").nth(4)


def percent(value):
    return f"{value:.1f}".replace(".", ",") + NBSP + "%"


def test_the_overview_switch_changes_chart_and_table_together(
    login_page, live_server, users, data, width
):
    page = open_as(login_page, live_server, users["manager"], "/" + QUERY)
    expect(rate_cell(page, "Bắc Quang")).to_have_text(percent(50))
    assert round(last_point(page, "adoption-chart", "Huyện Bắc Quang"), 1) == 50.0
    page.click("nav.switch a[data-base=bills]")
    page.wait_for_url("**base=bills*")
    assert "customer_type=household" in page.url and "start=2024-12" in page.url
    expect(page.locator(CHOSEN)).to_have_attribute("data-base", "bills")
    expect(rate_cell(page, "Bắc Quang")).to_have_text(percent(75))
    expect(rate_cell(page, "Quang Bình")).to_have_text(percent(40))
    assert round(last_point(page, "adoption-chart", "Huyện Bắc Quang"), 1) == 75.0
    assert round(last_point(page, "adoption-chart", "Huyện Quang Bình"), 1) == 40.0
    expect(page.locator(".cards [data-stat=rate]")).to_have_text(percent(51.4))
    # Targets are customer targets: the page says so, the difference stays on customers.
    expect(page.locator("[data-base-note]")).to_be_visible()
    expect(page.locator("[data-stat=difference]")).to_have_text("-10,0")
    # The switch fits the phone's width.
    assert page.locator(".base-choice nav.switch").bounding_box()["width"] <= width


def test_the_branch_switch_changes_chart_and_table_and_the_drill_keeps_it(
    login_page, live_server, users, areas, data, width
):
    page = open_as(login_page, live_server, users["manager"], "/branches/BQ/" + QUERY)
    expect(rate_cell(page, "Việt Quang")).to_have_text(percent(50))
    page.click("nav.switch a[data-base=vnd]")
    page.wait_for_url("**base=vnd*")
    expect(rate_cell(page, "Việt Quang")).to_have_text(percent(25))
    assert round(last_point(page, "branch-chart", "Thị trấn Việt Quang"), 1) == 25.0
    expect(page.locator(".cards [data-stat=rate]")).to_have_text(percent(25))
    page.click("#area-table a:text('Thị trấn Việt Quang')")
    page.wait_for_url(f"**/branches/BQ/communes/{areas['viet_quang'].pk}/?*")
    assert "base=vnd" in page.url and "customer_type=household" in page.url
    expect(page.locator(CHOSEN)).to_have_attribute("data-base", "vnd")
