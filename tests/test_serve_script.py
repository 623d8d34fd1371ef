"""scripts/serve.sh (what `make demo` and `make run` start): the web server and the worker in
one command, both stopped by one Ctrl-C."""

import contextlib
import os
import re
import signal
import subprocess
import time
import urllib.request

import pytest
from django.conf import settings

ROOT = settings.BASE_DIR
PORT = 8011


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def environment(tmp_path):
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "powerco.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        "HUEY_SQLITE_PATH": str(tmp_path / "queue.sqlite3"),
        "PY": str(ROOT / ".venv/bin/python"),
    }
    subprocess.run(
        [env["PY"], "manage.py", "migrate", "--no-input", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
    )
    return env


def test_one_command_starts_the_web_server_and_the_worker_and_ctrl_c_stops_both(
    environment, tmp_path
):
    log = open(tmp_path / "serve.log", "w+")  # noqa: SIM115 - read after the process ends
    script = subprocess.Popen(
        ["scripts/serve.sh", f"127.0.0.1:{PORT}"],
        cwd=ROOT,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        # As from a terminal: a runner started in the background ignores SIGINT, and bash cannot
        # trap a signal ignored when it started.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    pids = None
    try:
        deadline = time.monotonic() + 60
        answered = False
        while time.monotonic() < deadline and not answered:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2) as r:
                    answered = r.status == 200
            except OSError:
                time.sleep(0.5)
        log.seek(0)
        output = log.read()
        assert answered, output
        pids = re.search(r"pid (\d+)\), worker \(pid (\d+)\)", output)
        web, worker = int(pids[1]), int(pids[2])
        assert _alive(web) and _alive(worker)
        deadline = time.monotonic() + 30
        while "Huey consumer started" not in output and time.monotonic() < deadline:
            time.sleep(0.5)
            log.seek(0)
            output = log.read()
        assert "Huey consumer started" in output, output

        script.send_signal(signal.SIGINT)  # what Ctrl-C sends the foreground command
        assert script.wait(timeout=30) is not None
        deadline = time.monotonic() + 15
        while (_alive(web) or _alive(worker)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(web) and not _alive(worker)
        with pytest.raises(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
    finally:
        if script.poll() is None:
            script.kill()
        if pids:  # never leave a server on the port for the next run
            for group in (web, worker):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(group, signal.SIGKILL)
        log.close()
