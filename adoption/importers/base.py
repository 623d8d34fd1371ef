"""What every importer is to run() (adoption.importers): its hooks, their contract, and the
mode of a run.

run() drives an importer through one pass of the file, inside one transaction:

    importer = Kind(user=…, today=…)      the lookups it checks against, loaded once
    importer.columns = {name: index}      where each column is in the file's rows
    importer.start(batch, mode)
    for each chunk of rows:
        importer.check(chunk)             every row: its record, or its problems
        importer.write(good records)      unless an all-or-nothing import already failed
    importer.duplicate_problem(cells, first)   for each row repeating an earlier row's key
    importer.finish()                     the rows written (would be, for a dry run)
    importer.stop()                       always, whatever happened
    importer.refresh_scope()              after the commit: the rollups to refresh
"""

import enum
from abc import ABC, abstractmethod

from ..metrics import dirty
from .duplicates import Duplicates


class Mode(enum.Enum):
    """What a run of run() does with a file."""

    # Check the whole file and leave no trace: nothing written, no import record of its own
    # (an admin upload's check: its job's record keeps what was found).
    PREVIEW = "preview"
    # Check, and count what would be written: written, then rolled back; recorded as a dry run.
    DRY_RUN = "dry_run"
    # Check and write.
    IMPORT = "import"

    @property
    def writes(self):
        return self is Mode.IMPORT

    @property
    def records(self):
        """Whether the run keeps an ImportBatch of its own outcome."""
        return self is not Mode.PREVIEW


class Importer(ABC):
    """One kind of file (payments, customers, reversals) for run().

    Class attributes: `kind` (ImportKind), `required` and `optional` (column names; the file
    must have every required one, may have the optional ones).

    Hooks, in the order run() calls them:
    - `__init__(user=, today=)`: load what the rows are checked against (codes to ids),
      restricted to what `user` may import for (None: everything). No query may be needed
      after `start()` but those of `write()` and `finish()`.
    - `start(batch, mode)`: before the first row. `batch` is the ImportBatch the rows belong
      to (a throwaway one for a preview without a job), `mode` a Mode. Default: keep both.
    - `check(chunk)`: chunk is [(row number, cells)]; yield (number, cells, record or None,
      problems) for every row, in order, problems being [(column, message)]. A good row's
      key goes to `self.duplicates` (add(key, number)); its (period, branch id) to
      `self.affected` when the default refresh_scope() is used.
    - `write(records)`: write the good records of one chunk; a record whose key is already in
      the database, or earlier in the chunk, is left out (run() reports the repeats later).
    - `duplicate_problem(cells, first)`: (column, message) of a row that repeats row
      `first`'s key; called after every row is checked, for each repeat.
    - `finish()`: after the last chunk; return how many rows were written (would be, for a
      dry run: its transaction is rolled back after). Default: `self.written`.
    - `stop()`: always called last, even after an error: leave nothing behind. Default:
      close the duplicates' spool.
    - `refresh_scope()`: after the commit, the (period, branch id) cells whose rollups the
      written rows change. Default: `self.affected`, widened to the branches that share
      customers with each (a payment of a past month counts in that month's branch).
    """

    kind = None
    required = ()
    optional = ()

    def __init__(self, *, user, today):
        self.user = user
        self.today = today
        self.columns = {}
        self.duplicates = Duplicates()  # keys of the good rows, on disk
        self.affected = set()  # (period, branch id) of the good rows
        self.written = 0
        self.batch = None
        self.mode = None

    def start(self, batch, mode):
        self.batch = batch
        self.mode = mode

    @abstractmethod
    def check(self, chunk):
        """Yield (row number, cells, record or None, [(column, message)]) for each row."""

    @abstractmethod
    def write(self, records):
        """Write one chunk's good records."""

    @abstractmethod
    def duplicate_problem(self, cells, first):
        """(column, message) of a row repeating row `first`'s key."""

    def finish(self):
        return self.written

    def stop(self):
        self.duplicates.close()

    def refresh_scope(self):
        if not self.affected:
            return set()
        related = dirty.branches_sharing_customers()
        return {(p, b) for p, current in self.affected for b in related.get(current, {current})}
