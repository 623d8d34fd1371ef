"""Admin imports as worker jobs: upload → preview → confirm, each step's work in the worker.

The ImportBatch row is the job's record from the upload on. The upload stores the file and
queues a preview job (preview_queued → previewing → previewed): the worker checks the whole
file without writing anything and records what it found (ImportBatch.preview). The admin's
confirmation then queues the import (queued → running → done / failed / cancelled). Each step
is claimed by one worker with a conditional update, so a job delivered twice runs once.

The import itself stays one transaction (adoption.importers), so while it runs the database
holds none of its rows for anyone else to see; the live progress (rows read, checked, written)
and the admin's cancel request therefore travel through the queue's key-value store, which the
web and the worker share, not through the database.

A cancel is honoured at the next chunk: the transaction rolls back, nothing of the file
remains and the same file can be imported again. The uploaded file is deleted once the job is
over, whatever its outcome. A job whose worker died (SIGKILL, out of memory, a lost machine)
while checking or importing is redone by the sweep (adoption.import_sweep), a few times at
most, without counting anything twice.

Both steps run through one step runner (_run_step), each described by a _Step.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import importers, jobs
from .choices import ImportStatus
from .importers import Mode
from .models import ImportBatch

logger = logging.getLogger(__name__)


# Progress is written to the queue at most this often (and at every chunk's end).
PROGRESS_SECONDS = 1.0
# A step refused because another import holds the import lock is tried again this much later
# (imports write one at a time; in the worker, the second one waits its turn).
BUSY_RETRY_SECONDS = 30
# What a preview keeps for its page: the first rows and the first problems.
PREVIEW_ROWS = 10
SHOWN_PROBLEMS = 500
# The steps during which a job is waiting for or busy in the worker.
WAITING = (ImportStatus.PREVIEW_QUEUED, ImportStatus.QUEUED)
BUSY = (ImportStatus.PREVIEWING, ImportStatus.RUNNING)
ACTIVE = (*WAITING, *BUSY)
# The steps a job can still be cancelled in.
CANCELLABLE = (*ACTIVE, ImportStatus.PREVIEWED)


class QueueUnreachable(Exception):
    """The queue's store, through which a busy job is told to stop, cannot be reached."""


def _store():
    from huey.contrib.djhuey import HUEY

    return HUEY


def _progress_key(batch_id):
    return f"import-progress:{batch_id}"


def _cancel_key(batch_id):
    return f"import-cancel:{batch_id}"


def queue_preview(
    kind, path, *, file_name, sha256, user, skip_invalid, language, rows_at_most=None
):
    """Record a job for the stored upload at `path` and have the worker check it first.

    language: the uploader's, for the job's messages; rows_at_most: a bound on the file's rows
    (its line count), the end of the check's progress bar."""
    from .tasks import run_preview

    batch = ImportBatch.objects.create(
        kind=kind,
        file_name=file_name,
        sha256=sha256,
        imported_by=user,
        status=ImportStatus.PREVIEW_QUEUED,
        upload_file=str(path),
        skip_invalid=skip_invalid,
        preview={"language": language, "rows_at_most": rows_at_most},
    )
    jobs.after_commit(run_preview, batch.pk)
    return batch


def confirm(batch):
    """The admin confirms a checked upload: queue its import. Returns why not, if it cannot
    be (not waiting for a confirmation, or its file is gone)."""
    from .tasks import run_import

    if batch.status == ImportStatus.PREVIEWED and not Path(batch.upload_file).is_file():
        fail(batch, _("The uploaded file is gone (deleted before the import ran)."))
        return _("The uploaded file is gone; upload it again.")
    confirmed = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEWED).update(
        status=ImportStatus.QUEUED, started_at=timezone.now()
    )
    if not confirmed:
        return _("This file is not waiting for a confirmation.")
    jobs.after_commit(run_import, batch.pk)
    return ""


def progress(batch):
    """{read, checked, written, updated (epoch seconds)} of a job, as far as it got."""
    try:
        return _store().get(_progress_key(batch.pk), peek=True) or {}
    except Exception:
        logger.warning("Progress of import %s unreadable: the queue is unreachable", batch.pk)
        return {}


def cancel(batch):
    """Stop a job that is not over; True if it was still waiting, checked or running.

    A job not in the worker's hands is cancelled at once; a busy one is asked to stop at its
    next chunk (its transaction then rolls back).
    """
    waiting = (*WAITING, ImportStatus.PREVIEWED)
    if batch.status in waiting:
        claimed = ImportBatch.objects.filter(pk=batch.pk, status__in=waiting).update(
            status=ImportStatus.CANCELLED,
            finished_at=timezone.now(),
            message=_("Cancelled before it started: nothing was imported."),
        )
        if claimed:
            delete_upload(batch)
            return True
        batch.refresh_from_db()
    if batch.status in BUSY:
        try:
            _store().put(_cancel_key(batch.pk), True)
        except Exception:
            logger.exception(
                "Cancel of import %s not passed on: the queue is unreachable", batch.pk
            )
            raise QueueUnreachable from None
        return True
    return False


def _cancel_requested(batch_id):
    return bool(_store().get(_cancel_key(batch_id), peek=True))


class _Watcher:
    """Called after each chunk: publishes the counters and honours a cancel request."""

    def __init__(self, batch_id):
        self.batch_id = batch_id
        self.last = 0.0

    def __call__(self, outcome):
        if _cancel_requested(self.batch_id):
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


def _claim(batch_id, waiting, busy):
    """The job, moved from `waiting` to `busy`; None if another delivery or a cancel took it."""
    claimed = ImportBatch.objects.filter(pk=batch_id, status=waiting).update(
        status=busy, started_at=timezone.now()
    )
    if not claimed:
        return None
    return ImportBatch.objects.select_related("imported_by").get(pk=batch_id)


def language(batch):
    """The admin's language when they uploaded the file: the job's messages are in it."""
    return batch.preview.get("language") or settings.LANGUAGE_CODE


@dataclass(frozen=True)
class _Step:
    """One step of a job in the worker: the check of the upload, or its import."""

    waiting: str  # the status it waits in (and goes back to when another import writes)
    busy: str  # the status while the worker does it
    mode: Mode
    task: str  # its job in adoption.tasks
    gone: str  # the job's message if its file is gone
    # What to record of the outcome; True when the job is over (its upload then deleted).
    record: Callable


def preview(batch_id):
    """The worker's side of the upload: check the whole file, writing nothing, and record the
    counts, first rows and problems for the admin to confirm."""
    _run_step(batch_id, CHECK)


def run(batch_id):
    """The worker's side of the confirmation: import the file, record the outcome."""
    _run_step(batch_id, IMPORT)


def _run_step(batch_id, step):
    batch = _claim(batch_id, step.waiting, step.busy)
    if batch is None:
        return  # cancelled, already done, or taken by another worker
    over = True  # the job is over (whatever its outcome) unless it waits
    with translation.override(language(batch)):
        try:
            over = _work(batch, step)
        except BaseException:
            if not step.mode.records:  # an import's own record says so (importers.run)
                fail(batch, _("The check of the file stopped on an error; nothing was imported."))
            raise
        finally:
            if over:
                delete_upload(batch)
            # The next step counts from zero again: its page must not see this one's counts.
            _forget(batch_id)


def _work(batch, step):
    """Run the step on the job's file; False while the job waits (for its turn, or for the
    admin's confirmation)."""
    path = Path(batch.upload_file)
    if not path.is_file():
        fail(batch, str(step.gone))
        return True
    watcher = _Watcher(batch.pk)
    watcher.publish(importers.Outcome(file_name=batch.file_name))
    outcome = importers.run(
        batch.kind,
        path,
        mode=step.mode,
        file_name=batch.file_name,
        user=batch.imported_by,
        skip_invalid=batch.skip_invalid,
        reports_dir=settings.IMPORT_REPORTS_DIR if step.mode.records else None,
        preview_rows=0 if step.mode.records else PREVIEW_ROWS,
        # Held by the check too (it records nothing of its own): the sweep tells a dead
        # worker by the batch's lock.
        batch=batch,
        watch=watcher,
    )
    watcher.publish(outcome)
    if outcome.busy:
        _wait_for_turn(batch, step)
        return False
    return step.record(batch, outcome)


def _forget(batch_id):
    """Drop a step's progress and cancel request from the queue's store."""
    store = _store()
    store.delete(_progress_key(batch_id))
    store.delete(_cancel_key(batch_id))


def _record_preview(batch, outcome):
    """Keep what the check found; the file waits for the confirmation only if it can be
    imported. True if the job is over."""
    importable = bool(outcome.rows_valid and (outcome.ok or batch.skip_invalid))
    cancelled = outcome.cancelled or _cancel_requested(batch.pk)
    if cancelled:
        status, message = ImportStatus.CANCELLED, _("Cancelled: nothing was imported.")
    elif importable:
        status, message = ImportStatus.PREVIEWED, ""
    else:
        status, message = ImportStatus.FAILED, outcome.refused or outcome.summary()
    found = {
        **batch.preview,
        "header": outcome.header,
        "rows": outcome.preview,
        "read": outcome.rows_read,
        "to_import": outcome.rows_imported,
        "skipped": outcome.rows_skipped,
        "rejected": outcome.rows_rejected,
        "refused": outcome.refused,
        "problems": [str(problem) for problem in outcome.problems[:SHOWN_PROBLEMS]],
        "problem_count": outcome.problem_count,
    }
    finished = None if status == ImportStatus.PREVIEWED else timezone.now()
    ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.PREVIEWING).update(
        status=status, preview=found, message=message, finished_at=finished
    )
    return status != ImportStatus.PREVIEWED


CHECK = _Step(
    ImportStatus.PREVIEW_QUEUED,
    ImportStatus.PREVIEWING,
    Mode.PREVIEW,
    "run_preview",
    gettext_lazy("The uploaded file is gone (deleted before it was checked)."),
    _record_preview,
)
# The import's outcome is recorded by importers.run itself, on the job's batch.
IMPORT = _Step(
    ImportStatus.QUEUED,
    ImportStatus.RUNNING,
    Mode.IMPORT,
    "run_import",
    gettext_lazy("The uploaded file is gone (deleted before the import ran)."),
    lambda batch, outcome: True,
)
STEPS = {step.busy: step for step in (CHECK, IMPORT)}


def enqueue_step(step, batch_id, **options):
    """Queue the step of a job again (its worker job in adoption.tasks)."""
    from . import tasks

    return jobs.enqueue(getattr(tasks, step.task), batch_id, **options)


def _wait_for_turn(batch, step):
    """Another import held the import lock (nothing was read or written): the step goes back
    in the queue, and its file stays."""
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=step.waiting,
        finished_at=None,
        message=_("Waiting for another import to finish."),
    )
    enqueue_step(step, batch.pk, delay=BUSY_RETRY_SECONDS)


def fail(batch, message):
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=ImportStatus.FAILED, finished_at=timezone.now(), message=message
    )


def delete_upload(batch):
    if batch.upload_file:
        Path(batch.upload_file).unlink(missing_ok=True)
        ImportBatch.objects.filter(pk=batch.pk).update(upload_file="")
