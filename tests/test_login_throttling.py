"""django-axes: five failed logins for a username from one address lock that pair for an hour,
and the lockout page says so."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.utils import timezone

PASSWORD = "correct-horse-battery-staple"


def _login(client, username, password, ip="10.0.0.1"):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=ip,
    )


def _fail(client, times, username="manager", ip="10.0.0.1"):
    """Fails `times` times; the fifth failure is answered with the lockout page already."""
    statuses = [_login(client, username, "wrong-password", ip).status_code for _ in range(times)]
    assert statuses == [200, 200, 200, 200, 429][:times]


def test_throttling_is_five_failures_for_an_hour():
    assert settings.AXES_FAILURE_LIMIT == 5
    assert settings.AXES_COOLOFF_TIME == 1
    assert settings.AXES_LOCKOUT_TEMPLATE == "registration/lockout.html"


def test_the_sixth_attempt_is_locked_out_even_with_the_right_password(client, users):
    _fail(client, 5)

    response = _login(client, "manager", PASSWORD)

    assert response.status_code == 429
    assert "registration/lockout.html" in [t.name for t in response.templates]
    assert "Quá nhiều lần đăng nhập sai" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_four_failures_do_not_lock(client, users):
    _fail(client, 4)
    response = _login(client, "manager", PASSWORD)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users["manager"].pk)


def test_the_lock_holds_for_that_user_and_address_only(client, users):
    _fail(client, 5)
    assert _login(client, "manager", PASSWORD).status_code == 429
    # Another user from the same office address, and the same user from elsewhere, still log in.
    assert _login(client, "staff_bq", PASSWORD).status_code == 302
    client.logout()
    assert _login(client, "manager", PASSWORD, ip="10.0.0.2").status_code == 302


def test_the_lock_lifts_after_an_hour(client, users):
    _fail(client, 5)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1, minutes=1))
    assert _login(client, "manager", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_the_lockout_page_is_translated(client):
    _fail(client, 5, username="someone")
    response = client.post(
        "/accounts/login/",
        {"username": "someone", "password": "x"},
        REMOTE_ADDR="10.0.0.1",
        HTTP_COOKIE="django_language=en",
    )
    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()


# Behind the documented reverse proxy (PROXY_COUNT=1): REMOTE_ADDR is the proxy's address.


def _through_proxy(client, username, password, client_ip, forged=""):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=f"{forged + ', ' if forged else ''}{client_ip}",
    )


def test_behind_the_proxy_failures_from_elsewhere_do_not_lock_the_real_user_out(
    client, users, settings
):
    settings.PROXY_COUNT = 1
    for _ in range(5):
        _through_proxy(client, "manager", "wrong-password", "203.0.113.9")
    assert _through_proxy(client, "manager", PASSWORD, "203.0.113.9").status_code == 429

    # The real user, at the office, through the same proxy.
    response = _through_proxy(client, "manager", PASSWORD, "198.51.100.20")

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(users["manager"].pk)
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_behind_the_proxy_a_forged_forwarded_address_does_not_escape_the_lock(
    client, users, settings
):
    settings.PROXY_COUNT = 1
    for number in range(5):
        # The attacker writes a new address each time; the proxy appends the real one.
        _through_proxy(client, "manager", "wrong-password", "203.0.113.9", f"10.9.9.{number}")

    assert _through_proxy(client, "manager", PASSWORD, "203.0.113.9", "10.9.9.99").status_code == (
        429
    )


def test_without_a_proxy_the_forwarded_header_is_ignored(client, users, settings):
    settings.PROXY_COUNT = 0
    for number in range(5):
        client.post(
            "/accounts/login/",
            {"username": "manager", "password": "wrong-password"},
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"10.9.9.{number}",
        )

    assert _login(client, "manager", PASSWORD).status_code == 429
