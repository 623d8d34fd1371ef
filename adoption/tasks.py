"""The worker's jobs, run by `python manage.py run_huey` (Huey; settings.HUEY says where the
queue lives). Pages never do this work: they read what the last job wrote.

Every job can be redone from what the database records: a fill from its dirty markers (the
fill's own transaction puts them back if it dies), an import from its ImportBatch row. So a
job killed half way (SIGKILL, a restart) is redone by the next fill job or the periodic sweep,
and nothing is counted twice: a fill deletes and re-inserts its cells.
"""

import logging

from django.db import OperationalError
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from . import import_jobs, import_sweep
from .metrics import freshness

logger = logging.getLogger(__name__)

# Transient database errors (a restart, a dropped connection, a deadlock) are retried:
# 2 s, 4 s, 8 s, … Other errors are logged; the sweep tries again a minute later.
RETRIES = {"retries": 5, "retry_delay": 2, "retry_backoff": 2}


def _transient_only(fill):
    try:
        fill()
    except OperationalError:
        raise
    except Exception:
        logger.exception("Rollup fill failed; the markers stay for the next sweep")


@db_task(**RETRIES)
def fill_rollups():
    """Refill every (period, branch) marked dirty."""
    _transient_only(freshness.ensure_fresh)


@db_task(**RETRIES)
def rebuild_rollups(periods=None, branch_ids=None):
    """A big fill (a full rebuild, a restated history), in the worker, one at a time."""
    _transient_only(lambda: freshness.refresh(periods, branch_ids))


@db_task()
def run_preview(batch_id):
    """Check an uploaded file for its preview (admin upload → preview → confirm)."""
    import_jobs.preview(batch_id)


@db_task()
def run_import(batch_id):
    """Import an uploaded file the admin confirmed after its preview."""
    import_jobs.run(batch_id)


@db_periodic_task(crontab(minute="*"))
def sweep():
    """Catch up on what a killed job or a failed enqueue left: import jobs that were never
    picked up or whose worker is gone, and dirty markers.

    Not while an import is still running: once its rows are committed it analyses them (a
    while, for a big file) and then enqueues the refresh of their months itself; a sweep in
    between would fill them on stale planner statistics (minutes instead of seconds), and
    again after. Should the import die, its markers stay for the sweep after it.
    """
    import_sweep.sweep()
    if not import_sweep.refreshing_itself():
        _transient_only(freshness.ensure_fresh)


@db_task(**RETRIES)
def check_import(scope):
    """After an import: the validation rules on its months, then the months' status."""
    from . import month_steps

    month_steps.after_import(scope)


@db_task(**RETRIES)
def validate_months(periods):
    """The validation rules on demand (the month page's "run the rules again")."""
    from . import validation

    validation.run(periods)


# The report and alert emails' periodic jobs live beside the reports; importing them here is
# what registers them with the worker (Huey loads each app's tasks module).
from .reports import tasks as report_tasks  # noqa: E402, F401
