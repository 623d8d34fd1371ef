"""The commune page and the map in Chromium at a desktop (1366 px) and a phone (360 px) width:
status words, the base switch, the drill-down with its filters, one circle per commune, the
legend outside the plot; and axe-core's check on every dashboard page."""

import pytest
from playwright.sync_api import expect

from tests.browser.accessibility import AXE, serious_violations
from tests.outlook_fixture import make_outlook_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUERY = "?start=2023-07&end=2025-06&customer_type=household"
WIDTHS = [1366, 360]


@pytest.fixture
def data(company, branches, areas):
    return make_outlook_data(company, branches, areas)


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def width(request, page):
    page.set_viewport_size({"width": request.param, "height": 900})
    return request.param


def open_as(login_page, live_server, user, url):
    # The login form's ?next= would drop everything after the query's first "&".
    page = login_page(user)
    page.goto(live_server.url + url)
    return page


def box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_drill_down_company_branch_commune_keeps_the_filters(
    login_page, live_server, users, areas, data, width
):
    page = open_as(login_page, live_server, users["manager"], "/" + QUERY)
    page.click("#area-table a:text('Huyện Quang Bình')")
    page.wait_for_url("**/branches/QB/?*")
    assert "customer_type=household" in page.url and "start=2023-07" in page.url
    page.click("#area-table a:text('Thị trấn Yên Bình')")
    page.wait_for_url(f"**/branches/QB/communes/{areas['yen_binh'].pk}/?*")
    assert "customer_type=household" in page.url and "end=2025-06" in page.url
    expect(page.locator("[data-stat=status]")).to_have_text("chậm")
    expect(page.locator("[data-stat=difference]")).to_have_text("-4,0")
    expect(page.locator("[data-stat=forecast_error]")).to_contain_text(
        "sai số dự báo 3 tháng: ±0,0"
    )
    # The breadcrumb goes back up with the same filters.
    page.click("nav.crumbs a:text('Huyện Quang Bình')")
    page.wait_for_url("**/branches/QB/?*")
    assert "customer_type=household" in page.url


def test_the_base_switch_changes_the_highlighted_line_and_keeps_the_table(
    login_page, live_server, users, areas, data, width
):
    url = f"/branches/QB/communes/{areas['yen_binh'].pk}/{QUERY}"
    page = open_as(login_page, live_server, users["manager"], url)
    expect(page.locator("path.line.front")).to_have_attribute("data-line", "customers")
    page.click("nav.switch a[data-base=bills]")
    page.wait_for_url("**base=bills*")
    expect(page.locator("path.line.front")).to_have_attribute("data-line", "bills")
    expect(page.locator("nav.switch a[aria-current]")).to_have_attribute("data-base", "bills")
    assert "customer_type=household" in page.url
    # The legend sits below the plot, never over it, even on a phone.
    plot, legend = box(page, "#commune-chart svg.lines"), box(page, "#commune-chart .legend")
    assert legend["y"] >= plot["y"] + plot["height"] - 1
    assert plot["width"] <= width


def test_the_map_draws_one_circle_per_commune_coloured_by_status(
    login_page, live_server, users, areas, data, width
):
    page = open_as(login_page, live_server, users["manager"], "/map/" + QUERY)
    circles = page.locator("#map svg circle[data-commune]")
    expect(circles).to_have_count(3)
    expect(page.locator("#map svg circle[data-commune].status-miss")).to_have_count(1)
    expect(page.locator("#map-table tbody tr")).to_have_count(3)
    expect(page.locator("#map-table tbody tr").first).to_contain_text("không đạt")
    assert box(page, "#map svg")["width"] <= width
    page.locator(f"#map svg circle[data-commune='{areas['yen_binh'].pk}']").click()
    page.wait_for_url(f"**/communes/{areas['yen_binh'].pk}/?*")
    assert "customer_type=household" in page.url


@pytest.fixture
def browser_context_args(browser_context_args):
    # axe-core is injected as a script, which the pages' CSP forbids (accessibility.py).
    return {**browser_context_args, "bypass_csp": True}


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make install)")
def test_axe_finds_no_serious_violation_on_the_dashboard_pages(
    login_page, live_server, users, areas, data, width
):
    page = login_page(users["manager"])
    found = {}
    for url in [
        "/" + QUERY,
        "/branches/QB/" + QUERY,
        f"/branches/QB/communes/{areas['yen_binh'].pk}/{QUERY}",
        "/map/" + QUERY,
        "/reports/" + QUERY,
        "/reports/branches/QB/" + QUERY,
        "/months/",
    ]:
        page.goto(live_server.url + url)
        page.wait_for_load_state("networkidle")
        found[url] = serious_violations(page)
    assert found == {url: [] for url in found}


@pytest.mark.skipif(not AXE.exists(), reason="axe-core not installed (make install)")
def test_axe_reports_a_serious_violation_when_there_is_one(page):
    # The check above could pass by not running at all: here a picture without its text.
    page.set_content('<html lang="vi"><body><main><img src="data:,"></main></body></html>')
    assert "image-alt" in [rule for rule, _impact, _where in serious_violations(page)]


def test_the_overview_shows_status_words_and_signed_gaps_worst_first(
    login_page, live_server, users, areas, data, width
):
    page = open_as(login_page, live_server, users["manager"], "/" + QUERY)
    rows = page.locator("#area-table tbody tr")
    expect(rows).to_have_count(3)
    expected = [
        ("Huyện Vị Xuyên", "không đạt", "-30,0"),
        ("Huyện Quang Bình", "chậm", "-4,0"),
        ("Huyện Bắc Quang", "đạt", "+5,0"),
    ]
    for index, (name, status, gap) in enumerate(expected):
        cells = rows.nth(index).locator("td")
        expect(cells.first).to_have_text(name)
        expect(cells.nth(1)).to_have_text(status)
        expect(cells.last).to_have_text(gap)


def line_colours(page, chart_id):
    return page.evaluate(
        """(id) => Object.fromEntries(
            Chart.getChart(document.querySelector('#' + id + ' canvas')).data.datasets
                .filter((d) => d.unit)
                .map((d) => [d.label, [d.borderColor, d.borderWidth]]))""",
        chart_id,
    )


def test_the_overview_greys_every_district_but_the_one_chosen(
    login_page, live_server, users, data, width
):
    """Not one coloured line per district: all grey until one is chosen above the chart, which
    alone takes a colour (both hold 3:1 on white); the legend stays under the plot."""
    page = open_as(login_page, live_server, users["manager"], "/" + QUERY)
    expect(page.locator("#adoption-chart canvas[data-state=drawn]")).to_have_count(1)
    grey, blue = ["#8a8a8a", 1.5], ["#0b5cad", 3]
    colours = line_colours(page, "adoption-chart")
    assert len(colours) == 3 and all(c == grey for c in colours.values())
    page.locator("#adoption-chart p.highlight select").select_option(label="Huyện Vị Xuyên")
    colours = line_colours(page, "adoption-chart")
    assert colours.pop("Huyện Vị Xuyên") == blue
    assert all(c == grey for c in colours.values())
    assert box(page, "#adoption-chart p.highlight")["width"] <= width
