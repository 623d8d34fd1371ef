"""Error pages in production: in Vietnamese, standalone, and a refused database is a 503 page."""

import pytest
from django.db import OperationalError
from django.test import Client


@pytest.fixture
def production(settings):
    settings.DEBUG = False


def test_a_missing_page_is_a_vietnamese_404(client, db, production):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Không tìm thấy trang" in response.content.decode()


def test_a_refused_page_is_a_vietnamese_403(client_for, users, production):
    response = client_for(users["staff_bq"]).get("/branches/QB/")

    assert response.status_code in (403, 404)
    assert "Không có quyền truy cập" in response.content.decode() or (
        "Không tìm thấy trang" in response.content.decode()
    )


def test_a_refused_database_is_a_translated_503_not_a_bare_500(
    client_for, users, production, monkeypatch
):
    def refused(*args, **kwargs):
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr("adoption.views.dashboard.freshness", refused)

    response = client_for(users["manager"]).get("/")

    assert response.status_code == 503
    page = response.content.decode()
    assert "Cơ sở dữ liệu hiện không phản hồi" in page
    assert "Connection refused" not in page
    assert response["Retry-After"] == "60"


def test_a_bug_is_a_translated_500(users, production, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr("adoption.views.dashboard.freshness", broken)
    client = Client(raise_request_exception=False)
    client.force_login(users["manager"])

    response = client.get("/")

    assert response.status_code == 500
    assert "Lỗi máy chủ" in response.content.decode()


def test_the_english_pages_follow_the_language_switch(client, db, production, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    assert "Page not found" in client.get("/no-such-page/").content.decode()
