"""The image's command, run for real: entrypoint (migrations) then gunicorn, with the
production settings, on a new PostgreSQL database, over plain HTTP on the loopback."""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings

from tests.conftest import scratch_database
from tests.test_deploy import dockerfile_cmd

pytestmark = pytest.mark.postgres

ROOT = settings.BASE_DIR
VENV_BIN = Path(sys.executable).parent
PASSWORD = "a-long-production-password-for-tests"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url, static_root, port):
    return {
        "PATH": f"{VENV_BIN}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "powerco.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        # Plain HTTP on the loopback: in production the reverse proxy speaks HTTPS.
        "SECURE_SSL_REDIRECT": "0",
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(static_root),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "2",
    }


class Browser:
    """Just enough of a browser: keeps cookies, even Secure ones over plain HTTP."""

    def __init__(self, port):
        self.port = port
        self.cookies = {}

    def request(self, method, path, body=None, headers=()):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        headers = dict(headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.text = response.read()
        connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module: starting it (migrations included) takes seconds."""
    tmp_path = tmp_path_factory.mktemp("server")
    with scratch_database() as database_url:
        yield from _serve(database_url, tmp_path)


def _serve(database_url, tmp_path):
    port = free_port()
    env = production_env(database_url, tmp_path / "static", port)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 (closed below)
    process = subprocess.Popen(
        [str(ROOT / "docker/entrypoint.sh"), *dockerfile_cmd()],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_serving(process, port, log)
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--no-input", "--username", "chief"],
            cwd=ROOT,
            env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "DJANGO_SUPERUSER_EMAIL": ""},
            check=True,
            capture_output=True,
        )
        browser = Browser(port)
        browser.log_path = tmp_path / "server.log"
        browser.env = env
        yield browser
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _wait_until_serving(process, port, log, timeout=90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            pytest.fail(f"the server exited with {process.returncode}:\n{log.read()}")
        try:
            if Browser(port).request("GET", "/healthz").status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    log.seek(0)
    pytest.fail(f"the server did not answer within {timeout} s:\n{log.read()}")


def test_it_migrates_on_start_and_serves_the_login_page(server):
    response = server.request("GET", "/accounts/login/")
    assert response.status == 200
    assert b'name="csrfmiddlewaretoken"' in response.text
    assert "'self'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_a_user_logs_in_and_sees_the_overview(server):
    page = server.request("GET", "/accounts/login/").text.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = server.request(
        "POST",
        "/accounts/login/",
        {"username": "chief", "password": PASSWORD, "csrfmiddlewaretoken": token, "next": "/"},
    )
    assert response.status == 302, response.text
    assert response.headers["Location"] == "/"
    set_cookies = " ".join(response.headers.get_all("Set-Cookie"))
    assert re.search(r"sessionid=[^;]+;.*HttpOnly.*Secure", set_cookies)

    overview = server.request("GET", "/")
    assert overview.status == 200
    assert b"chief" in overview.text  # the logout button names the user
    assert b"<h1>" in overview.text


def test_whitenoise_serves_hashed_compressed_static_files(server):
    page = server.request("GET", "/accounts/login/").text.decode()
    stylesheet = re.search(r'href="(/static/adoption/app\.[0-9a-f]{12}\.css)"', page).group(1)
    response = server.request("GET", stylesheet, headers={"Accept-Encoding": "gzip"})
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/css")
    assert response.headers["Content-Encoding"] == "gzip"
    assert "immutable" in response.headers["Cache-Control"]


def test_it_sends_hsts_behind_the_https_proxy(server):
    response = server.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    assert response.status == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_it_refuses_a_host_it_does_not_serve(server):
    response = server.request("GET", "/healthz", headers={"Host": "evil.example"})
    assert response.status == 400


def test_the_access_log_has_paths_but_not_query_strings(server):
    line = '"GET /accounts/login/" 200'
    before = server.log_path.read_text().count(line)
    assert server.request("GET", "/accounts/login/?q=Hoang-Thi-Bi-Mat").status == 200
    deadline = time.monotonic() + 5
    while (log := server.log_path.read_text()).count(line) == before:
        assert time.monotonic() < deadline, log
        time.sleep(0.1)
    assert "Bi-Mat" not in log


def test_the_container_health_check_passes(server):
    result = subprocess.run(
        [sys.executable, "docker/healthcheck.py"], cwd=ROOT, env=server.env, capture_output=True
    )
    assert result.returncode == 0, result.stderr


def test_the_container_health_check_fails_when_nothing_answers(server):
    env = {**server.env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
    result = subprocess.run(
        [sys.executable, "docker/healthcheck.py"], cwd=ROOT, env=env, capture_output=True
    )
    assert result.returncode == 1
