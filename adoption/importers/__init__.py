"""Bulk import of customers and payments from CSV or XLSX files.

`run()` is the one entry point, for the commands and the admin pages alike. It streams the
file in chunks: each chunk is checked against lookups loaded once (codes to ids), and its good
rows are written at once, all inside one transaction. By default one bad row rolls everything
back, so an import is all or nothing; with skip_invalid the good rows stay and the bad ones go
to a rejects CSV. Memory holds the lookups and a few chunks: it does not grow with the file.
Keys repeated within the file (a payment's channel and reference, a customer's code) are
found by a sort on disk (duplicates.py) once every row is checked; their rows are then read
again from the file to be reported, and rejected.
"""

import hashlib
import logging
import random
import time
from dataclasses import dataclass
from pathlib import Path

from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..choices import ImportKind, ImportStatus
from ..metrics import dirty
from ..models import ImportBatch
from . import after_commit, concurrency
from .base import Importer, Mode
from .customers import CustomerImport
from .files import FileRefused, open_table
from .payments import PaymentImport
from .reports import Outcome, Problem, RejectsWriter
from .reversals import ReversalImport
from .values import text

logger = logging.getLogger(__name__)

IMPORTS = {
    ImportKind.PAYMENTS: PaymentImport,
    ImportKind.REVERSALS: ReversalImport,
    ImportKind.CUSTOMERS: CustomerImport,
}
CHUNK_ROWS = 10_000

__all__ = [
    "IMPORTS",
    "Cancelled",
    "FileRefused",
    "Importer",
    "Mode",
    "Outcome",
    "Problem",
    "checksum",
    "run",
]


class _RollBack(Exception):
    """Leaves the import's transaction without keeping anything."""


class Cancelled(Exception):
    """Raised by a watcher (an import job the admin cancelled): everything is rolled back."""


class _LockConflict(Exception):
    """The import's transaction lost a lock conflict and was rolled back: run it again."""


def checksum(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class _Run:
    """What one run of run() works with, passed down as one."""

    kind: str
    path: Path
    mode: Mode
    user: object
    reports_dir: object
    progress: object
    preview_rows: int
    batch: object


def run(
    kind,
    path,
    *,
    mode=Mode.IMPORT,
    file_name=None,
    user=None,
    skip_invalid=False,
    reports_dir=None,
    progress=None,
    preview_rows=0,
    batch=None,
    watch=None,
):
    """Import the file at `path` as `mode` says (a Mode); return an Outcome. Never raises for
    a bad file.

    reports_dir receives the report and, with skip_invalid, the rejected rows. progress(rows)
    is called after each chunk; watch(outcome) too, and may raise Cancelled to roll the whole
    import back. batch: the ImportBatch an import job already recorded; without one, a
    dry run or an import records its own. A preview records nothing, but holds its job's
    batch's lock while it runs, as an import does (concurrency.hold_batch: the sweep can tell
    a dead worker by it).
    """
    outcome = Outcome(
        file_name=file_name or Path(path).name,
        dry_run=not mode.writes,
        skip_invalid=skip_invalid,
    )
    outcome.sha256 = checksum(path)
    if batch is None and mode.records:
        batch = ImportBatch.objects.create(
            kind=kind, file_name=outcome.file_name, sha256=outcome.sha256, imported_by=user
        )
    if batch is not None:
        concurrency.hold_batch(batch)  # tells the sweep this run is alive
    outcome.batch = batch
    if watch is not None:
        progress = _watching(progress, watch, outcome)
    job = _Run(kind, Path(path), mode, user, reports_dir, progress, preview_rows, batch)
    try:
        outcome, importer = _import_with_retries(job, outcome)
    except BaseException:
        if batch is not None:  # a bug, or an interrupt: the record must not say "running"
            if mode.records:
                batch.status = ImportStatus.FAILED
                batch.finished_at = timezone.now()
                batch.save(update_fields=["status", "finished_at"])
            concurrency.release_batch(batch)
        raise

    if outcome.ok and mode.writes and outcome.rows_imported:
        scope = importer.refresh_scope()
        importer = None  # its lookup tables are big: free them
        after_commit.catch_up(kind, scope, outcome, bulk=outcome.rows_imported >= CHUNK_ROWS)
    if outcome.rejects_path and not (outcome.rows_rejected and outcome.ok):
        Path(outcome.rejects_path).unlink(missing_ok=True)
        outcome.rejects_path = ""
    if batch is not None:
        if mode.records:
            if reports_dir:
                outcome.write_report(_report_path(reports_dir, batch, "report.txt"))
            _finish_batch(batch, outcome)
        concurrency.release_batch(batch)
    outcome.close()
    return outcome


def _import_with_retries(job, outcome):
    """_import(), run again from the start when it loses a lock conflict; (outcome, importer)."""
    for attempt in range(1, concurrency.ATTEMPTS + 1):
        try:
            return outcome, _import(job, outcome)
        except _LockConflict:
            logger.warning(
                "Import of %s lost a lock conflict (attempt %s)", outcome.file_name, attempt
            )
            outcome = _fresh(outcome)
            if attempt < concurrency.ATTEMPTS:
                time.sleep(attempt + random.random())  # let the other writer finish
    outcome.refused = concurrency.conflict_message(concurrency.ATTEMPTS)
    return outcome, None


def _fresh(outcome):
    """A new outcome for another attempt at the same file."""
    outcome.close()
    again = Outcome(
        file_name=outcome.file_name, dry_run=outcome.dry_run, skip_invalid=outcome.skip_invalid
    )
    again.sha256, again.batch = outcome.sha256, outcome.batch
    return again


def _import(job, outcome):
    """Read, check and write inside one transaction; return the importer (for its scope)."""
    table = rejects = importer = None
    try:
        table = open_table(job.path)
        table.match_columns(IMPORTS[job.kind].required, IMPORTS[job.kind].optional)
        outcome.header = [text(name) for name in table.header]
        if outcome.skip_invalid and job.mode.writes and job.batch is not None and job.reports_dir:
            path = _report_path(job.reports_dir, job.batch, "rejects.csv")
            rejects = RejectsWriter(path, table.header)
            outcome.rejects_path = rejects.path
        with transaction.atomic():
            concurrency.take_import_lock()  # one import writes at a time
            importer = IMPORTS[job.kind](user=job.user, today=timezone.localdate())
            importer.columns = table.columns
            # SQLite counts what was written by batch, so a preview uses a batch it throws away.
            batch_for_rows = job.batch or ImportBatch.objects.create(
                kind=job.kind, file_name=outcome.file_name, sha256=outcome.sha256
            )
            try:
                _load(importer, table, job, outcome, batch_for_rows, rejects)
                if outcome.refused or not job.mode.writes:
                    raise _RollBack
                _mark_committed(importer, job.batch, outcome)
            except _RollBack:
                transaction.set_rollback(True)
    except FileRefused as error:
        outcome.refused = str(error)
    except Cancelled:
        outcome.cancelled = True
        outcome.refused = _("Cancelled: nothing was imported.")
    except concurrency.ImportsBusy:
        outcome.busy = True
        outcome.refused = concurrency.busy_message()
    except DatabaseError as error:
        if concurrency.is_lock_conflict(error):
            raise _LockConflict from error
        logger.exception("Import of %s refused by the database", outcome.file_name)
        outcome.refused = _("The database refused the rows, nothing was imported: %s") % error
    finally:
        if rejects is not None:
            rejects.close()
        if table is not None:
            table.close()
    return importer


def _mark_committed(importer, batch, outcome):
    """In the import's transaction, so committed with the rows or not at all: the months to
    refresh (should the refresh after the commit fail, the next dashboard read finds the
    markers and catches up: freshness.ensure_fresh), and the batch's counts (a sweep finding
    rows_read on a batch whose process died knows its rows are in: import_jobs.sweep)."""
    periods, branch_ids = after_commit.periods_and_branches(importer.refresh_scope())
    if periods:
        dirty.mark_dirty(periods, branch_ids)
    ImportBatch.objects.filter(pk=batch.pk).update(
        rows_read=outcome.rows_read, rows_imported=outcome.rows_imported
    )


def _load(importer, table, job, outcome, batch, rejects):
    importer.start(batch, job.mode)
    try:
        _check_and_write(importer, table, outcome, rejects, job.progress, job.preview_rows)
        if not outcome.rows_read:
            raise FileRefused(_("The file has a header row but no rows below it."))
        _reject_repeats(importer, job.path, outcome, rejects)
        if outcome.rows_rejected and not outcome.skip_invalid:
            outcome.refused = ngettext(
                "%(count)s row has problems: nothing was imported.",
                "%(count)s rows have problems: nothing was imported.",
                outcome.rows_rejected,
            ) % {"count": outcome.rows_rejected}
            return
        outcome.rows_imported = importer.finish()
        outcome.rows_skipped = outcome.rows_valid - outcome.rows_imported
    finally:
        importer.stop()


def _watching(progress, watch, outcome):
    def both(rows):
        if progress is not None:
            progress(rows)
        watch(outcome)

    return both


def _check_and_write(importer, table, outcome, rejects, progress, preview_rows):
    for chunk in table.chunks(CHUNK_ROWS):
        outcome.rows_read += len(chunk)
        if len(outcome.preview) < preview_rows:
            outcome.preview += [
                (number, [text(cell) for cell in cells[: len(table.header)]])
                for number, cells in chunk[: preview_rows - len(outcome.preview)]
            ]
        good = []
        for number, cells, record, problems in importer.check(chunk):
            if record is not None:
                good.append(record)
                continue
            outcome.rows_rejected += 1
            for column, message in problems:
                outcome.add_problem(Problem(number, column, message))
            if rejects is not None:
                rejects.write(cells, problems)
        outcome.rows_valid += len(good)
        # Once a row is bad an all-or-nothing import will roll back: stop writing, keep checking.
        if good and (outcome.skip_invalid or not outcome.rows_rejected):
            importer.write(good)
            outcome.rows_written += len(good)
        if progress is not None:
            progress(len(chunk))


def _reject_repeats(importer, path, outcome, rejects):
    """Report and reject each row that repeats an earlier row's key (its first row was kept).

    The repeats come in row order; the file is read again to name them with their cells.
    Their rows were never written: importer.write() and the unique constraints saw to it.
    """
    repeats = importer.duplicates.repeats()
    current = next(repeats, None)
    if current is None:
        return
    table = open_table(path)
    table.match_columns(importer.required, importer.optional)
    chunks = table.chunks(CHUNK_ROWS)
    try:
        for chunk in chunks:
            for number, cells in chunk:
                while current is not None and current[0] == number:
                    problem = importer.duplicate_problem(cells, current[1])
                    outcome.rows_rejected += 1
                    outcome.rows_valid -= 1
                    outcome.add_problem(Problem(number, *problem))
                    if rejects is not None:
                        rejects.write(cells, [problem])
                    current = next(repeats, None)
            if current is None:
                break
    finally:
        chunks.close()  # closes the file
        repeats.close()


def report_file(reports_dir, batch, suffix):
    """Where an import's report ("report.txt") or rejected rows ("rejects.csv") are kept."""
    return Path(reports_dir) / f"import-{batch.pk}-{batch.kind}-{suffix}"


def _report_path(reports_dir, batch, suffix):
    Path(reports_dir).mkdir(parents=True, exist_ok=True)
    return report_file(reports_dir, batch, suffix)


def _finish_batch(batch, outcome):
    if outcome.dry_run:
        batch.status = ImportStatus.DRY_RUN
    elif outcome.cancelled:
        batch.status = ImportStatus.CANCELLED
    elif outcome.refused:
        batch.status = ImportStatus.FAILED
    else:
        batch.status = ImportStatus.DONE
    batch.finished_at = timezone.now()
    batch.rows_read = outcome.rows_read
    batch.rows_imported = outcome.rows_imported
    batch.rows_skipped = outcome.rows_skipped
    batch.rows_rejected = outcome.rows_rejected
    batch.message = outcome.message()
    batch.rejects_file = outcome.rejects_path
    batch.save()
