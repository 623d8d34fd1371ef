"""Imports side by side: one writes at a time, lock conflicts are retried, killed ones are swept.

Two imports writing the same payments table at once used to deadlock, and the loser showed
PostgreSQL's raw "deadlock detected". Now, on PostgreSQL:
- an import's transaction first takes a transaction-level advisory lock (IMPORT_LOCK): a
  second import waits for the first, up to LOCK_WAIT_SECONDS, then is refused with a clear
  message (a command waits, an admin page does not hang until the server's timeout);
- a lock conflict that still happens (with a rollup fill or an admin edit) is retried: the
  whole import runs again, up to ATTEMPTS times (importers.run);
- while an import runs, its session holds a second advisory lock keyed by its ImportBatch, so
  `sweep_stale()` can tell a running import from one whose process was killed: the lock dies
  with the connection. SQLite has no advisory locks; there a batch left running for
  STALE_AFTER is taken for dead. An admin import job's check holds its batch's lock too, and
  a job whose worker died is redone rather than failed (adoption.import_sweep).
"""

import time

from django.db import DatabaseError, connection
from django.utils import timezone
from django.utils.translation import gettext as _

from ..choices import ImportStatus
from ..models import ImportBatch, Payment

# pg_advisory_lock's two-key form: (namespace, key). The namespace is the import's own.
NAMESPACE = 0x504F5752  # "POWR"
IMPORT_LOCK = 0  # key of the lock every import's transaction takes
LOCK_WAIT_SECONDS = 30
POLL_SECONDS = 0.5
ATTEMPTS = 3
# SQLSTATEs of a lock conflict: deadlock, serialisation failure, lock not available.
LOCK_CONFLICTS = {"40P01", "40001", "55P03"}
STALE_AFTER = timezone.timedelta(hours=6)
# A batch is created just before its lock is taken: younger ones are never swept.
GRACE = timezone.timedelta(minutes=2)


class ImportsBusy(Exception):
    """Another import held the import lock for longer than LOCK_WAIT_SECONDS."""


def is_lock_conflict(error):
    """Whether a DatabaseError is a lock conflict, worth running the import again."""
    cause = error.__cause__
    code = getattr(cause, "pgcode", None)
    if code is None and cause is not None:  # raised without a server, e.g. in a test
        from psycopg2 import errors

        code = next((c for c in LOCK_CONFLICTS if isinstance(cause, errors.lookup(c))), None)
    if code in LOCK_CONFLICTS:
        return True
    return connection.vendor == "sqlite" and "database is locked" in str(error)


def conflict_message(attempts):
    return _(
        "Another import or a change to the same data was writing at the same time. The import "
        "was tried %(attempts)s times and nothing was imported: run it again in a few minutes."
    ) % {"attempts": attempts}


def busy_message():
    return _(
        "Another import is running. Nothing was imported: run this one again when it has "
        "finished (the list of imports shows it as running)."
    )


def take_import_lock(wait=None):
    """In the import's transaction: wait for the import lock, or raise ImportsBusy."""
    if connection.vendor != "postgresql":
        return
    wait = LOCK_WAIT_SECONDS if wait is None else wait
    deadline = time.monotonic() + wait
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [NAMESPACE, IMPORT_LOCK])
            if cursor.fetchone()[0]:
                return
            if time.monotonic() >= deadline:
                raise ImportsBusy
            time.sleep(POLL_SECONDS)


def _batch_key(batch_id):
    return batch_id % 2**31  # the two-key form takes 32-bit keys


def hold_batch(batch):
    """Mark the batch as alive for as long as this connection lasts (or release_batch)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_lock(%s, %s)", [NAMESPACE, _batch_key(batch.pk)])


def release_batch(batch):
    if connection.vendor == "postgresql":
        try:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(%s, %s)", [NAMESPACE, _batch_key(batch.pk)]
                )
        except DatabaseError:
            pass  # the connection is gone, and the lock with it


def _is_dead(batch):
    if connection.vendor != "postgresql":
        return True  # old enough (STALE_AFTER) is all SQLite can tell
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [NAMESPACE, _batch_key(batch.pk)])
        if not cursor.fetchone()[0]:
            return False
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [NAMESPACE, _batch_key(batch.pk)])
    return True


def process_gone(batch, now=None):
    """Whether the process of a busy batch is gone, as far as its lock can tell: on
    PostgreSQL, the batch started more than GRACE ago (its lock is taken just after) and its
    lock is free. SQLite has no locks: always True there, the caller judges by age or
    progress."""
    now = now or timezone.now()
    if connection.vendor == "postgresql" and batch.started_at >= now - GRACE:
        return False
    return _is_dead(batch)


def sweep_stale(now=None):
    """Mark as failed the imports left "running" by a process that was killed; return them.

    Safe to run at any time, from the command (sweep_imports) or a scheduler: an import still
    running holds its batch's lock and is left alone.
    """
    now = now or timezone.now()
    older = GRACE if connection.vendor == "postgresql" else STALE_AFTER
    running = ImportBatch.objects.filter(status=ImportStatus.RUNNING, started_at__lt=now - older)
    return [
        batch.pk
        for batch in running.order_by("pk")
        if _is_dead(batch) and mark_interrupted(batch, now)
    ]


def mark_interrupted(batch, now):
    """Fail a running import whose process died, saying what it kept; False if it was no
    longer running.

    Killed inside its transaction, it wrote nothing; killed later (during the rollup
    refresh), its payments are in, and their months stay marked for the next refresh."""
    kept = Payment.objects.filter(import_batch=batch).count()
    message = _(
        "Interrupted: the process stopped before the import finished (%(kept)s payments "
        "were saved). Import the file again if needed: rows already present are skipped."
    ) % {"kept": kept}
    updated = ImportBatch.objects.filter(pk=batch.pk, status=ImportStatus.RUNNING).update(
        status=ImportStatus.FAILED,
        finished_at=now,
        rows_imported=kept,
        message=f"{message}\n{batch.message}".strip(),
    )
    return bool(updated)
