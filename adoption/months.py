"""Calendar months as the first day of the month: arithmetic, ranges, parsing and labels.

The one home of month arithmetic (the rollup fill, deltas, imports, commands, forms, outreach,
the dashboard, reports); adoption.month_forms.MonthField is the one form field that reads a month.
"""

import re
from datetime import date, datetime, timedelta

from django.utils import timezone

MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{1,2})$")
# A whole date where a month is asked for: read only to say why it is not one.
DAY_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")


def this_month():
    """The current month in Asia/Ho_Chi_Minh."""
    return month_start(timezone.localdate())


def month_start(day):
    """The month a day falls in (its first day)."""
    return day.replace(day=1)


def add_months(month, n):
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def month_end(month):
    """The last day of the month."""
    return add_months(month, 1) - timedelta(days=1)


def month_count(start, end):
    """How many months start..end holds, both included."""
    return (end.year - start.year) * 12 + end.month - start.month + 1


def month_range(start, end):
    """Every month from start's to end's, both included (days within the month are ignored)."""
    return [add_months(start, i) for i in range(max(month_count(start, end), 0))]


def parse_month(text, *, padded=False):
    """'2025-06' (or '2025-6' unless padded) -> date(2025, 6, 1); None for anything else."""
    match = MONTH_PATTERN.match(text.strip())
    if not match or (padded and len(match[2]) != 2):
        return None
    year, month = int(match[1]), int(match[2])
    if not (1900 <= year <= 2999 and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def parse_day(text):
    """'2025-06-15' or '15/06/2025' -> date(2025, 6, 15); None for anything else."""
    for fmt in DAY_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).date()
        except ValueError:
            continue
    return None


def month_label(month):
    """The month as Vietnamese documents write it: 06/2025."""
    return f"{month:%m/%Y}"
