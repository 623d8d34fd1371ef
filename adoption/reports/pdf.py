"""The monthly report as a PDF, drawn with fpdf2 (pure Python, no browser).

fpdf2 is a pure-Python wheel (its own dependencies too: fonttools, Pillow, defusedxml) that
embeds TrueType fonts, which Vietnamese needs: the PDF core fonts have no "ạ" or "ờ". The font
is DejaVu Sans (Debian's fonts-dejavu-core, which scripts/system-deps.sh and the Dockerfile
install; REPORT_FONT_DIR points elsewhere). The chart is drawn as vector lines, so the PDF
needs no image library at run time and stays small.
"""

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from fpdf import FPDF

from .. import formatting
from ..months import month_label
from . import text
from .figures import BASES

FONT = "DejaVu"
# (red, green, blue) per base, dark enough to print in black and white apart; target grey.
COLOURS = {"customers": (31, 83, 141), "bills": (196, 90, 17), "vnd": (46, 125, 50)}
TARGET_COLOUR = (110, 110, 110)
# Bars by status, with the status word beside each: colour is never the only sign.
STATUS_COLOURS = {"met": (46, 125, 50), "behind": (178, 106, 0), "miss": (179, 38, 30)}


def _fonts():
    folder = Path(settings.REPORT_FONT_DIR)
    regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
    if not regular.exists() or not bold.exists():
        raise ImproperlyConfigured(
            f"The report font is missing from {folder} (install fonts-dejavu-core, or set "
            "REPORT_FONT_DIR)."
        )
    return regular, bold


def _document():
    regular, bold = _fonts()
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font(FONT, "", str(regular))
    pdf.add_font(FONT, "B", str(bold))
    pdf.set_creator("powerco")
    pdf.add_page()
    return pdf


def _table(pdf, headers, rows, widths):
    pdf.set_font(FONT, "", 8)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
        head = table.row()
        for header in headers:
            head.cell(str(header))
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(str(cell))


def _chart(pdf, report, height=60):
    """Rates per month on the three bases, and the target dashed where one applies."""
    x0, y0 = pdf.l_margin + 10, pdf.get_y() + 4
    width = pdf.w - pdf.l_margin - pdf.r_margin - 12
    values = [v for s in report.series.values() for v in s if v is not None]
    values += [t for t in report.targets if t is not None]
    if not values:
        pdf.set_font(FONT, "", 9)
        pdf.cell(0, 8, _("No data for these months."), new_x="LMARGIN", new_y="NEXT")
        return
    top = min(100.0, (int(max(values)) // 10 + 1) * 10)
    count = len(report.months)
    step = width / max(count - 1, 1)

    def point(i, value):
        return x0 + i * step, y0 + height - height * value / top

    pdf.set_font(FONT, "", 7)
    pdf.set_draw_color(200, 200, 200)
    pdf.set_line_width(0.1)
    for tick in range(0, int(top) + 1, 10 if top > 30 else 5):
        _x, y = point(0, tick)
        pdf.line(x0, y, x0 + width, y)
        pdf.text(pdf.l_margin, y + 1, f"{tick}%")
    for i, month in enumerate(report.months):
        if count <= 12 or i % 3 == 0:
            pdf.text(point(i, 0)[0] - 4, y0 + height + 4, month_label(month))
    lines = [(COLOURS[key], report.series[key], False) for key, _f, _l in BASES]
    lines.append((TARGET_COLOUR, report.targets, True))
    for colour, series, dashed in lines:
        pdf.set_draw_color(*colour)
        pdf.set_line_width(0.6 if not dashed else 0.4)
        pdf.set_dash_pattern(dash=1.5, gap=1.0) if dashed else pdf.set_dash_pattern()
        run = []
        for i, value in enumerate(series + [None]):
            if value is not None:
                run.append(point(i, value))
            elif run:
                pdf.polyline(run) if len(run) > 1 else pdf.circle(run[0][0], run[0][1], 0.6)
                run = []
    pdf.set_dash_pattern()
    pdf.set_y(y0 + height + 7)
    legend = [(COLOURS[key], str(label)) for key, _f, label in BASES]
    legend.append((TARGET_COLOUR, _("Target")))
    for colour, label in legend:
        pdf.set_fill_color(*colour)
        pdf.rect(pdf.get_x(), pdf.get_y() + 1.2, 4, 2, style="F")
        pdf.set_x(pdf.get_x() + 5)
        pdf.cell(pdf.get_string_width(label) + 6, 5, label)
    pdf.ln(8)


def _bars(pdf, report, label_width=48, row=5):
    """One bar per district (or commune): its customer rate, its target as a black tick."""
    left = pdf.l_margin + label_width
    scale = (pdf.w - pdf.r_margin - left - 32) / 100
    pdf.set_font(FONT, "", 8)
    for item in report.rows:
        y = pdf.get_y()
        if y + row > pdf.h - pdf.b_margin:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_xy(pdf.l_margin, y)
        pdf.cell(label_width - 2, row, item["name"][:34], align="R")
        width = (item["rate"] or 0) * scale
        pdf.set_fill_color(*STATUS_COLOURS.get(item["status"], TARGET_COLOUR))
        if width:
            pdf.rect(left, y + 0.8, width, row - 1.6, style="F")
        if item["target"] is not None:
            pdf.set_draw_color(0, 0, 0)
            pdf.set_line_width(0.5)
            x = left + item["target"] * scale
            pdf.line(x, y + 0.2, x, y + row - 0.2)
        pdf.set_xy(left + width + 1, y)
        pdf.cell(30, row, f"{formatting.percent(item['rate'])} {text.status_text(item['status'])}")
        pdf.set_y(y + row)
    pdf.ln(2)


def render(report, data_as_of=None):
    """The report as PDF bytes, in the active language."""
    pdf = _document()
    pdf.set_title(text.title(report))
    pdf.set_font(FONT, "B", 14)
    pdf.multi_cell(0, 7, text.title(report), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    stated = [text.view_text(report.scope), text.filters_text(report.scope)]
    stated.append(text.deadline_text(report))
    if data_as_of:
        stated.append(_("Data as of %(when)s.") % {"when": data_as_of})
    for line in stated:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, _("Headline on the three bases"), new_x="LMARGIN", new_y="NEXT")
    _table(pdf, text.base_headers(), text.base_lines(report), (34, 20, 20, 24, 26, 28, 28))
    pdf.ln(3)
    pdf.set_font(FONT, "B", 11)
    pdf.cell(0, 7, _("Rate without cash by month"), new_x="LMARGIN", new_y="NEXT")
    _chart(pdf, report)
    if report.rows:
        pdf.set_font(FONT, "B", 11)
        if any(row["rate"] is not None for row in report.rows):
            heading = _("Customers paying without cash, by unit, against the target")
            pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
            _bars(pdf, report)
        pdf.set_font(FONT, "B", 11)
        heading = _("Communes") if report.unit.level == "branch" else _("Districts")
        pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        rows = [text.row_cells(row) for row in report.rows]
        _table(pdf, text.row_headers(report), rows, (46, 20, 22, 22, 22, 18, 18, 22))
    return bytes(pdf.output())
