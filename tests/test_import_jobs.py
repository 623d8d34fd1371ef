"""Admin imports as worker jobs: the check and the import run in the worker, their progress
only goes forward, they can be cancelled leaving nothing, and faults end in a clear status.

The worker's steps are called here as the worker calls them (import_jobs.preview / run); the
`no_worker` queue keeps what the pages enqueue waiting.
"""

import logging
from pathlib import Path

import pytest
from django.utils import timezone, translation

from adoption import import_jobs, import_sweep, importers
from adoption.choices import ImportStatus
from adoption.importers import Outcome
from adoption.models import ImportBatch, Payment
from tests.import_admin_fixture import (
    PAYMENTS,
    checked,
    confirm,
    job_url,
    last_job,
    upload,
    uploads,
)

LONG_AGO = timezone.timedelta(days=2)

pytestmark = pytest.mark.usefixtures("import_setup")


def waiting_check(client, text=PAYMENTS):
    """An upload whose check waits for the worker."""
    upload(client, "payments", text)
    batch = last_job()
    assert batch.status == ImportStatus.PREVIEW_QUEUED
    return batch


def waiting_import(client, text=PAYMENTS):
    """A checked, confirmed upload whose import waits for the worker."""
    batch = waiting_check(client, text)
    import_jobs.preview(batch.pk)
    response = confirm(client, batch)
    assert response["Location"] == job_url(batch)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.QUEUED
    return batch


def state(client, batch):
    return client.get(job_url(batch, "job.json")).json()


# The worker not running.


def test_with_no_worker_the_check_and_the_import_wait_and_their_page_says_so(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    waiting = state(client, batch)
    assert (waiting["status"], waiting["active"], waiting["step"]) == (
        "preview_queued",
        True,
        "check",
    )
    # The check's bar ends at the file's line count (header and two rows).
    assert (waiting["total"], waiting["progress"]) == (3, 0)

    import_jobs.preview(batch.pk)
    assert state(client, batch)["status"] == "previewed"
    confirm(client, batch)

    page = client.get(job_url(batch)).content.decode()
    assert "Waiting for the worker" in page
    assert (state(client, batch)["status"], state(client, batch)["done"]) == ("queued", False)
    assert (state(client, batch)["total"], state(client, batch)["step"]) == (2, "import")
    assert Payment.objects.count() == 0
    assert no_worker.pending_count() == 2  # the check and the import


# The queue unreachable (Redis down in production).


@pytest.fixture
def queue_down(no_worker):
    from huey.storage import MemoryStorage, RedisStorage

    no_worker.storage = RedisStorage(no_worker.name, url="redis://127.0.0.1:1/0")
    yield no_worker
    no_worker.storage = MemoryStorage(no_worker.name)


def test_with_the_queue_unreachable_an_upload_is_kept_and_waits_for_the_sweep(
    as_user, queue_down, caplog
):
    from huey.storage import MemoryStorage

    client = as_user("channel_admin")
    with caplog.at_level(logging.WARNING):
        response = upload(client, "payments", PAYMENTS)
        page = client.get(job_url(batch := last_job()))

    assert response.status_code == 302
    assert batch.status == ImportStatus.PREVIEW_QUEUED
    assert Path(batch.upload_file).is_file()
    assert "the queue is unreachable" in caplog.text
    assert page.status_code == 200
    assert "Waiting for the worker to check the file" in page.content.decode()
    # The queue is back: the sweep hands the job over.
    queue_down.storage = MemoryStorage(queue_down.name)
    _left(batch, ImportStatus.PREVIEW_QUEUED, timezone.timedelta(hours=1))
    import_sweep.sweep()
    assert [task.name for task in queue_down.pending()] == ["run_preview"]


def test_with_the_queue_unreachable_a_cancel_says_it_was_not_passed_on(as_user, queue_down, caplog):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.PREVIEWING)

    with caplog.at_level(logging.ERROR):
        response = client.post(job_url(batch, "cancel/"), follow=True)

    assert response.status_code == 200
    assert "could not be told to stop" in response.content.decode()
    assert "the queue is unreachable" in caplog.text
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWING


# Progress.


@pytest.fixture
def seen_progress(monkeypatch):
    """Every progress the worker publishes, as the page reads it (one chunk per row)."""
    monkeypatch.setattr(importers, "CHUNK_ROWS", 1)
    monkeypatch.setattr(import_jobs, "PROGRESS_SECONDS", 0)
    seen = []
    real_publish = import_jobs._Watcher.publish

    def publish(self, outcome, now=None):
        real_publish(self, outcome, now)
        seen.append(import_jobs.progress(ImportBatch(pk=self.batch_id)))

    monkeypatch.setattr(import_jobs._Watcher, "publish", publish)
    return seen


@pytest.mark.parametrize("step", ["check", "import"])
def test_progress_only_goes_forward(as_user, no_worker, seen_progress, step):
    client = as_user("channel_admin")
    if step == "check":
        batch = waiting_check(client)
        import_jobs.preview(batch.pk)
        names = ("read", "checked")
    else:
        batch = waiting_import(client)
        seen_progress.clear()
        import_jobs.run(batch.pk)
        names = ("read", "checked", "written")

    assert len(seen_progress) >= 3
    for name in names:
        values = [p[name] for p in seen_progress]
        assert values == sorted(values) and values[-1] == 2, (name, values)


def test_the_import_step_counts_from_zero_not_from_the_check(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_import(client)  # checked: 2 rows read and checked

    waiting = state(client, batch)

    assert (waiting["step"], waiting["read"], waiting["checked"], waiting["written"]) == (
        "import",
        0,
        0,
        0,
    )


def test_the_job_page_shows_the_final_counts_and_outcome(as_user):
    client = as_user("channel_admin")
    checked(client, "payments", PAYMENTS)
    batch = last_job()
    confirm(client, batch)

    final = state(client, batch)

    assert (final["status"], final["done"], final["active"]) == ("done", True, False)
    assert (final["read"], final["written"]) == (2, 2)
    assert "2 rows read, 2 imported" in final["message"]


def test_the_job_speaks_the_language_of_the_admin_who_uploaded_it(as_user, no_worker):
    client = as_user("channel_admin")  # reads English
    batch = waiting_check(client, PAYMENTS + "PA20BQ0009999,2025-01,1,VTP,2025-01-20,X-9\n")

    with translation.override("vi"):  # the worker's own language
        import_jobs.preview(batch.pk)

    batch.refresh_from_db()
    assert "Unknown customer" in batch.preview["problems"][0]
    assert "nothing was imported" in batch.message


# Cancelling.


@pytest.fixture
def cancel_while_busy(monkeypatch):
    """The admin presses cancel once the worker has started the step it is armed for (at its
    first progress): `pressed` says whether the cancel was taken."""
    real_publish = import_jobs._Watcher.publish
    armed = {"status": None, "pressed": []}

    def publish(self, outcome, now=None):
        real_publish(self, outcome, now)
        batch = ImportBatch.objects.get(pk=self.batch_id)
        if not armed["pressed"] and batch.status == armed["status"]:
            armed["pressed"].append(import_jobs.cancel(batch))

    monkeypatch.setattr(importers, "CHUNK_ROWS", 1)
    monkeypatch.setattr(import_jobs._Watcher, "publish", publish)
    return armed


def test_a_check_cancelled_while_it_runs_stops_and_the_file_can_come_again(
    as_user, no_worker, cancel_while_busy
):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    cancel_while_busy["status"] = ImportStatus.PREVIEWING

    import_jobs.preview(batch.pk)

    batch.refresh_from_db()
    assert cancel_while_busy["pressed"] == [True]
    assert batch.status == ImportStatus.CANCELLED
    assert "Cancelled" in batch.message
    assert uploads() == []
    assert "not waiting for a confirmation" in (
        client.post(job_url(batch, "confirm/"), follow=True).content.decode()
    )
    assert Payment.objects.count() == 0
    # The same file is checked and imported afterwards.
    no_worker.immediate = True
    checked(client, "payments", PAYMENTS)
    confirm(client, last_job())
    assert Payment.objects.count() == 2


def test_a_cancelled_running_import_keeps_no_rows_and_the_file_can_come_again(
    as_user, no_worker, cancel_while_busy
):
    client = as_user("channel_admin")
    batch = waiting_import(client)
    cancel_while_busy["status"] = ImportStatus.RUNNING

    import_jobs.run(batch.pk)

    batch.refresh_from_db()
    assert cancel_while_busy["pressed"] == [True]
    assert batch.status == ImportStatus.CANCELLED
    assert "Cancelled: nothing was imported." in batch.message
    assert Payment.objects.count() == 0
    assert uploads() == []
    no_worker.immediate = True
    checked(client, "payments", PAYMENTS)
    confirm(client, last_job())
    assert Payment.objects.count() == 2


def test_the_cancel_button_asks_a_busy_job_to_stop(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    ImportBatch.objects.filter(pk=batch.pk).update(status=ImportStatus.PREVIEWING)

    response = client.post(job_url(batch, "cancel/"), follow=True)

    assert "Cancelling: nothing from this file will be kept." in response.content.decode()
    assert import_jobs._cancel_requested(batch.pk)


@pytest.mark.parametrize("step", ["check", "confirmation", "import"])
def test_a_waiting_job_cancelled_never_runs(as_user, no_worker, step):
    client = as_user("channel_admin")
    batch = waiting_import(client) if step == "import" else waiting_check(client)
    if step == "confirmation":
        import_jobs.preview(batch.pk)

    client.post(job_url(batch, "cancel/"))
    import_jobs.preview(batch.pk)  # what the queue still holds
    import_jobs.run(batch.pk)
    confirm(client, batch)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert "Cancelled before it started" in batch.message
    assert Payment.objects.count() == 0
    assert uploads() == []


def test_a_finished_import_cannot_be_cancelled(as_user):
    client = as_user("channel_admin")
    checked(client, "payments", PAYMENTS)
    batch = last_job()
    confirm(client, batch)

    response = client.post(job_url(batch, "cancel/"), follow=True)

    assert "there is nothing to cancel" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert Payment.objects.count() == 2


# A deleted file.


def test_a_check_whose_file_was_deleted_fails_clearly(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    Path(batch.upload_file).unlink()

    import_jobs.preview(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "The uploaded file is gone" in batch.message
    assert "The uploaded file is gone" in client.get(job_url(batch)).content.decode()


def test_a_confirmation_whose_file_was_deleted_fails_clearly(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    import_jobs.preview(batch.pk)
    Path(batch.upload_file).unlink()

    response = client.post(job_url(batch, "confirm/"), follow=True)

    batch.refresh_from_db()
    assert "The uploaded file is gone; upload it again." in response.content.decode()
    assert batch.status == ImportStatus.FAILED
    assert no_worker.pending_count() == 1  # the check only


def test_an_import_whose_file_was_deleted_fails_clearly(as_user, no_worker):
    batch = waiting_import(as_user("channel_admin"))
    Path(batch.upload_file).unlink()

    import_jobs.run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "The uploaded file is gone" in batch.message
    assert Payment.objects.count() == 0


# Another import writing.


@pytest.mark.parametrize("step", ["check", "import"])
def test_a_step_that_finds_another_import_writing_waits_for_its_turn(
    as_user, no_worker, monkeypatch, step
):
    from adoption.importers import concurrency

    client = as_user("channel_admin")
    batch = waiting_import(client) if step == "import" else waiting_check(client)
    work, waiting, work_name = (
        (import_jobs.run, ImportStatus.QUEUED, "run_import")
        if step == "import"
        else (import_jobs.preview, ImportStatus.PREVIEW_QUEUED, "run_preview")
    )
    real_lock = concurrency.take_import_lock

    def busy(wait=None):
        raise concurrency.ImportsBusy

    monkeypatch.setattr(concurrency, "take_import_lock", busy)
    work(batch.pk)

    batch.refresh_from_db()
    assert batch.status == waiting
    assert "Waiting for another import to finish." in batch.message
    assert Path(batch.upload_file).is_file()
    later = [task for task in no_worker.pending() if task.eta is not None]
    assert [(task.args, task.name) for task in later] == [((batch.pk,), work_name)]
    # Its turn comes.
    monkeypatch.setattr(concurrency, "take_import_lock", real_lock)
    work(batch.pk)
    batch.refresh_from_db()
    assert batch.status == (ImportStatus.DONE if step == "import" else ImportStatus.PREVIEWED)
    assert Payment.objects.count() == (2 if step == "import" else 0)


# Two deliveries, two workers.


def test_each_step_runs_once_even_if_delivered_twice(as_user, no_worker, monkeypatch):
    batch = waiting_check(as_user("channel_admin"))
    calls = []
    real_run = importers.run
    monkeypatch.setattr(importers, "run", lambda *a, **k: calls.append(1) or real_run(*a, **k))

    import_jobs.preview(batch.pk)
    import_jobs.preview(batch.pk)
    assert len(calls) == 1
    assert import_jobs.confirm(ImportBatch.objects.get(pk=batch.pk)) == ""
    import_jobs.run(batch.pk)
    import_jobs.run(batch.pk)

    assert len(calls) == 2
    assert Payment.objects.count() == 2
    assert ImportBatch.objects.get().status == ImportStatus.DONE


# The sweep.


@pytest.fixture
def session_alive(monkeypatch):
    """The job's database session still holds its lock (a hung worker, not a dead one): only
    the progress it gives tells (the lock itself: test_import_concurrency.py)."""
    monkeypatch.setattr("adoption.importers.concurrency._is_dead", lambda batch: False)


def _left(batch, status, ago=LONG_AGO):
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, started_at=timezone.now() - ago)


@pytest.mark.parametrize("status", [ImportStatus.PREVIEWING, ImportStatus.RUNNING])
def test_the_sweep_fails_a_busy_job_whose_worker_is_gone(
    as_user, no_worker, settings, session_alive, status
):
    settings.IMPORT_STALE_SECONDS = 60
    batch = waiting_check(as_user("channel_admin"))
    _left(batch, status, timezone.timedelta(hours=1))

    assert batch.pk in import_sweep.sweep()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "its worker is gone" in batch.message
    assert uploads() == []


def test_the_sweep_leaves_a_busy_job_that_reports_progress(
    as_user, no_worker, settings, session_alive
):
    settings.IMPORT_STALE_SECONDS = 60
    batch = waiting_check(as_user("channel_admin"))
    _left(batch, ImportStatus.PREVIEWING, timezone.timedelta(hours=1))
    import_jobs._Watcher(batch.pk).publish(Outcome(file_name="x"))

    import_sweep.sweep()

    assert ImportBatch.objects.get().status == ImportStatus.PREVIEWING


@pytest.mark.parametrize(
    ("status", "task"),
    [(ImportStatus.PREVIEW_QUEUED, "run_preview"), (ImportStatus.QUEUED, "run_import")],
)
def test_the_sweep_queues_again_a_job_whose_enqueue_was_lost(as_user, no_worker, status, task):
    batch = waiting_check(as_user("channel_admin"))
    no_worker.flush()
    _left(batch, status, timezone.timedelta(hours=1))

    import_sweep.sweep()

    pending = no_worker.pending()
    assert [t.name for t in pending] == [task]
    assert pending[0].args == (batch.pk,)


def test_the_sweep_gives_up_a_checked_file_nobody_confirmed(as_user, no_worker):
    client = as_user("channel_admin")
    batch = waiting_check(client)
    import_jobs.preview(batch.pk)
    fresh = waiting_check(client)
    import_jobs.preview(fresh.pk)
    _left(batch, ImportStatus.PREVIEWED)

    import_sweep.sweep()

    batch.refresh_from_db()
    assert batch.status == ImportStatus.CANCELLED
    assert "Not confirmed within a day" in batch.message
    assert uploads() == [Path(fresh.upload_file).name]
    assert ImportBatch.objects.get(pk=fresh.pk).status == ImportStatus.PREVIEWED


def test_the_sweep_leaves_the_months_of_a_running_import_to_the_import(
    as_user, no_worker, settings, monkeypatch
):
    from adoption import tasks

    fills = []
    monkeypatch.setattr("adoption.metrics.freshness.ensure_fresh", lambda: fills.append(1))
    settings.IMPORT_STALE_SECONDS = 3600
    batch = waiting_import(as_user("channel_admin"))
    _left(batch, ImportStatus.RUNNING, timezone.timedelta(minutes=5))
    monkeypatch.setattr("adoption.importers.concurrency._is_dead", lambda batch: False)

    tasks.sweep.call_local()
    assert fills == []  # the import refreshes its own months once its rows are in

    _left(batch, ImportStatus.RUNNING, timezone.timedelta(hours=2))  # or it is a dead one
    tasks.sweep.call_local()
    assert fills == [1]
