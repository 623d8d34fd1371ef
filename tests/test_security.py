"""Deployment checks, Content-Security-Policy, templates free of inline code, sessions,
password rules and the public health check."""

import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.utils import timezone

ROOT = settings.BASE_DIR
PASSWORD = "correct-horse-battery-staple"
PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "powerco.example.vn",
    "DATABASE_URL": "sqlite:////tmp/unused.sqlite3",
}


def _check_deploy(**overrides):
    # The test runner's DJANGO_ALLOW_ASYNC_UNSAFE is for Playwright, never set in production.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**inherited, **PRODUCTION_ENV, **overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )


def test_check_deploy_is_clean_with_the_production_settings():
    result = _check_deploy()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues (0 silenced)" in result.stdout
    assert "SILENCED_SYSTEM_CHECKS" not in (ROOT / "powerco/settings.py").read_text()


def test_check_deploy_fails_when_https_redirects_are_turned_off():
    # The switch the tests use for plain HTTP on the loopback is caught by the deploy check.
    result = _check_deploy(SECURE_SSL_REDIRECT="0")
    assert result.returncode != 0
    assert "security.W008" in result.stdout + result.stderr


# Content-Security-Policy


def _policy(response):
    header = response["Content-Security-Policy"]
    return {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in header.split(";"))
        if directive
    }


def assert_strict_policy(response):
    policy = _policy(response)
    sources = {source for directive in policy.values() for source in directive}
    for loophole in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"):
        assert loophole not in sources, loophole
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_the_login_page_has_a_strict_policy(client):
    assert_strict_policy(client.get("/accounts/login/"))


def test_the_overview_has_a_strict_policy(client_for, users):
    response = client_for(users["manager"]).get("/")
    assert response.status_code == 200
    assert_strict_policy(response)


def test_the_policy_check_catches_unsafe_inline(client, settings, db):
    settings.CONTENT_SECURITY_POLICY = {
        "DIRECTIVES": {
            **settings.CONTENT_SECURITY_POLICY["DIRECTIVES"],
            "script-src": ["'self'", "'unsafe-inline'"],
        }
    }
    with pytest.raises(AssertionError, match="unsafe-inline"):
        assert_strict_policy(client.get("/accounts/login/"))


# Templates: the strict policy blocks inline code, so none may be written.

INLINE_CODE = [
    (
        "a <script> without src",
        re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*application/json)", re.I),
    ),
    ("a <style> element", re.compile(r"<style\b", re.I)),
    ("a style= attribute", re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I | re.S)),
    ("an on…= event attribute", re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I | re.S)),
    ("a javascript: URL", re.compile(r"javascript:", re.I)),
]


def our_templates():
    skip = {".venv", ".tools", "staticfiles", "node_modules", "test-results"}
    for path in sorted(ROOT.rglob("templates/**/*.html")):
        if not skip & set(path.relative_to(ROOT).parts):
            yield path


def inline_code(text):
    return [what for what, pattern in INLINE_CODE if pattern.search(text)]


def test_no_template_carries_inline_scripts_styles_or_handlers():
    templates = list(our_templates())
    assert any(p.name == "base.html" for p in templates)
    offenders = {
        str(path.relative_to(ROOT)): found
        for path in templates
        if (found := inline_code(path.read_text()))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "snippet",
    [
        "<script>alert(1)</script>",
        '<script type="module">import x from "y"</script>',
        "<style>p{color:red}</style>",
        '<p style="color:red">',
        '<div class="x"\n     style="display:none">',
        '<button onclick="go()">',
        '<a href="javascript:go()">',
    ],
)
def test_the_template_scan_catches(snippet):
    assert inline_code(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        "<script src=\"{% static 'adoption/overview.js' %}\" defer></script>",
        '<script id="chart-data" type="application/json">{}</script>',
        '<p class="styled">one</p>',
    ],
)
def test_the_template_scan_allows(snippet):
    assert inline_code(snippet) == []


# Sessions and passwords


def test_sessions_end_with_the_browser_or_after_a_working_day():
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True
    assert settings.SESSION_COOKIE_AGE <= 12 * 60 * 60
    assert settings.SESSION_COOKIE_HTTPONLY is True


def test_the_session_cookie_is_not_kept_on_disk(client, users):
    response = client.post("/accounts/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.cookies[settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == "" and cookie["expires"] == ""
    assert cookie["httponly"]


def test_an_expired_session_is_sent_back_to_login(client, users):
    client.post("/accounts/login/", {"username": "manager", "password": PASSWORD})
    assert client.get("/").status_code == 200
    session = Session.objects.get(session_key=client.session.session_key)
    assert session.expire_date <= timezone.now() + timedelta(
        seconds=settings.SESSION_COOKIE_AGE + 5
    )
    Session.objects.filter(pk=session.pk).update(expire_date=timezone.now() - timedelta(seconds=1))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("password", ["short1", "password123", "12345678901234", "manager2024"])
def test_weak_passwords_are_refused(users, password):
    with pytest.raises(ValidationError):
        validate_password(password, users["manager"])


def test_a_long_unusual_password_is_accepted(users):
    validate_password("núi-đồi-Hà-Giang-2024-mây", users["manager"])


# The health check


def test_healthz_answers_anonymously_without_the_database_or_a_session(client):
    # No django_db mark: any query would raise here.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_the_container_check_behind_the_https_redirect(client, settings):
    # docker/healthcheck.py says the request came over HTTPS, as the reverse proxy does.
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/healthz").status_code == 301
    assert client.get("/healthz", HTTP_X_FORWARDED_PROTO="https").status_code == 200


# Cache-Control: the company's figures stay out of shared caches and the browser's disk.


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/branches/BQ/",
        "/channels/",
        "/?_export=csv",
        "/channels/?_export=xlsx",
        "/outreach/",
        "/charts/adoption/",
    ],
)
def test_dashboard_pages_and_exports_are_private_and_not_stored(client_for, users, url):
    response = client_for(users["manager"]).get(url)

    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives


def test_an_answer_that_sets_its_own_caching_keeps_it(client):
    assert "must-revalidate" in client.get("/healthz")["Cache-Control"]
