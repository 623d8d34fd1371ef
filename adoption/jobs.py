"""Handing work to the worker: the one place the web side enqueues jobs (adoption.tasks).

A job is enqueued only once the transaction that asked for it commits, so the worker never
looks for rows that are not there yet. Enqueueing may fail (Redis down, the queue file
locked): the edit still stands, a log line says so, and the periodic sweep picks up the work
from what the database records (dirty markers, queued imports), which is why a failure here
is logged, never raised.
"""

import logging

from django.db import connection, transaction

logger = logging.getLogger(__name__)


def _enqueue_fill():
    from .tasks import fill_rollups

    enqueue(fill_rollups)


def fill_after_commit():
    """Have the worker refill the dirty rollups after this transaction commits (once per
    transaction, however many markers it writes)."""
    if any(func is _enqueue_fill for _sids, func, _robust in connection.run_on_commit):
        return
    transaction.on_commit(_enqueue_fill)


def after_commit(task, *args):
    """Enqueue `task(*args)` once this transaction commits (an import job's next step)."""
    transaction.on_commit(lambda: enqueue(task, *args))


def enqueue(task, *args, delay=None):
    """Call a task (enqueue it, or schedule it `delay` seconds from now); True if the queue
    took it."""
    try:
        if delay:
            task.schedule(args, delay=delay)
        else:
            task(*args)
    except Exception:
        logger.exception(
            "Could not enqueue %s: the queue is unreachable. The change is saved; the "
            "worker's periodic sweep will catch up once the queue is back.",
            task.name,
        )
        return False
    return True
