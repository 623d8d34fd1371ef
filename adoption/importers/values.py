"""Parsers for the values of import files, each raising BadValue with a message for the user.

Cells come from CSV as strings, or from XLSX as str, int, float or datetime. Parsers accept
every form a billing system or Excel writes and nothing else.
"""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from ..models.payments import EARLIEST_PAID_AT, MAX_AMOUNT

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# A payment may be dated up to a day ahead of the import's clock (a partner's clock may run
# ahead); the fixed bounds, MAX_AMOUNT and EARLIEST_PAID_AT, are the database's own checks.
PAID_AT_AHEAD = timedelta(days=1)

DAY_FIRST = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:([.,])\d{3})(?:\1\d{3})*")
PERIOD_ISO = re.compile(r"(\d{4})-(\d{1,2})")
PERIOD_MONTH_FIRST = re.compile(r"(\d{1,2})/(\d{4})")


class BadValue(ValueError):
    """A cell that cannot be used; the message says why, in words for the user."""


def text(value):
    """A cell as stripped text, the way it is written to a rejects file."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def month_start(value):
    return date(value.year, value.month, 1)


def parse_period(value):
    """A bill month written YYYY-MM or MM/YYYY (or a spreadsheet date on the 1st)."""
    if isinstance(value, datetime):
        if value.day == 1 and value.time() == datetime.min.time():
            return value.date()
        raise BadValue(_("“%s” is not a month; write YYYY-MM or MM/YYYY.") % text(value))
    raw = text(value)
    match = PERIOD_ISO.fullmatch(raw)
    if match:
        year, month = match.groups()
    else:
        match = PERIOD_MONTH_FIRST.fullmatch(raw)
        if not match:
            if not raw:
                raise BadValue(_("This value is required."))
            raise BadValue(_("“%s” is not a month; write YYYY-MM or MM/YYYY.") % raw)
        month, year = match.groups()
    if not 1 <= int(month) <= 12 or int(year) < 1900:
        raise BadValue(_("“%s” is not a month; write YYYY-MM or MM/YYYY.") % raw)
    return date(int(year), int(month), 1)


def parse_amount(value):
    """A positive whole number of VND: 1234567, 1.234.567 or 1,234,567."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value) if float(value).is_integer() else None
    else:
        raw = text(value)
        if raw.isdigit() and raw.isascii():
            number = int(raw)
        elif THOUSANDS.fullmatch(raw):
            number = int(raw.replace(".", "").replace(",", ""))
        elif not raw:
            raise BadValue(_("This value is required."))
        else:
            number = None
    if number is None or number <= 0:
        raise BadValue(
            _("“%s” is not a positive whole number of VND (e.g. 1234567 or 1.234.567).")
            % text(value)
        )
    if number > MAX_AMOUNT:
        raise BadValue(
            _("%(amount)s VND is more than the largest payment accepted (%(max)s VND).")
            % {"amount": text(value), "max": f"{MAX_AMOUNT:,}".replace(",", ".")}
        )
    return number


def _day_first(raw):
    match = DAY_FIRST.fullmatch(raw)
    if not match:
        return None
    day, month, year, hour, minute, second = (int(g) if g else 0 for g in match.groups())
    try:
        return datetime(year, month, day, hour, minute, second)
    except ValueError:
        return None


def parse_date(value, *, required=True):
    """A calendar date, ISO (2025-01-31) or dd/mm/yyyy; None for an empty optional cell."""
    if isinstance(value, datetime):
        return value.date()
    raw = text(value)
    if not raw:
        if required:
            raise BadValue(_("This value is required."))
        return None
    if "/" in raw:
        parsed = _day_first(raw)
        if parsed and parsed.time() == datetime.min.time():
            return parsed.date()
    else:
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise BadValue(_("“%s” is not a date; write dd/mm/yyyy or YYYY-MM-DD.") % raw)


def parse_datetime(value, *, now=None):
    """A moment, ISO 8601 or dd/mm/yyyy [hh:mm[:ss]]; without a zone it is Vietnam time.

    It must lie between EARLIEST_PAID_AT and a day after `now` (default: the clock).
    """
    if isinstance(value, datetime):
        moment = value
    else:
        raw = text(value)
        if not raw:
            raise BadValue(_("This value is required."))
        moment = _day_first(raw) if "/" in raw else None
        if moment is None:
            try:
                moment = datetime.fromisoformat(raw)
            except ValueError:
                raise BadValue(
                    _("“%s” is not a date and time; write dd/mm/yyyy hh:mm or YYYY-MM-DD hh:mm:ss.")
                    % raw
                ) from None
    try:
        moment = as_vietnam(moment)
        # Converting at the edges of the calendar (0001-01-01 with a negative offset) overflows.
        moment.astimezone(VIETNAM)
    except (OverflowError, ValueError):
        moment = None
    latest = (now or datetime.now(VIETNAM)) + PAID_AT_AHEAD
    if moment is None or not EARLIEST_PAID_AT <= moment <= latest:
        raise BadValue(
            _("“%(value)s” is outside the accepted dates (%(earliest)s to %(latest)s).")
            % {
                "value": text(value),
                "earliest": f"{EARLIEST_PAID_AT:%d/%m/%Y}",
                "latest": f"{latest.astimezone(VIETNAM):%d/%m/%Y}",
            }
        )
    return moment


def as_vietnam(moment):
    """An aware datetime: one without a zone is Vietnam time."""
    return moment.replace(tzinfo=VIETNAM) if moment.tzinfo is None else moment
