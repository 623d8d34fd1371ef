"""Imports side by side: one waits for the other or is told so, lock conflicts are retried with
a clear message, and an import whose process was killed is swept from "running"."""

import functools
from datetime import timedelta

import psycopg2
import pytest
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection
from django.utils import timezone, translation

from adoption.choices import ImportKind, ImportStatus
from adoption.importers import concurrency
from adoption.importers.payments import PaymentImport
from adoption.models import ImportBatch, Payment

HEADER = "customer_code,period,amount,channel_code,paid_at,reference"
GOOD = [
    "PA20BQ0000001,2025-01,150000,VTP,2025-01-20 09:30,VTP-1",
    "PA20QB0000001,2025-02,120000,QUAY,2025-02-03T08:00:00,Q-1",
]

pytestmark = pytest.mark.usefixtures("import_reports_dir", "refreshes")


@pytest.fixture
def write(write_lines):
    return functools.partial(write_lines, name="payments.csv")


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    monkeypatch.setattr("adoption.importers.time.sleep", lambda seconds: None)


def deadlock():
    error = OperationalError("deadlock detected\nDETAIL: Process 4242 waits for ShareLock")
    error.__cause__ = psycopg2.errors.DeadlockDetected("deadlock detected")
    return error


def failing_finish(times):
    """PaymentImport.finish raising a deadlock the first `times` calls."""
    finish = PaymentImport.finish
    calls = []

    def finish_or_deadlock(self):
        calls.append(1)
        if len(calls) <= times:
            raise deadlock()
        return finish(self)

    return finish_or_deadlock, calls


def test_a_lock_conflict_is_retried_and_the_import_goes_through(
    write, customers, channels, monkeypatch
):
    finish, calls = failing_finish(times=1)
    monkeypatch.setattr(PaymentImport, "finish", finish)

    call_command("import_payments", str(write(HEADER, *GOOD)), verbosity=0)

    assert len(calls) == 2
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows_read, batch.rows_imported) == (ImportStatus.DONE, 2, 2)
    assert Payment.objects.count() == 2


def test_a_lasting_lock_conflict_is_refused_in_vietnamese_without_the_raw_text(
    write, customers, channels, monkeypatch
):
    finish, calls = failing_finish(times=99)
    monkeypatch.setattr(PaymentImport, "finish", finish)

    with translation.override("vi"), pytest.raises(CommandError) as error:
        call_command("import_payments", str(write(HEADER, *GOOD)), verbosity=0)

    assert len(calls) == concurrency.ATTEMPTS
    assert "không có gì được nhập" in str(error.value)
    assert "deadlock" not in str(error.value)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportStatus.FAILED
    assert "deadlock" not in batch.message
    assert Payment.objects.count() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_second_import_while_one_runs_is_told_so_and_writes_nothing(
    write, customers, channels, monkeypatch
):
    monkeypatch.setattr(concurrency, "LOCK_WAIT_SECONDS", 0.2)
    settings = connection.settings_dict
    other = psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"],
        password=settings["PASSWORD"],
    )
    try:
        with other.cursor() as cursor:  # the first import, in its transaction
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s, %s)",
                [concurrency.NAMESPACE, concurrency.IMPORT_LOCK],
            )
        with translation.override("en"), pytest.raises(CommandError) as error:
            call_command("import_payments", str(write(HEADER, *GOOD)), verbosity=0)
    finally:
        other.rollback()
        other.close()

    assert "Another import is running. Nothing was imported" in str(error.value)
    assert ImportBatch.objects.get().status == ImportStatus.FAILED
    assert Payment.objects.count() == 0

    # Once the first has finished, the same file goes in.
    call_command("import_payments", str(write(HEADER, *GOOD)), verbosity=0)
    assert Payment.objects.count() == 2


def _left_running(age, **fields):
    batch = ImportBatch.objects.create(kind=ImportKind.PAYMENTS, file_name="killed.csv", **fields)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now() - age)
    return batch


def test_the_sweep_marks_an_import_whose_process_died_as_failed(db, capsys):
    killed = _left_running(timedelta(days=1))
    finished = _left_running(timedelta(days=1), status=ImportStatus.DONE)

    call_command("sweep_imports")

    killed.refresh_from_db()
    assert killed.status == ImportStatus.FAILED
    assert killed.finished_at is not None
    assert "0" in killed.message and killed.rows_imported == 0
    finished.refresh_from_db()
    assert finished.status == ImportStatus.DONE
    assert "1" in capsys.readouterr().out


def test_the_sweep_leaves_a_just_started_import_alone(db):
    starting = _left_running(timedelta(seconds=10))

    assert concurrency.sweep_stale() == []
    starting.refresh_from_db()
    assert starting.status == ImportStatus.RUNNING


@pytest.mark.postgres
def test_the_sweep_leaves_a_long_import_that_is_still_alive_alone(db):
    alive = _left_running(timedelta(hours=3))
    concurrency.hold_batch(alive)  # as run() does: this connection is the import's
    try:
        # Another process sweeps: the lock is held by this session, and it cannot take it.
        settings = connection.settings_dict
        other = psycopg2.connect(
            dbname=settings["NAME"],
            user=settings["USER"],
            host=settings["HOST"],
            port=settings["PORT"],
            password=settings["PASSWORD"],
        )
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_lock(%s, %s)",
                [concurrency.NAMESPACE, alive.pk % 2**31],
            )
            assert cursor.fetchone()[0] is False
        other.close()
    finally:
        concurrency.release_batch(alive)


def test_a_finished_import_releases_its_liveness_lock(write, customers, channels):
    call_command("import_payments", str(write(HEADER, *GOOD)), verbosity=0)
    batch = ImportBatch.objects.get()
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.RUNNING)
    ImportBatch.objects.filter(pk=batch.pk).update(started_at=timezone.now() - timedelta(days=1))

    assert concurrency.sweep_stale() == [batch.pk]
    batch.refresh_from_db()
    assert batch.rows_imported == 2  # its payments were saved, and the record says so
