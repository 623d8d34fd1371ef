"""Table exports (CSV, XLSX) that open correctly in a Vietnamese Excel.

- Formulas: names come from imported files and partner data; a cell starting with =, +, - or @
  would run as a formula in Excel or LibreOffice (CSV injection). Text cells like that get a
  leading apostrophe here, the one place every export passes through. Numbers stay numbers.
- XLSX is the recommended download: numbers are numbers and dates are dates whatever the
  locale, and the sheet is named in the user's language.
- CSV: UTF-8 with a byte order mark (without it Excel reads the file as Windows-1258 and garbles
  every diacritic). Excel in a Vietnamese locale reads "1.234" as one thousand two hundred and
  thirty-four, so counts and VND are written without separators, and a rate keeps its decimal
  point and is stated so in the header row; dates are ISO (2025-06-01), which Excel reads as a
  date in every locale.
- The period, the view and the filters are in the file name and in a first header row.
"""

import csv
import io
import re
from datetime import date, datetime

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig
from django_tables2.export import TableExport
from openpyxl import Workbook
from openpyxl.styles import Font
from tablib import Dataset

from .choices import ChannelKind, CustomerType

EXPORT_FORMATS = ("csv", "xlsx")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Characters a sheet name may not hold (Excel), and its length limit.
SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


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


def scope_suffix(scope):
    """-2024-01_2025-01[-now][-household][-bank+ewallet]: what the file holds, in its name."""
    parts = [f"{scope.start:%Y-%m}_{scope.end:%Y-%m}"]
    if scope.view == "now":
        parts.append("now")
    parts.extend(
        "+".join(chosen) for chosen in (scope.customer_types, scope.channel_kinds) if chosen
    )
    return "-" + "-".join(parts)


def scope_description(scope):
    """The header row: period, view and filters, in the user's language."""
    view = _("as it is now") if scope.view == "now" else _("as it was")
    types = ", ".join(str(CustomerType(t).label) for t in scope.customer_types) or _("all")
    kinds = ", ".join(str(ChannelKind(k).label) for k in scope.channel_kinds) or _("all")
    return _(
        "Months %(start)s–%(end)s; history %(view)s; customer types: %(types)s; "
        "channel kinds: %(kinds)s"
    ) % {
        "start": f"{scope.start:%m/%Y}",
        "end": f"{scope.end:%m/%Y}",
        "view": view,
        "types": types,
        "kinds": kinds,
    }


def _csv_value(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return "" if value is None else value


def _csv(dataset, description):
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    if description:
        writer.writerow([description + "; " + _("decimal point: . (XLSX recommended in Excel)")])
    writer.writerow(dataset.headers)
    for row in dataset:
        writer.writerow([_csv_value(value) for value in row])
    return out.getvalue().encode("utf-8")


def sheet_name(title):
    return SHEET_FORBIDDEN.sub(" ", str(title)).strip()[:31] or "Sheet"


def _xlsx(dataset, description, title):
    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(title)
    if description:
        sheet.append([description])
    sheet.append(list(dataset.headers))
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for row in dataset:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, datetime | date):
                cell.number_format = "dd/mm/yyyy"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_response(request, table, name, *, scope=None, sheet=None, note=None):
    """The table as a file download when the query string asks for one (?_export=csv|xlsx).

    scope: the dashboard Scope the table shows, named in the file name and its header row;
    sheet: the XLSX sheet's name (translated), by default the file name;
    note: a callable saying what the figures are (adoption.reported_figures.export_label: "as
    approved on dd/mm/yyyy", "restated since…", provisional; empty: nothing to say), in a last
    column of every row, read on export only.
    """
    export_format = request.GET.get("_export")
    if export_format not in EXPORT_FORMATS:
        return None
    dataset = SafeTableExport(export_format, table).dataset
    said = note() if note else ""
    if said:
        dataset.append_col([str(said)] * dataset.height, header=str(_("Figures")))
    description = scope_description(scope) if scope else ""
    filename = f"{name}{scope_suffix(scope) if scope else ''}.{export_format}"
    if export_format == "csv":
        content, content_type = _csv(dataset, description), "text/csv; charset=utf-8"
    else:
        content, content_type = _xlsx(dataset, description, sheet or name), XLSX_TYPE
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def tables_response(request, name, tables, template, context, *, paginate=False, view=None):
    """A page of django-tables2 tables, or one of them as a file.

    Sorts (and pages) each table; answers ?_export=csv|xlsx&table=<prefix> with a file of every
    row of that table (the first one by default), named `name`, the table's prefix and, for the
    view as it is now, "-now" (as the dashboard's files are); otherwise renders `template` with
    the tables and the export formats.
    """
    for table in tables:
        RequestConfig(request, paginate=paginate).configure(table)
    wanted = request.GET.get("table", "")
    table = next((t for t in tables if t.prefix == wanted), tables[0])
    suffix = f"-{table.prefix.strip('-')}" if table.prefix else ""
    if view == "now":
        suffix += "-now"
    export = export_response(request, table, f"{name}{suffix}")
    if export:
        return export
    return render(request, template, {**context, "tables": tables, "formats": EXPORT_FORMATS})
