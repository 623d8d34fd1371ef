"""Issue 17's partial month in Chromium: a 5-row file for a new month leaves the overview on
the last complete month, names the new one as provisional, and draws it dashed and labelled
when asked for, never as a collapse."""

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "customer_code,period,amount,channel_code,paid_at,reference"


def month_rows(period, tag):
    """Every customer pays, through both partners and the company's counter."""
    return [
        f"PA20BQ0000001,{period},150000,VTP,{period}-20 09:30,VTP-{tag}1",
        f"PA20BQ0000002,{period},98000,AGR,{period}-21 10:00,AGR-{tag}1",
        f"PA20BQ0000003,{period},90000,AGR,{period}-21 11:00,AGR-{tag}2",
        f"PA20QB0000001,{period},120000,QUAY,{period}-03 08:00,Q-{tag}1",
    ]


@pytest.fixture
def months(customers, channels, write_lines, import_reports_dir):
    for period, tag in (("2024-11", "N"), ("2024-12", "D")):
        path = write_lines(HEADER, *month_rows(period, tag), name=f"{period}.csv")
        call_command("import_payments", str(path), verbosity=0)
    # The new month: five rows from one partner only.
    partial = [
        f"PA20BQ000000{n},2025-01,150000,VTP,2025-01-0{n} 09:00,VTP-J{n}" for n in (1, 2, 3)
    ] + [
        "PA20QB0000001,2025-01,150000,VTP,2025-01-04 09:00,VTP-J4",
        "PA20QB0000001,2025-01,50000,VTP,2025-01-05 09:00,VTP-J5",
    ]
    call_command("import_payments", str(write_lines(HEADER, *partial, name="j.csv")), verbosity=0)


def chart_labels(page, chart_id):
    return page.evaluate(
        """(id) => {
            const chart = Chart.getChart(document.querySelector('#' + id + ' canvas'));
            const dataset = chart.data.datasets[0];
            const last = chart.data.labels.length - 1;
            const dash = dataset.segment
                ? dataset.segment.borderDash({p1DataIndex: last}) : null;
            return {labels: chart.data.labels, dash: dash};
        }""",
        chart_id,
    )


def test_the_overview_stays_on_the_last_complete_month_and_shows_the_new_one_as_provisional(
    login_page, live_server, users, months
):
    page = login_page(users["manager"])
    expect(page.locator(".cards h2").first).to_have_text("Tỷ lệ không dùng tiền mặt, tháng 12/2024")
    note = page.locator("[data-stat=provisional_months]")
    expect(note).to_contain_text("01/2025")
    expect(note).to_contain_text("tạm tính")
    expect(page.locator("canvas[data-state=drawn]")).to_have_count(2)
    assert chart_labels(page, "adoption-chart")["labels"][-1] == "12/2024"

    page.goto(f"{live_server.url}/?start=2024-11&end=2025-01")
    expect(page.locator("[data-stat=end_provisional]")).to_contain_text("01/2025")
    expect(page.locator("[data-stat=change_1m]")).to_have_text("—")
    expect(page.locator("canvas[data-state=drawn]")).to_have_count(2)
    drawn = chart_labels(page, "adoption-chart")
    assert drawn["labels"] == ["11/2024", "12/2024", "01/2025 (tạm tính)"]
    assert drawn["dash"] == [6, 4]
