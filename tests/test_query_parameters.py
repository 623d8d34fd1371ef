"""Hostile query parameters and path parts: the page, a 400 or a 404, never a 500."""

from datetime import UTC, datetime

import pytest

from adoption.models import RollupState
from tests.dashboard_fixture import RANGE, make_dashboard_data


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def data(company, branches, areas, channels):
    RollupState.objects.create(name="rollups", data_as_of=datetime(2025, 2, 3, 1, 30, tzinfo=UTC))
    return make_dashboard_data(company, branches, areas, channels)


PAGES = ["/", "/branches/BQ/", "/channels/"]


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("per_page", ["-1", "0", "abc", "99999999999999999999"])
def test_a_bad_page_size_shows_the_page_at_its_own_size(client_for, users, data, url, per_page):
    response = client_for(users["manager"]).get(url, {**RANGE, "per_page": per_page})

    assert response.status_code == 200
    assert "area-table" in response.content.decode() or "partner-table" in (
        response.content.decode()
    )


@pytest.mark.parametrize("url", PAGES)
@pytest.mark.parametrize("number", ["-1", "0", "x", "99999"])
def test_a_bad_page_number_shows_the_first_or_last_page(client_for, users, data, url, number):
    response = client_for(users["manager"]).get(url, {**RANGE, "page": number})

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        "/branches/B%00Q/",
        "/charts/branches/B%00Q/",
        "/?start=2024%00-01",
        "/branches/BQ/?end=%00",
        "/channels/?customer_type=%00&sort=%00",
        "/charts/adoption/?start=%00&customer_type=%00",
        "/charts/channel-mix/?by=%00&branch=B%00Q",
        "/charts/partners/?measure=%00",
        "/?mix=%00&sort=na%00me",
    ],
)
def test_a_nul_byte_is_a_bad_request(client_for, users, data, url):
    response = client_for(users["manager"]).get(url)

    assert response.status_code == 400
    assert "Yêu cầu không hợp lệ" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/autocomplete/?term=%00&app_label=adoption&model_name=customer&field_name=commune",
        "/admin/adoption/customer/?q=%00",
        "/admin/adoption/payment/?q=%00",
        "/admin/adoption/customer/?q=PA%00",
    ],
)
def test_a_nul_byte_in_an_admin_search_is_a_bad_request(client_for, users, data, url):
    response = client_for(users["admin"]).get(url)

    assert response.status_code == 400
