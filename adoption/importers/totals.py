"""Partners' control totals: the rows and VND they count per channel and month, to reconcile
each import against (adoption.month_sources.reconciliation).

Three ways in, one table (ControlTotal), the latest word per channel and month winning:
- a separate totals file (`import_control_totals`): channel_code, period, rows, amount, and
  optionally explanation; all or nothing, every problem by row;
- a payments file's own footer: a row whose customer_code is #TOTAL, with the period, the
  channel_code, the VND total in amount and the row count in reference (PaymentImport reads
  it aside, never as a payment, and saves it with the payments);
- typed in, in the admin.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from ..choices import TotalsSource
from ..models import ControlTotal, PaymentChannel
from .files import open_table
from .reports import Problem
from .values import BadValue, parse_amount, parse_period, text

COLUMNS = ("channel_code", "period", "rows", "amount")
FOOTER_CODE = "#TOTAL"


def parse_rows(value):
    raw = text(value).replace(".", "").replace(",", "")
    if not raw.isdigit():
        raise BadValue(_("“%s” is not a number of rows.") % text(value))
    return int(raw)


def save(totals, source, user):
    """totals: {(channel id, period): (rows, amount, explanation)}."""
    for (channel_id, period), (rows, amount, explanation) in totals.items():
        ControlTotal.objects.update_or_create(
            channel_id=channel_id,
            period=period,
            defaults={
                "rows": rows,
                "amount": amount,
                "source": source,
                "entered_by": user,
                **({"explanation": explanation} if explanation else {}),
            },
        )


def import_file(path, user=None):
    """Read a totals file; return (saved, problems). One problem and nothing is saved."""
    channels = {c.code.upper(): c.pk for c in PaymentChannel.objects.all()}
    table = open_table(path)
    try:
        table.match_columns(COLUMNS, ("explanation",))
        at = table.columns
        totals, problems = {}, []
        for chunk in table.chunks(1000):
            for number, cells in chunk:
                row, found = _row(cells, at, channels)
                problems += [Problem(number, column, message) for column, message in found]
                if row:
                    totals[row[0]] = row[1]
    finally:
        table.close()
    if problems:
        return 0, problems
    with transaction.atomic():
        save(totals, TotalsSource.TOTALS_FILE, user)
    return len(totals), []


def _row(cells, at, channels):
    found = []
    code = text(cells[at["channel_code"]]).upper()
    if code not in channels:
        found.append(("channel_code", _("Unknown channel “%s”.") % code))
    values = {}
    for name, parse in (("period", parse_period), ("rows", parse_rows), ("amount", parse_amount)):
        try:
            values[name] = parse(cells[at[name]])
        except BadValue as error:
            found.append((name, str(error)))
    if found:
        return None, found
    explanation = text(cells[at["explanation"]]) if "explanation" in at else ""
    key = (channels[code], values["period"])
    return (key, (values["rows"], values["amount"], explanation)), []
