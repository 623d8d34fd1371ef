"""What an import tells its user: every problem by row and column, and the rejected rows."""

import csv
import re
import tempfile
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from .values import text

# Problems kept in memory for the screen; all of them go to the report file.
KEPT_PROBLEMS = 1000


@dataclass(frozen=True)
class Problem:
    row: int
    column: str
    message: str

    def __str__(self):
        if not self.row:
            return self.message
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": self.row,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class Outcome:
    """The result of one import run, as the command and the admin pages show it."""

    file_name: str
    sha256: str = ""
    dry_run: bool = False
    skip_invalid: bool = False
    batch: object = None
    header: list = field(default_factory=list)
    preview: list = field(default_factory=list)
    rows_read: int = 0
    rows_valid: int = 0
    # Valid rows handed to the database so far (an import job's progress).
    rows_written: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    rows_rejected: int = 0
    problem_count: int = 0
    problems: list = field(default_factory=list)
    refused: str = ""
    cancelled: bool = False
    # Refused only because another import held the import lock: worth running again later.
    busy: bool = False
    warnings: list = field(default_factory=list)
    report_path: str = ""
    rejects_path: str = ""
    spool: object = None

    @property
    def ok(self):
        return not self.refused

    def add_problem(self, problem):
        self.problem_count += 1
        if len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(problem)
        if self.spool is None:
            self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        self.spool.write(f"{problem}\n")

    def counts(self):
        """One line: rows read, imported, skipped and rejected."""
        counts = {
            "read": self.rows_read,
            "imported": self.rows_imported,
            "skipped": self.rows_skipped,
            "rejected": self.rows_rejected,
        }
        if self.dry_run:
            line = _(
                "Dry run, nothing written: %(read)s rows read, %(imported)s would be imported, "
                "%(skipped)s already present, %(rejected)s rejected."
            )
        else:
            line = _(
                "%(read)s rows read, %(imported)s imported, %(skipped)s skipped as already "
                "present, %(rejected)s rejected."
            )
        return line % counts

    def summary(self):
        """Why the file was refused (if it was), the counts, and any warning."""
        lines = [self.refused] if self.refused else []
        return "\n".join([*lines, self.counts(), *self.warnings])

    def message(self, limit=20):
        """The summary and the first problems, as stored on the import record."""
        lines = [self.summary(), *(str(p) for p in self.problems[:limit])]
        if self.problem_count > limit:
            lines.append(
                _("… and %s more problems, listed in the report file.")
                % (self.problem_count - limit)
            )
        return "\n".join(lines)

    def write_report(self, path):
        """The summary then every problem, one per line."""
        with open(path, "w", encoding="utf-8") as out:
            out.write(f"{self.file_name} (SHA-256 {self.sha256})\n{self.summary()}\n")
            if self.spool is not None:
                out.write("\n")
                self.spool.seek(0)
                for line in self.spool:
                    out.write(line)
        self.report_path = str(path)

    def close(self):
        if self.spool is not None:
            self.spool.close()
            self.spool = None


# A text cell starting with one of these runs as a formula when the file is opened in Excel or
# LibreOffice (CSV injection); adoption.exports guards the dashboard's downloads the same way.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)*")


def formula_safe(value):
    """The cell with a leading apostrophe if a spreadsheet would run it; numbers as they are,
    so a negative amount can be corrected and the file imported again."""
    if value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class RejectsWriter:
    """Rejected rows in the file's own columns plus `error`, ready to fix and import again.

    Every cell is written formula-safe: the rows came from anywhere."""

    def __init__(self, path, header):
        # utf-8-sig: Excel opens a CSV as UTF-8 only when it starts with a byte-order mark.
        self.file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self.writer = csv.writer(self.file)
        self.writer.writerow([*(formula_safe(text(name)) for name in header), "error"])
        self.width = len(header)
        self.path = str(path)

    def write(self, cells, problems):
        """problems: (column, message) pairs."""
        values = [formula_safe(text(cell)) for cell in cells[: self.width]]
        values += [""] * (self.width - len(values))
        error = "; ".join(f"{column}: {message}" for column, message in problems)
        self.writer.writerow([*values, formula_safe(error)])

    def close(self):
        self.file.close()
