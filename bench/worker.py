"""The worker beside the pages, on the benchmark database, each figure against a baseline
measured in the same run.

    python -m bench.worker edit   [--requests 20] [--edits 5] [--refill-seconds 600]
    python -m bench.worker import [--rows 1000000]

edit: a worker (manage.py run_huey) runs beside this process. A customer's type is edited the
way the admin saves it (one transaction); the figures are then read until the overview shows
the new data version and nothing waits. Printed, for each of `edits` customers and as medians:
the edit's own database time, the time until the dashboard shows it, and the first overview
request after the edit (a cold cache at the new version, never a fill) against the warm
overview. Then the same with the delta switched off (the edit marks its months dirty and the
worker refills them), for comparison, waited for up to `refill-seconds`.

import: the benchmark database is copied twice; a payments file of `rows` new rows (as
bench.import writes it) is imported on one copy by `manage.py import_payments` (the
command-line path, inline), and on the other through the admin (upload → preview → confirm)
with both the check and the import run by a worker. Printed: rows/s of each and their ratio,
the upload request's time (it only stores the file), the check's time in the worker, and the
peak RSS of the web process (this one; Django's test client holds the whole upload body in
memory, so it overstates a real upload) and of the worker and command.
"""

import argparse
import importlib
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _start(args, env):
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**os.environ, "LOG_LEVEL": "WARNING", **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


class PeakRss(threading.Thread):
    """Polls a child's VmHWM (peak resident set) until it exits."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak = pid, 0

    def run(self):
        while True:
            try:
                status = Path(f"/proc/{self.pid}/status").read_text()
            except OSError:
                return
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak = max(self.peak, int(line.split()[1]) * 1024)
            time.sleep(0.2)


def _mb(value):
    return f"{value / 2**20:.0f} MB"


def _wait(condition, seconds, interval=0.05):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False


# A customer edit.


def _edit_once(customer, use_delta, seconds, overview_ms):
    """Edit the customer's type as the admin saves it; (transaction s, until shown s, next
    overview ms), or None if the dashboard did not show it within `seconds`."""
    from django.db import transaction

    from adoption import rollup_deltas
    from adoption.dashboard_cache import freshness

    real_apply = rollup_deltas.apply
    if not use_delta:
        rollup_deltas.apply = lambda *args: False
    version = freshness().version
    customer.customer_type = "business" if customer.customer_type == "household" else "household"
    started = time.perf_counter()
    try:
        with transaction.atomic():
            customer.save()
    finally:
        rollup_deltas.apply = real_apply
    saved = time.perf_counter() - started

    def shown():
        fresh = freshness()
        return fresh.version != version and not fresh.updating

    if not _wait(shown, seconds):
        return None
    visible = time.perf_counter() - started
    return saved, visible, overview_ms()


def edit(requests, edits, refill_seconds):
    from bench import common
    from bench.dashboard import manager_client

    url = common.setup()
    from adoption.metrics import freshness as rollups
    from adoption.models import Customer, RollupDirty

    if RollupDirty.objects.exists() or rollups.fill_interrupted():
        rollups.ensure_fresh()
    client = manager_client()
    queue = Path(tempfile.mkdtemp()) / "queue.sqlite3"
    os.environ["HUEY_SQLITE_PATH"] = str(queue)
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    HUEY.storage = SqliteStorage(HUEY.name, filename=str(queue))
    worker = _start(["run_huey"], {"DATABASE_URL": url, "HUEY_SQLITE_PATH": str(queue)})
    try:

        def overview_ms():
            started = time.perf_counter()
            assert client.get("/").status_code == 200
            return (time.perf_counter() - started) * 1000

        overview_ms()
        warm = statistics.median(overview_ms() for _ in range(requests))
        print(f"warm overview (baseline): median {warm:.1f} ms of {requests}")
        active = Customer.objects.filter(disconnected_on__isnull=True).order_by("id")
        runs = [("delta", True, active[1000 + 97 * n]) for n in range(edits)]
        if refill_seconds:
            runs.append(("worker refill", False, active[1000]))
        delta = []
        for label, use_delta, customer in runs:
            figures = _edit_once(customer, use_delta, refill_seconds or 600, overview_ms)
            if figures is None:
                print(f"{label}: not on the dashboard within {refill_seconds} s (left running)")
                continue
            saved, visible, first = figures
            if use_delta:
                delta.append(figures)
            print(
                f"{label}: edit's transaction {saved * 1000:.0f} ms; on the dashboard after "
                f"{visible:.2f} s; next overview {first:.0f} ms = {first / warm:.1f}x warm"
            )
        if delta:
            saved, visible, first = (statistics.median(f[i] for f in delta) for i in range(3))
            print(
                f"delta, median of {len(delta)} edits: transaction {saved * 1000:.0f} ms "
                f"(max {max(f[0] for f in delta) * 1000:.0f}); on the dashboard after "
                f"{visible:.2f} s (max {max(f[1] for f in delta):.2f}); next overview "
                f"{first / warm:.1f}x warm (max {max(f[2] for f in delta) / warm:.1f}x)"
            )
    finally:
        worker.terminate()
        worker.wait(30)


# The 1 M-row admin import.


def import_(rows):
    from bench import common

    bench_import = importlib.import_module("bench.import")
    url = common.setup(verbose=False)
    data = ROOT / "bench" / "data"
    data.mkdir(parents=True, exist_ok=True)
    path = data / f"worker-payments-{rows}.csv"
    if not path.exists():
        bench_import.write_file(url, rows, path)
    from django.db import connections

    connections.close_all()  # the copies need the database to themselves
    command_url = bench_import.copy_database(url, f"{bench_import.db_name(url)}_cmd")
    admin_url = bench_import.copy_database(url, f"{bench_import.db_name(url)}_admin")
    try:
        started = time.perf_counter()
        cmd = _start(["import_payments", str(path)], {"DATABASE_URL": command_url})
        cmd_rss = PeakRss(cmd.pid)
        cmd_rss.start()
        cmd.wait()
        cmd_seconds = time.perf_counter() - started
        cmd_rss.join(1)
        assert cmd.returncode == 0, "the command-line import failed"
        print(
            f"command line (baseline): {rows:,} rows in {cmd_seconds:.1f} s = "
            f"{rows / cmd_seconds:,.0f} rows/s, peak RSS {_mb(cmd_rss.peak)}"
        )
        _admin_import(admin_url, path, rows, cmd_seconds)
    finally:
        connections.close_all()  # the web side's connection to the admin copy
        bench_import.drop_database(command_url)
        bench_import.drop_database(admin_url)


def _admin_import(url, path, rows, cmd_seconds):
    """The web side, on the copy `url` (this process was set up on the benchmark database)."""
    import dj_database_url
    from django.conf import settings
    from django.db import connections

    connections.close_all()
    settings.DATABASES["default"].update(dj_database_url.parse(url))
    from django.contrib.auth.models import User
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client
    from django.test.utils import setup_test_environment
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    from adoption.models import ImportBatch

    queue = Path(tempfile.mkdtemp()) / "queue.sqlite3"
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(queue))
    user, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    setup_test_environment()  # the test client then hands back each page's context
    client = Client()
    client.force_login(user)
    worker = _start(["run_huey"], {"DATABASE_URL": url, "HUEY_SQLITE_PATH": str(queue)})
    worker_rss = PeakRss(worker.pid)
    worker_rss.start()
    try:
        time.sleep(2)  # the worker is up: the jobs' times are the check's and the import's
        started = time.perf_counter()
        upload = SimpleUploadedFile(path.name, path.read_bytes(), "text/csv")
        response = client.post("/admin/adoption/importbatch/upload/payments/", {"file": upload})
        upload_seconds = time.perf_counter() - started
        job = response["Location"].replace("/job/", "/job.json")
        check = _follow(client, job)
        check_seconds = time.perf_counter() - started
        assert check["states"][-1]["status"] == "previewed", check["states"][-1]
        started = time.perf_counter()
        client.post(response["Location"].replace("/job/", "/confirm/"))
        imported = _follow(client, job)
        seconds = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait(30)
    batch = ImportBatch.objects.get(file_name=path.name)
    web_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(f"admin upload request (stores the file, queues its check): {upload_seconds:.1f} s")
    print(
        f"admin check job (the preview, in the worker): {check_seconds:.1f} s after the upload; "
        f"polled {len(check['states'])} times, only forward: {check['forward']}"
    )
    print(
        f"admin import job: {batch.rows_imported:,} rows in {seconds:.1f} s = "
        f"{rows / seconds:,.0f} rows/s = {cmd_seconds / seconds:.2f}x the command line; "
        f"status {batch.status}; polled {len(imported['states'])} times, "
        f"only forward: {imported['forward']}"
    )
    print(f"peak RSS: web {_mb(web_peak)}, worker {_mb(worker_rss.peak)}")


def _follow(client, job):
    """Poll a job's JSON as its page does until the worker is done with the step."""
    states = []

    def over():
        states.append(client.get(job).json())
        return not states[-1]["active"]

    # Once a second (the page polls every two): each poll is a request of this process, and
    # polling faster took CPU from the worker on two cores.
    assert _wait(over, 3600, interval=1.0), "the job did not finish"
    forward = all(
        all(a[name] <= b[name] for name in ("read", "checked", "written"))
        for a, b in zip(states, states[1:], strict=False)
        if a["step"] == b["step"] and a["active"] and b["active"]
    )
    return {"states": states, "forward": forward}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=["edit", "import"])
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--edits", type=int, default=5, help="delta edits (edit)")
    parser.add_argument(
        "--refill-seconds",
        type=int,
        default=600,
        help="edit: wait this long for the comparison with the delta off (0: skip it)",
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if args.what == "edit":
        edit(args.requests, args.edits, args.refill_seconds)
    else:
        import_(args.rows)


if __name__ == "__main__":
    main()
