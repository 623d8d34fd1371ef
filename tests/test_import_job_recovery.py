"""A job whose worker was killed half way (SIGKILL, out of memory) is redone by the sweep from
its record, a few times at most, and nothing is counted twice.

A dead worker is simulated as it leaves the database: the job still checking or importing,
started long ago, its upload there, no lock held on its batch and no progress sent.
"""

from pathlib import Path

import psycopg2
import pytest
from django.db import connection
from django.utils import timezone

from adoption import import_jobs, import_sweep
from adoption.choices import ImportStatus
from adoption.importers import concurrency
from adoption.importers.payments import PaymentImport
from adoption.models import ImportBatch, Payment
from tests.import_admin_fixture import uploads
from tests.test_import_jobs import waiting_check, waiting_import

pytestmark = pytest.mark.usefixtures("import_setup")

AN_HOUR = timezone.timedelta(hours=1)


@pytest.fixture(autouse=True)
def stale_soon(settings):
    settings.IMPORT_STALE_SECONDS = 60  # on SQLite, silence is the only sign of a dead worker


def killed(batch, status, ago=AN_HOUR):
    """The job as its worker left it when it was killed while at `status`."""
    ImportBatch.objects.filter(pk=batch.pk).update(status=status, started_at=timezone.now() - ago)


def queued(no_worker):
    return [(task.name, task.args) for task in no_worker.pending()]


@pytest.mark.parametrize(
    ("status", "waiting", "task"),
    [
        (ImportStatus.PREVIEWING, ImportStatus.PREVIEW_QUEUED, "run_preview"),
        (ImportStatus.RUNNING, ImportStatus.QUEUED, "run_import"),
    ],
)
def test_a_job_whose_worker_died_goes_back_in_the_queue(as_user, no_worker, status, waiting, task):
    batch = waiting_import(as_user("channel_admin"))
    no_worker.flush()
    killed(batch, status)

    assert import_sweep.sweep() == []

    batch.refresh_from_db()
    assert batch.status == waiting
    assert batch.preview["attempts"] == 1
    assert "it is being done again" in batch.message
    assert Path(batch.upload_file).is_file()
    assert queued(no_worker) == [(task, (batch.pk,))]


def test_a_job_whose_worker_died_and_whose_file_is_gone_fails(as_user, no_worker):
    batch = waiting_check(as_user("channel_admin"))
    Path(batch.upload_file).unlink()
    killed(batch, ImportStatus.PREVIEWING)

    assert import_sweep.sweep() == [batch.pk]

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "its worker is gone" in batch.message
    assert batch.upload_file == ""


def test_a_check_redone_after_its_worker_died_finds_what_it_would_have(as_user, no_worker):
    batch = waiting_check(as_user("channel_admin"))
    killed(batch, ImportStatus.PREVIEWING)
    import_sweep.sweep()

    import_jobs.preview(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.PREVIEWED
    assert (batch.preview["read"], batch.preview["to_import"]) == (2, 2)
    assert Payment.objects.count() == 0


def test_an_import_killed_inside_its_transaction_is_redone_and_counts_every_row_once(
    as_user, no_worker
):
    batch = waiting_import(as_user("channel_admin"))
    killed(batch, ImportStatus.RUNNING)  # its transaction rolled back with the connection
    import_sweep.sweep()

    import_jobs.run(batch.pk)

    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE
    assert (batch.rows_read, batch.rows_imported, batch.rows_skipped) == (2, 2, 0)
    assert Payment.objects.filter(import_batch=batch).count() == 2
    assert uploads() == []


def test_a_job_whose_worker_dies_a_third_time_fails_with_the_reason(as_user, no_worker):
    batch = waiting_import(as_user("channel_admin"))
    for status in (ImportStatus.RUNNING, ImportStatus.RUNNING):
        killed(batch, status)
        assert import_sweep.sweep() == []
    killed(batch, ImportStatus.RUNNING)

    assert import_sweep.sweep() == [batch.pk]

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert batch.message == (
        "The worker stopped 3 times while working on this file (it may need more memory than "
        "the worker has); nothing was imported."
    )
    assert uploads() == []
    assert Payment.objects.count() == 0


def test_the_deaths_of_the_check_count_towards_those_of_the_import(as_user, no_worker):
    batch = waiting_check(as_user("channel_admin"))
    killed(batch, ImportStatus.PREVIEWING)
    import_sweep.sweep()
    import_jobs.preview(batch.pk)
    assert ImportBatch.objects.get(pk=batch.pk).preview["attempts"] == 1

    import_jobs.confirm(ImportBatch.objects.get(pk=batch.pk))
    for _death in range(2):
        killed(batch, ImportStatus.RUNNING)
        import_sweep.sweep()

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.FAILED


def test_an_import_killed_after_its_commit_is_not_redone_and_its_rows_count_once(
    as_user, no_worker
):
    batch = waiting_import(as_user("channel_admin"))
    upload = Path(batch.upload_file)
    kept = upload.read_bytes()
    import_jobs.run(batch.pk)
    # As a worker killed during the rollup refresh leaves it: the rows and the counts
    # committed with them are in, the record still says running, the upload is still there.
    upload.write_bytes(kept)
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.RUNNING, finished_at=None, upload_file=str(upload), message=""
    )
    killed(batch, ImportStatus.RUNNING)
    no_worker.flush()

    assert import_sweep.sweep() == [batch.pk]

    batch.refresh_from_db()
    assert batch.status == ImportStatus.FAILED
    assert "2 payments were saved" in batch.message
    assert batch.rows_imported == 2
    assert queued(no_worker) == []
    assert uploads() == []
    import_jobs.run(batch.pk)  # a late delivery of the old job does nothing
    assert Payment.objects.count() == 2


def test_an_import_commits_its_counts_with_its_rows(as_user, no_worker, monkeypatch):
    batch = waiting_import(as_user("channel_admin"))
    seen = []

    def refresh_after_commit(scope, outcome):
        seen.append(ImportBatch.objects.values_list("status", "rows_read").get(pk=batch.pk))

    monkeypatch.setattr("adoption.importers.after_commit.refresh_rollups", refresh_after_commit)
    import_jobs.run(batch.pk)

    assert seen == [(ImportStatus.RUNNING, 2)]


def test_a_check_commits_no_counts_on_its_record(as_user, no_worker):
    batch = waiting_check(as_user("channel_admin"))
    import_jobs.preview(batch.pk)

    assert ImportBatch.objects.get(pk=batch.pk).rows_read == 0


# PostgreSQL: the batch's lock tells at once.


def _other_session():
    settings = connection.settings_dict
    return psycopg2.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"],
        password=settings["PASSWORD"],
    )


def _lock_taken_elsewhere(batch):
    other = _other_session()
    try:
        with other.cursor() as cursor:
            key = [concurrency.NAMESPACE, batch.pk % 2**31]
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            free = cursor.fetchone()[0]
            if free:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
        return not free
    finally:
        other.close()


@pytest.mark.postgres
def test_the_check_holds_its_batch_lock_while_it_runs(as_user, no_worker, monkeypatch):
    batch = waiting_check(as_user("channel_admin"))
    check = PaymentImport.check
    held = []

    def checking(self, chunk):
        held.append(_lock_taken_elsewhere(batch))
        yield from check(self, chunk)

    monkeypatch.setattr(PaymentImport, "check", checking)
    import_jobs.preview(batch.pk)

    assert held == [True]
    assert not _lock_taken_elsewhere(batch)  # released once the check is over
    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWED


@pytest.mark.postgres
def test_a_dead_check_is_seen_within_the_grace_not_after_the_stale_delay(
    as_user, no_worker, settings
):
    settings.IMPORT_STALE_SECONDS = 30 * 60
    batch = waiting_check(as_user("channel_admin"))
    killed(batch, ImportStatus.PREVIEWING, concurrency.GRACE + timezone.timedelta(seconds=30))

    import_sweep.sweep()

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEW_QUEUED


@pytest.mark.postgres
def test_a_job_started_within_the_grace_is_left_alone(as_user, no_worker):
    batch = waiting_check(as_user("channel_admin"))
    killed(batch, ImportStatus.PREVIEWING, timezone.timedelta(seconds=10))

    import_sweep.sweep()

    assert ImportBatch.objects.get(pk=batch.pk).status == ImportStatus.PREVIEWING
