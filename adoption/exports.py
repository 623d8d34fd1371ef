"""Table exports (CSV, XLSX) through django-tables2's TableExport, safe to open in a spreadsheet.

Names come from imported files and partner data; a cell starting with =, +, - or @ would run as
a formula in Excel or LibreOffice (CSV injection). Text cells like that get a leading
apostrophe here, the one place every export passes through. Numbers stay numbers.
"""

from django.utils.translation import gettext as _
from django_tables2.export import TableExport
from tablib import Dataset

EXPORT_FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeTableExport(TableExport):
    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        safe = Dataset(title=dataset.title, headers=[neutralise(h) for h in dataset.headers])
        for row in dataset:
            safe.append([neutralise(value) for value in row])
        return safe


class NotedTableExport(SafeTableExport):
    """An export whose every row says what its figures are (adoption.closing.export_label:
    "as approved on dd/mm/yyyy", "restated since…", provisional), in a last column."""

    def __init__(self, *args, note, **kwargs):
        self.note = note
        super().__init__(*args, **kwargs)

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        dataset = super().table_to_dataset(table, exclude_columns, dataset_kwargs)
        dataset.append_col([self.note] * dataset.height, header=str(_("Figures")))
        return dataset


def export_response(request, table, name, note=None):
    """The table as a file download when the query string asks for one (?_export=csv|xlsx).

    note: a callable giving what the figures are (empty: nothing to say), read on export only."""
    export_format = request.GET.get("_export")
    if export_format not in EXPORT_FORMATS:
        return None
    # A spreadsheet sheet name holds at most 31 characters.
    kwargs = {"dataset_kwargs": {"title": name[:31]}}
    said = note() if note else ""
    if said:
        exporter = NotedTableExport(export_format, table, note=said, **kwargs)
    else:
        exporter = SafeTableExport(export_format, table, **kwargs)
    return exporter.response(filename=f"{name}.{export_format}")
