"""Admin imports as worker jobs: upload → preview → confirm queues a job; the worker imports.

The ImportBatch row is the job's record: queued by the confirm page, claimed by one worker
(queued → running, so a job delivered twice runs once), and finished with the import's
outcome. The import itself stays one transaction (adoption.importers), so while it runs the
database holds none of its rows for anyone else to see; its live progress (rows read,
checked, written) and the admin's cancel request therefore travel through the queue's
key-value store, which the web and the worker share, not through the database.

A cancel is honoured at the next chunk: the transaction rolls back, nothing of the file
remains and the same file can be imported again. The uploaded file is deleted once the job is
over, whatever its outcome. A job whose worker died (SIGKILL, a lost machine) stops sending
progress; the sweep marks it failed after IMPORT_STALE_SECONDS.
"""

import logging
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from . import importers, jobs
from .choices import ImportStatus
from .importers import concurrency
from .models import ImportBatch

logger = logging.getLogger(__name__)


# A queued job still waiting after this long is enqueued again (its enqueue may have been
# lost); a duplicate is harmless, as only one delivery can claim the job.
REQUEUE_SECONDS = 120
# Progress is written to the queue at most this often (and at every chunk's end).
PROGRESS_SECONDS = 1.0


def _store():
    from huey.contrib.djhuey import HUEY

    return HUEY


def _progress_key(batch_id):
    return f"import-progress:{batch_id}"


def _cancel_key(batch_id):
    return f"import-cancel:{batch_id}"


def queue(kind, path, *, file_name, sha256, user, skip_invalid):
    """Record an import job for the stored upload at `path` and hand it to the worker."""
    batch = ImportBatch.objects.create(
        kind=kind,
        file_name=file_name,
        sha256=sha256,
        imported_by=user,
        status=ImportStatus.QUEUED,
        upload_file=str(path),
        skip_invalid=skip_invalid,
    )
    jobs.import_after_commit(batch.pk)
    return batch


def progress(batch):
    """{read, checked, written, updated (epoch seconds)} of a job, as far as it got."""
    try:
        return _store().get(_progress_key(batch.pk), peek=True) or {}
    except Exception:
        logger.warning("Progress of import %s unreadable: the queue is unreachable", batch.pk)
        return {}


def cancel(batch):
    """Ask for a queued or running job to stop; True if it was still waiting or running."""
    if batch.status == ImportStatus.QUEUED:
        claimed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.QUEUED).update(
            status=ImportStatus.CANCELLED,
            finished_at=timezone.now(),
            message=_("Cancelled before it started: nothing was imported."),
        )
        if claimed:
            _delete_upload(batch)
            return True
        batch.refresh_from_db()
    if batch.status == ImportStatus.RUNNING:
        _store().put(_cancel_key(batch.pk), True)
        return True
    return False


class _Watcher:
    """Called after each chunk: publishes the counters and honours a cancel request."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.last = 0.0

    def __call__(self, outcome):
        store = _store()
        if store.get(_cancel_key(self.batch_id), peek=True):
            raise importers.Cancelled
        now = time.time()
        if now - self.last >= PROGRESS_SECONDS:
            self.publish(outcome, now)

    def publish(self, outcome, now=None):
        self.last = now or time.time()
        _store().put(
            _progress_key(self.batch_id),
            {
                "read": outcome.rows_read,
                "checked": outcome.rows_valid + outcome.rows_rejected,
                "written": outcome.rows_written,
                "updated": self.last,
            },
        )


def run(batch_id):
    """The worker's side: claim the job, import its file, record the outcome."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING, started_at=timezone.now()
    )
    if not claimed:
        return  # cancelled, already run, or taken by another worker
    batch = ImportBatch.objects.select_related("imported_by").get(pk=batch_id)
    path = Path(batch.upload_file)
    watcher = _Watcher(batch_id)
    try:
        if not path.is_file():
            _fail(batch, _("The uploaded file is gone (deleted before the import ran)."))
            return
        watcher.publish(importers.Outcome(file_name=batch.file_name))
        outcome = importers.run(
            batch.kind,
            path,
            file_name=batch.file_name,
            user=batch.imported_by,
            skip_invalid=batch.skip_invalid,
            reports_dir=settings.IMPORT_REPORTS_DIR,
            batch=batch,
            watch=watcher,
        )
        watcher.publish(outcome)
    finally:
        _delete_upload(batch)
        _store().delete(_cancel_key(batch_id))


def _fail(batch, message):
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED, finished_at=timezone.now(), message=message
    )


def _delete_upload(batch):
    if batch.upload_file:
        Path(batch.upload_file).unlink(missing_ok=True)
        ImportBatch.objects.filter(pk=batch.pk).update(upload_file="")


def sweep():
    """The one sweep of imports, run by the worker every minute and by `manage.py
    sweep_imports`; returns the ids of the imports it marked failed.

    - An import whose process died, from the command line or as a job: its session's lock is
      gone on PostgreSQL, or on SQLite it is older than concurrency.STALE_AFTER
      (concurrency.sweep_stale).
    - A job whose worker has given no progress for IMPORT_STALE_SECONDS (a hung worker; on
      SQLite the first sign): command-line imports send no progress, so only jobs (those with
      a stored upload) are judged by it.
    - A job still queued after REQUEUE_SECONDS is enqueued again (its enqueue may have failed).
    """
    swept = concurrency.sweep_stale()
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    running = ImportBatch.objects.filter(status=ImportStatus.RUNNING, started_at__lt=stale)
    for batch in running.exclude(upload_file=""):
        seen = progress(batch).get("updated")
        if seen is None or seen < stale.timestamp():
            logger.warning("Import %s: its worker is gone; marked failed", batch.pk)
            _fail(batch, _("The import stopped (its worker is gone); nothing was kept."))
            swept.append(batch.pk)
    for batch in ImportBatch.objects.filter(pk__in=swept).exclude(upload_file=""):
        _delete_upload(batch)
    from .tasks import run_import

    waited = now - timedelta(seconds=REQUEUE_SECONDS)
    waiting = ImportBatch.objects.filter(status=ImportStatus.QUEUED, started_at__lt=waited)
    for batch_id in waiting.values_list("pk", flat=True):
        jobs.enqueue(run_import, batch_id)
    return swept
