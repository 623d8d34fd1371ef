"""The one sweep of imports: what a killed process, a dead worker or a lost enqueue left.

Run by the worker every minute (adoption.tasks.sweep) and by `manage.py sweep_imports`.

- An admin import job (its upload stored) whose worker died while checking or importing
  (SIGKILL, out of memory, a lost machine), and whose file is still there, is redone from its
  record: back to its waiting
  status and in the queue again, up to REDO_ATTEMPTS times; the next death fails it (a file
  that kills the worker each time). Its worker is dead when, on PostgreSQL, its batch's lock
  is free (the check and the import both hold it: concurrency.hold_batch), so the sweep sees
  it within concurrency.GRACE; on SQLite, which has no locks, when it has sent no progress
  for IMPORT_STALE_SECONDS. Nothing is counted twice: killed inside its transaction, the
  import wrote nothing; killed after its commit (during the rollup refresh; its counts are
  committed with its rows, importers.run), its rows are in, and it is not redone but marked
  interrupted with what it kept, as a command's import is.
- A job whose worker still holds its lock but has sent no progress for IMPORT_STALE_SECONDS
  (a hung worker) is failed: it may still write, so it cannot be redone beside it.
- A command-line import whose process died is failed: "import again"
  (concurrency.sweep_stale).
- A job still waiting after REQUEUE_SECONDS is enqueued again (its enqueue may have failed).
- A checked upload nobody confirmed for UNCONFIRMED_SECONDS is given up, its file deleted.
"""

import logging
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import import_jobs
from .choices import ImportStatus
from .importers import concurrency
from .models import ImportBatch

logger = logging.getLogger(__name__)

# A queued job still waiting after this long is enqueued again (its enqueue may have been
# lost); a duplicate is harmless, as only one delivery can claim the job.
REQUEUE_SECONDS = 120
# A checked upload nobody confirmed is given up (and its file deleted) after this long.
UNCONFIRMED_SECONDS = 24 * 60 * 60
# A job whose worker died is redone this many times; the next death fails it.
REDO_ATTEMPTS = 2


def refreshing_itself():
    """Whether an import (a job or a command) is running, so will hand its own months to the
    worker once their planner statistics are fresh (importers.after_commit).

    One running longer than IMPORT_STALE_SECONDS no longer counts: it may be a dead one the
    sweep cannot tell yet (on SQLite, a killed command), and the markers must not wait on it.
    """
    recent = timezone.now() - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    return ImportBatch.objects.filter(status=ImportStatus.RUNNING, started_at__gte=recent).exists()


def sweep():
    """Sweep the imports (see the module's docstring); return the ids of those marked failed."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    swept = _redo_dead_jobs(now, stale)
    swept += concurrency.sweep_stale(now)
    swept += _fail_hung_jobs(stale)
    for batch in ImportBatch.objects.filter(pk__in=swept).exclude(upload_file=""):
        import_jobs.delete_upload(batch)
    _give_up_unconfirmed(now)
    _enqueue_again(now)
    return swept


def _busy_jobs():
    return ImportBatch.objects.filter(status__in=import_jobs.BUSY).exclude(upload_file="")


def _silent(batch, stale):
    """No progress from the job's worker since `stale` (command-line imports send none)."""
    seen = import_jobs.progress(batch).get("updated")
    return batch.started_at < stale and (seen is None or seen < stale.timestamp())


def _worker_died(batch, now, stale):
    if not concurrency.process_gone(batch, now):
        return False  # its session holds the batch's lock: alive, or hung
    return connection.vendor == "postgresql" or _silent(batch, stale)


def _redo_dead_jobs(now, stale):
    """Redo each job whose worker died; return the ids of those failed instead."""
    failed = []
    for batch in _busy_jobs().order_by("pk"):
        if not _worker_died(batch, now, stale):
            continue
        if batch.rows_read:  # killed after its commit: its rows are in, so not redone
            interrupted = concurrency.mark_interrupted(batch, now)
        elif not Path(batch.upload_file).is_file():
            interrupted = _worker_gone(batch)  # nothing left to redo it from
        else:
            with translation.override(import_jobs.language(batch)):
                interrupted = not _redo(batch, now)
        if interrupted:
            failed.append(batch.pk)
    return failed


def _redo(batch, now):
    """Put the job back in the queue at the step its worker died in; False when it has died
    too often, and is failed instead."""
    step = import_jobs.STEPS[batch.status]
    deaths = batch.preview.get("attempts", 0) + 1
    if deaths > REDO_ATTEMPTS:
        logger.warning("Import %s: its worker died %s times; marked failed", batch.pk, deaths)
        import_jobs.fail(
            batch,
            _(
                "The worker stopped %(count)s times while working on this file (it may need "
                "more memory than the worker has); nothing was imported."
            )
            % {"count": deaths},
        )
        return False
    moved = ImportBatch.objects.filter(pk=batch.pk, status=batch.status).update(
        status=step.waiting,
        started_at=now,
        preview={**batch.preview, "attempts": deaths},
        message=_("The worker stopped while working on this file; it is being done again."),
    )
    if moved:
        logger.warning("Import %s: its worker died; queued again", batch.pk)
        import_jobs.enqueue_step(step, batch.pk)
    return True


def _fail_hung_jobs(stale):
    failed = []
    for batch in _busy_jobs().filter(started_at__lt=stale):
        if _silent(batch, stale):
            _worker_gone(batch)
            failed.append(batch.pk)
    return failed


def _worker_gone(batch):
    """Fail a busy job that cannot be redone; True."""
    logger.warning("Import %s: its worker is gone; marked failed", batch.pk)
    import_jobs.fail(batch, _("The import stopped (its worker is gone); nothing was kept."))
    return True


def _give_up_unconfirmed(now):
    given_up = now - timedelta(seconds=UNCONFIRMED_SECONDS)
    unconfirmed = ImportBatch.objects.filter(status=ImportStatus.PREVIEWED, started_at__lt=given_up)
    for batch in unconfirmed:
        updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEWED).update(
            status=ImportStatus.CANCELLED,
            finished_at=now,
            message=_("Not confirmed within a day: nothing was imported."),
        )
        if updated:
            import_jobs.delete_upload(batch)


def _enqueue_again(now):
    waited = now - timedelta(seconds=REQUEUE_SECONDS)
    for step in import_jobs.STEPS.values():
        waiting = ImportBatch.objects.filter(status=step.waiting, started_at__lt=waited)
        for batch_id in waiting.values_list("pk", flat=True):
            import_jobs.enqueue_step(step, batch_id)
