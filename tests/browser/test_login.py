import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_logs_in_and_sees_the_dashboard_heading(login_page, users):
    page = login_page(users["manager"])
    expect(page.locator("h1")).to_be_visible()
    assert "/accounts/login" not in page.url
