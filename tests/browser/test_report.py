"""The monthly report page in Chromium, on a desktop and a 360 px phone: drawn without script
or CSP errors, no sideways scrolling of the page, and its PDF link opens a PDF of the month."""

from io import BytesIO

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.dashboard_fixture import make_dashboard_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


@pytest.mark.parametrize("width", [1366, 360])
def test_the_report_page_reads_and_links_its_pdf(login_page, live_server, users, data, width):
    page = login_page(users["manager"], next_url="/reports/?start=2024-01&end=2025-01")
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": width, "height": 800})
    page.reload()
    expect(page.locator("h1")).to_contain_text("Báo cáo tháng 01/2025")
    expect(page.locator("svg.report-chart polyline, svg.report-chart circle").first).to_be_visible()
    expect(page.locator("[data-report=rows] tbody tr")).to_have_count(2)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    href = page.locator("[data-report=pdf]").get_attribute("href")
    response = page.request.get(live_server.url + href)
    assert response.headers["content-type"] == "application/pdf"
    text = PdfReader(BytesIO(response.body())).pages[0].extract_text()
    assert "01/2025" in text and "Công ty Điện lực Hà Giang" in text
    assert errors == []
