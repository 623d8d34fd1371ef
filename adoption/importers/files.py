"""Streaming readers for CSV and XLSX files: a header, then rows, never the whole file at once.

A file that cannot be read as a table raises FileRefused with a message for the user, before
anything is written: not CSV or XLSX, empty, binary, not UTF-8, or with absurdly long lines.

Memory is bounded by design. A CSV is read in blocks, line by line (lines end in \n, \r\n or
a lone \r as Excel for Mac writes them). An XLSX is a ZIP of XML parts: openpyxl streams the
worksheets in read-only mode, but loads the shared strings (every text cell Excel writes) and
the other parts whole. So before openpyxl opens anything, the ZIP's directory is checked: the
shared strings and every other non-worksheet part have a size limit, no part may be a "zip
bomb" (a few MB that inflate a thousandfold), and the whole workbook a total limit. Python's
zipfile never inflates a part beyond the size the directory declares, so the check holds.
"""

import codecs
import csv
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.etree.ElementTree import ParseError

from django.utils.translation import gettext as _

# A payments or customers line is under 300 characters; anything this long is not one.
MAX_LINE = 64 * 1024
SNIFF_BYTES = 64 * 1024
READ_CHARS = 1024 * 1024
DELIMITERS = (",", ";", "\t")

ZIP_MAGIC = b"PK\x03\x04"
# A million rows of payments Excel writes as about 30 MB of shared strings; openpyxl then keeps
# them as Python strings (about 80 MB). Bigger tables are imported as CSV.
MAX_SHARED_STRINGS = 32 * 1024 * 1024
MAX_OTHER_PART = 8 * 1024 * 1024  # styles, workbook, relationships…: kilobytes in practice
# Worksheet XML compresses about 15 times; a thousandfold is a bomb, not a table.
MAX_RATIO = 100
RATIO_FROM = 1024 * 1024  # tiny parts compress oddly either way
MAX_UNCOMPRESSED = 2 * 1024 * 1024 * 1024
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # Excel 97-2003 .xls
# What openpyxl raises, while streaming rows, for a workbook damaged inside.
XLSX_ERRORS = (ParseError, zipfile.BadZipFile, zlib.error, EOFError, KeyError, ValueError)
# Control characters other than tab, newline and carriage return do not occur in text files.
BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")


class FileRefused(Exception):
    """The file as a whole cannot be imported; nothing was written."""


def normalise_header(name):
    """`Customer Code`, `customer_code` and ` CUSTOMER-CODE ` all name the same column."""
    return re.sub(r"[\s\-]+", "_", str(name or "").strip().lower())


@dataclass
class Table:
    """A header row and an iterator of (row number, cells); row 1 is the header, as in Excel."""

    header: list
    rows: object
    format: str
    close: object
    line_number: object = None  # where a CSV reader stopped, for its errors
    errors: tuple = (csv.Error,)  # what the reader raises for a damaged file
    columns: dict = field(default_factory=dict)

    def chunks(self, size):
        """Lists of up to `size` (row number, cells): non-blank rows, padded to the header."""
        width = len(self.header)
        chunk = []
        number = 1
        try:
            for number, cells in self.rows:
                if not any(cells):
                    continue  # Spreadsheets leave empty rows (or ;;;;;) at the end.
                if len(cells) < width:
                    cells = [*cells, *([""] * (width - len(cells)))]
                chunk.append((number, cells))
                if len(chunk) == size:
                    yield chunk
                    chunk = []
        except self.errors as error:
            if self.format == "csv":
                raise FileRefused(
                    _("Line %(line)s cannot be read as CSV: %(error)s")
                    % {"line": self.line_number(), "error": error}
                ) from None
            raise FileRefused(
                _("The XLSX file is damaged after row %s: save it again from Excel.") % number
            ) from None
        finally:
            self.close()
        if chunk:
            yield chunk

    def match_columns(self, required, optional=()):
        """Map each known column to its position, or refuse the file if a required one is absent."""
        positions = {}
        for index, name in enumerate(self.header):
            key = normalise_header(name)
            if key in positions and key in (*required, *optional):
                raise FileRefused(_("The column “%s” appears twice in the header row.") % name)
            positions.setdefault(key, index)
        missing = [name for name in required if name not in positions]
        if missing:
            raise FileRefused(
                _("Missing required column(s): %(missing)s. The header row has: %(found)s.")
                % {
                    "missing": ", ".join(missing),
                    "found": ", ".join(str(h) for h in self.header if str(h or "").strip())
                    or _("nothing"),
                }
            )
        known = (*required, *optional)
        self.columns = {name: positions[name] for name in known if name in positions}
        return self.columns


def open_table(path):
    """Open a CSV or XLSX file for streaming, or raise FileRefused."""
    with open(path, "rb") as probe:
        head = probe.read(SNIFF_BYTES)
    if not head.strip():
        raise FileRefused(_("The file is empty."))
    if head.startswith(ZIP_MAGIC):
        return _open_xlsx(path)
    if head.startswith(OLE2_MAGIC):
        raise FileRefused(
            _("Old Excel files (.xls) cannot be read. Save the file as .xlsx or as CSV UTF-8.")
        )
    if BINARY_BYTES.search(head):
        raise FileRefused(_("This is not a CSV or XLSX file: it contains binary data."))
    return _open_csv(path, head)


def _open_csv(path, head):
    try:
        # The head may end inside a multibyte character: decode it incrementally.
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not UTF-8 text. In Excel, save it as “CSV UTF-8 (Comma delimited)”; "
                "XLSX files are read as they are."
            )
        ) from None
    # Universal newlines: Excel for Mac ends lines with a lone \r, which the csv module would
    # read as one endless line.
    stream = open(path, encoding="utf-8-sig", newline=None)  # noqa: SIM115 - closed by _csv_rows
    lines = _bounded_lines(stream)
    try:
        header_line = next(lines)
    except StopIteration:
        stream.close()
        raise FileRefused(_("The file is empty.")) from None
    except FileRefused:
        stream.close()
        raise
    delimiter = max(DELIMITERS, key=header_line.count)
    try:
        header = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as error:
        stream.close()
        raise FileRefused(
            _("Line %(line)s cannot be read as CSV: %(error)s") % {"line": 1, "error": error}
        ) from None
    if not any(cell.strip() for cell in header):
        stream.close()
        raise FileRefused(_("The first row is empty: it must name the columns."))
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    # Row 1 is the header, already read.
    return Table(
        header,
        enumerate(reader, start=2),
        "csv",
        close=stream.close,
        line_number=lambda: reader.line_num + 1,
    )


def _too_long(number):
    return FileRefused(
        _(
            "Line %(line)s is longer than %(max)s characters: this is not a table of customers "
            "or payments."
        )
        % {"line": number, "max": MAX_LINE}
    )


def _bounded_lines(stream):
    """Lines of the file, read in blocks; refuses overlong lines, NUL bytes and non-UTF-8.

    Reading line by line with a limit would cost a Python call per line; splitting blocks
    keeps the per-line work in C. A line never grows beyond MAX_LINE in memory.
    """
    number = 0  # lines yielded so far
    carry = ""
    try:
        while block := stream.read(READ_CHARS):
            if "\x00" in block:
                text = carry + block
                line = number + text.count("\n", 0, text.index("\x00")) + 1
                raise FileRefused(
                    _("This is not a CSV or XLSX file: line %s contains binary data.") % line
                )
            parts = (carry + block).split("\n")
            carry = parts.pop()
            if len(carry) > MAX_LINE:
                raise _too_long(number + len(parts) + 1)
            if parts and max(map(len, parts)) >= MAX_LINE:
                index = next(i for i, part in enumerate(parts) if len(part) >= MAX_LINE)
                raise _too_long(number + index + 1)
            number += len(parts)
            yield from [part + "\n" for part in parts]
        if carry:
            yield carry
    except UnicodeDecodeError:
        raise FileRefused(
            _(
                "The file is not UTF-8 text after line %s. In Excel, save it as “CSV UTF-8 "
                "(Comma delimited)”."
            )
            % number
        ) from None


def _too_big_xlsx():
    return FileRefused(
        _(
            "This XLSX file is too large to read safely (or it is built to exhaust memory). "
            "Save the sheet as “CSV UTF-8 (Comma delimited)” and import that file."
        )
    )


def _check_xlsx_parts(path):
    """Refuse, from the ZIP directory alone, a workbook that would not fit in memory."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        raise FileRefused(
            _("This is not a CSV or XLSX file (it is a ZIP archive that Excel did not write).")
        ) from None
    total = 0
    for part in parts:
        total += part.file_size
        name = part.filename.lower()
        if name.startswith("xl/worksheets/"):
            limit = MAX_UNCOMPRESSED
        elif name == "xl/sharedstrings.xml":
            limit = MAX_SHARED_STRINGS
        else:
            limit = MAX_OTHER_PART
        bomb = part.file_size > RATIO_FROM and part.file_size > MAX_RATIO * part.compress_size
        if part.file_size > limit or bomb or total > MAX_UNCOMPRESSED:
            raise _too_big_xlsx()


def _open_xlsx(path):
    from openpyxl import load_workbook

    _check_xlsx_parts(path)

    # A file object, not a path: openpyxl judges a path by its extension, and uploads have none.
    file = open(path, "rb")  # noqa: SIM115 - closed with the table
    try:
        workbook = load_workbook(file, read_only=True, data_only=True)
    except Exception:
        # openpyxl raises anything from BadZipFile to KeyError for a ZIP that is not a workbook.
        file.close()
        raise FileRefused(
            _("This is not a CSV or XLSX file (it is a ZIP archive that Excel did not write).")
        ) from None

    def close():
        workbook.close()
        file.close()

    rows = enumerate(workbook.worksheets[0].iter_rows(values_only=True), start=1)
    try:
        header = ["" if cell is None else str(cell) for cell in next(rows)[1]]
    except (StopIteration, *XLSX_ERRORS):
        header = []
    if not any(cell.strip() for cell in header):
        close()
        raise FileRefused(
            _("The first sheet is empty or its first row is empty: it must name the columns.")
        )
    return Table(header, rows, "xlsx", close=close, errors=XLSX_ERRORS)
