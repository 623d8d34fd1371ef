"""The report's table as an XLSX workbook (the email's attachment): numbers as numbers, the
month as a real date, headers and sheet names in the active language."""

from io import BytesIO

from django.utils.translation import gettext as _
from openpyxl import Workbook

from ..exports import neutralise
from . import text
from .figures import BASES


def render(report):
    book = Workbook()
    sheet = book.active
    sheet.title = _("Headline")[:31]
    sheet.append([text.title(report)])
    sheet.append([text.view_text(report.scope)])
    sheet.append([text.filters_text(report.scope)])
    sheet.append([_("Month"), report.month])
    sheet.cell(row=4, column=2).number_format = "mm/yyyy"
    sheet.append([])
    sheet.append(text.base_headers()[:4])
    for key, _field, label in BASES:
        figures = report.headline["bases"][key]
        sheet.append([str(label), figures["rate"], figures["target"], figures["gap"]])
    if report.rows:
        title = _("Communes") if report.unit.level == "branch" else _("Districts")
        table = book.create_sheet(title[:31])
        headers = text.row_headers(report)
        table.append(headers[:7] + [headers[7]])
        for row in report.rows:
            table.append(
                [
                    neutralise(row["name"]),
                    row["customers"],
                    row["rate"],
                    row["bills"],
                    row["vnd"],
                    row["target"],
                    row["gap"],
                    text.status_text(row["status"]),
                ]
            )
    out = BytesIO()
    book.save(out)
    return out.getvalue()
