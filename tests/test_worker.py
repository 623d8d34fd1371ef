"""The worker and the pages beside it: pages only read, edits reach the figures through the
worker's jobs, and each fault of the queue leaves the site up and the work recoverable."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date, datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from adoption import tasks
from adoption.metrics import dirty, freshness
from adoption.models import (
    BranchMonth,
    ChannelMonth,
    CommuneMonth,
    FirstNoncash,
    Payment,
    RollupDirty,
)
from tests.dashboard_fixture import RANGE, make_dashboard_data

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
JAN, FEB, MAR = (date(2024, m, 1) for m in (1, 2, 3))
ROLLUP_TABLES = [m._meta.db_table for m in (CommuneMonth, BranchMonth, ChannelMonth, FirstNoncash)]
PAGES = ["/", "/branches/BQ/", "/channels/", "/charts/adoption/", "/charts/channel-mix/"]


@pytest.fixture
def data(company, branches, areas, channels):
    return make_dashboard_data(company, branches, areas, channels)


@pytest.fixture
def payments(customers, channels):
    """A few months of payments in both branches."""
    made = []
    plan = [
        ("bq1", JAN, "counter"),
        ("bq1", FEB, "viettelpay"),
        ("bq2", FEB, "agribank"),
        ("bq2", MAR, "counter"),
        ("qb1", JAN, "viettelpay"),
        ("qb1", MAR, "collector"),
    ]
    for n, (customer, period, channel) in enumerate(plan):
        made.append(
            Payment.objects.create(
                customer=customers[customer],
                period=period,
                channel=channels[channel],
                amount=100_000,
                paid_at=datetime(period.year, period.month, 20, 9, tzinfo=TZ),
                reference=f"W{n}",
            )
        )
    return made


def rollup_rows():
    """Every rollup row, comparable between two fills."""
    return {
        model.__name__: sorted(
            tuple(row.values()) for row in model.objects.values().order_by() if row.pop("id")
        )
        for model in (CommuneMonth, BranchMonth, ChannelMonth)
    }


def full_rebuild_rows():
    freshness.refresh()
    return rollup_rows()


def database_url():
    db = connection.settings_dict
    auth = f"{db['USER']}:{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else db["USER"]
    return f"postgres://{auth}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def manage(*args, env=None, **kwargs):
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "powerco.settings",
        "DATABASE_URL": database_url(),
        **(env or {}),
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,
    )


def wait_for(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# Pages only read.


def test_with_no_worker_pages_answer_with_the_old_figures_and_the_updating_mark(
    client_for, users, data, branches, no_worker
):
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    dirty.mark_dirty([date(2025, 1, 1)], [branches["bq"].pk])  # an edit nobody fills

    for url in ["/", "/branches/BQ/", "/channels/"]:
        page = client.get(url, RANGE).content.decode()
        assert 'data-stat="updating"' in page, url
    overview = client.get("/", RANGE).content.decode()
    assert "46.0" in overview  # Bắc Quang's figure of the last fill
    assert client.get("/freshness/").json()["updating"] is True
    assert RollupDirty.objects.count() == 1
    assert no_worker.pending_count() == 0  # a marker written outside a commit hook


def test_the_updating_mark_clears_once_the_worker_has_filled(
    client_for, users, data, branches, drain
):
    client = client_for(users["manager"])
    dirty.mark_dirty([date(2025, 1, 1)], [branches["bq"].pk])
    assert client.get("/freshness/").json()["updating"] is True

    drain()

    state = client.get("/freshness/").json()
    assert state["updating"] is False
    assert state["data_as_of"] is not None
    assert 'data-stat="updating"' not in client.get("/", RANGE).content.decode()


def test_vietnamese_pages_say_dang_cap_nhat(client_for, users, data, branches):
    client = client_for(users["manager"])
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
    dirty.mark_dirty([date(2025, 1, 1)], [branches["bq"].pk])
    assert "đang cập nhật" in client.get("/", RANGE).content.decode()


def test_a_get_never_writes_rollups_nor_takes_the_fill_lock(
    client_for, users, customers, payments, branches, no_deltas
):
    freshness.refresh()
    payments[0].delete()  # markers wait for the worker
    assert RollupDirty.objects.exists()
    client = client_for(users["manager"])

    for url in PAGES:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, RANGE).status_code == 200, url
        sql = [q["sql"].lower() for q in queries.captured_queries]
        writes = [
            s
            for s in sql
            if s.lstrip().startswith(("insert", "delete", "update"))
            and any(table in s for table in [*ROLLUP_TABLES, "adoption_rollup"])
        ]
        assert writes == [], url
        assert not any("advisory" in s for s in sql), url
    assert RollupDirty.objects.exists()


def test_freshness_is_one_query(data, django_assert_num_queries):
    from adoption.dashboard_cache import freshness

    with django_assert_num_queries(1):
        fresh = freshness()
    assert fresh.version and not fresh.updating


# Edits hand the worker a job after they commit.


@pytest.mark.django_db(transaction=True)
def test_an_edit_enqueues_one_fill_after_commit_and_the_worker_catches_up(
    customers, payments, branches, no_worker
):
    freshness.refresh()
    before = rollup_rows()
    customer = customers["bq1"]
    customer.customer_type = "business"
    customer.save()  # one transaction, many markers, one job

    assert no_worker.pending_count() == 1
    assert rollup_rows() == before  # nothing filled yet
    task = no_worker.dequeue()
    no_worker.execute(task)

    assert not RollupDirty.objects.exists()
    assert rollup_rows() == full_rebuild_rows()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_edit_enqueues_nothing(customers, payments, no_worker):
    from django.db import transaction

    with transaction.atomic():
        payments[0].delete()
        transaction.set_rollback(True)
    assert no_worker.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_with_the_queue_unreachable_the_edit_is_kept_and_a_log_line_says_so(
    customers, payments, caplog, no_worker
):
    from huey.storage import RedisStorage

    no_worker.storage = RedisStorage(no_worker.name, url="redis://127.0.0.1:1/0")
    customer = customers["bq1"]
    customer.customer_type = "business"
    with caplog.at_level(logging.ERROR):
        customer.save()  # commits: the fill job cannot be enqueued

    customer.refresh_from_db()
    assert customer.customer_type == "business"
    assert RollupDirty.objects.exists()  # the sweep will find them
    assert "the queue is unreachable" in caplog.text


def test_the_queue_health_reports_the_age_of_waiting_work(client, branches, no_worker):
    assert client.get("/healthz/queue").json()["oldest_dirty_marker_age"] is None
    dirty.mark_dirty([JAN], [branches["bq"].pk])
    RollupDirty.objects.update(marked_at=datetime(2020, 1, 1, tzinfo=TZ))

    body = client.get("/healthz/queue").json()

    assert body["queue_reachable"] is True
    assert body["oldest_dirty_marker_age"] > 3600
    assert body["pending_jobs"] == 0


def test_the_queue_health_is_503_when_the_queue_is_unreachable(client, db, no_worker):
    from huey.storage import RedisStorage

    no_worker.storage = RedisStorage(no_worker.name, url="redis://127.0.0.1:1/0")
    response = client.get("/healthz/queue")
    assert response.status_code == 503
    assert response.json()["queue_reachable"] is False
    assert client.get("/healthz").status_code == 200  # the plain check still answers


# Faults in the worker.


def test_transient_database_errors_are_retried_with_backoff_and_others_wait_for_the_sweep(
    monkeypatch, caplog
):
    assert (tasks.fill_rollups.retries, tasks.fill_rollups.retry_delay) == (5, 2)

    def lost():
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        tasks._transient_only(lost)  # raised: huey retries it

    def bug():
        raise ValueError("a bug")

    with caplog.at_level(logging.ERROR):
        tasks._transient_only(bug)  # logged, not retried: the markers stay for the sweep
    assert "the markers stay" in caplog.text


def test_the_sweep_fills_what_a_lost_job_left(customers, payments, no_deltas):
    freshness.refresh()
    payments[1].delete()  # its job never ran (this test's transaction never commits)
    assert RollupDirty.objects.exists()

    tasks.sweep.call_local()

    assert not RollupDirty.objects.exists()
    assert rollup_rows() == full_rebuild_rows()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_on_the_same_markers_fill_once(
    customers, payments, no_worker, no_deltas
):
    freshness.refresh()
    for payment in payments[:3]:
        payment.delete()
    errors = []

    def worker():
        try:
            tasks.fill_rollups.call_local()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert not RollupDirty.objects.exists()
    assert rollup_rows() == full_rebuild_rows()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_with_two_threads_fills_each_edit_once(
    customers, payments, tmp_path, no_deltas
):
    """`manage.py run_huey` in a subprocess, on a SQLite queue file this test also writes to."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    queue_file = tmp_path / "queue.sqlite3"
    freshness.refresh()
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(queue_file))
    worker = manage("run_huey", "--workers", "2", env={"HUEY_SQLITE_PATH": str(queue_file)})
    try:
        payments[0].delete()
        payments[4].delete()
        customer = customers["qb1"]
        customer.customer_type = "business"
        customer.save()
        assert wait_for(lambda: HUEY.pending_count() == 0 and not RollupDirty.objects.exists())
    finally:
        worker.send_signal(signal.SIGINT)
        output = worker.communicate(timeout=30)[0]
        HUEY.immediate = True
    assert "fill_rollups" in output
    assert rollup_rows() == full_rebuild_rows()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fill_killed_half_way_is_redone_from_its_markers_and_counts_nothing_twice(
    customers, payments, no_worker
):
    import psycopg2

    freshness.refresh()
    expected = rollup_rows()
    RollupDirty.objects.all().delete()
    dirty.mark_dirty([JAN, FEB, MAR], list({c.branch_id for c in customers.values()}))
    # Hold the branch rollups: the fill deletes the markers and the commune rollups, then waits.
    blocker = psycopg2.connect(database_url())
    cursor = blocker.cursor()
    cursor.execute(f"LOCK TABLE {BranchMonth._meta.db_table} IN ACCESS EXCLUSIVE MODE")
    fill = manage("refresh_adoption", "--verbosity", "0")
    try:
        # This database's waiters only: other databases on the server have their own.
        waiting = (
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database())"
        )
        assert wait_for(lambda: cursor.execute(waiting) or cursor.fetchone()[0] > 0)
        fill.send_signal(signal.SIGKILL)
        fill.wait(timeout=10)
    finally:
        blocker.rollback()
        blocker.close()

    assert fill.returncode == -signal.SIGKILL
    # The killed fill's transaction rolled back: every marker is still there.
    assert wait_for(lambda: RollupDirty.objects.count() == 2 * 3)
    assert freshness.fill_interrupted()

    tasks.fill_rollups.call_local()

    assert not RollupDirty.objects.exists()
    assert not freshness.fill_interrupted()
    assert rollup_rows() == expected


IMPORTED = (
    "customer_code,period,amount,channel_code,paid_at,reference\n"
    "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,TWO-1\n"
    "PA20QB0000001,2025-02,120000,QUAY,2025-02-03 08:00,TWO-2\n"
)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_fill_each_edit_once_and_run_each_import_once(
    customers, payments, tmp_path, settings, no_deltas
):
    """Two `manage.py run_huey` started on one queue, every job delivered twice."""
    from huey.contrib.djhuey import HUEY
    from huey.storage import SqliteStorage

    from adoption import import_jobs
    from adoption.choices import ImportKind, ImportStatus
    from adoption.models import ImportBatch

    queue_file = tmp_path / "queue.sqlite3"
    settings.IMPORT_UPLOADS_DIR = tmp_path / "uploads"
    settings.IMPORT_UPLOADS_DIR.mkdir()
    upload = settings.IMPORT_UPLOADS_DIR / "payments.csv"
    upload.write_text(IMPORTED, encoding="utf-8")
    freshness.refresh()
    HUEY.immediate = False
    HUEY.storage = SqliteStorage(HUEY.name, filename=str(queue_file))
    env = {
        "HUEY_SQLITE_PATH": str(queue_file),
        "IMPORT_UPLOADS_DIR": str(settings.IMPORT_UPLOADS_DIR),
        "IMPORT_REPORTS_DIR": str(tmp_path / "reports"),
    }
    workers = [manage("run_huey", "--workers", "1", env=env) for _ in range(2)]

    def status(batch):
        return ImportBatch.objects.get(pk=batch.pk).status

    try:
        batch = import_jobs.queue_preview(
            ImportKind.PAYMENTS,
            upload,
            file_name=upload.name,
            sha256="0" * 64,
            user=None,
            skip_invalid=False,
            language="en",
        )
        tasks.run_preview(batch.pk)  # a second delivery
        assert wait_for(lambda: status(batch) == ImportStatus.PREVIEWED, 60)
        assert import_jobs.confirm(ImportBatch.objects.get(pk=batch.pk)) == ""
        tasks.run_import(batch.pk)
        payments[0].delete()
        customer = customers["qb1"]
        customer.customer_type = "business"
        customer.save()
        tasks.fill_rollups()
        assert wait_for(
            lambda: (
                status(batch) == ImportStatus.DONE
                and HUEY.pending_count() == 0
                and not RollupDirty.objects.exists()
            ),
            120,
        )
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            worker.communicate(timeout=60)
        HUEY.immediate = True
    assert Payment.objects.filter(import_batch=batch).count() == 2
    assert rollup_rows() == full_rebuild_rows()
