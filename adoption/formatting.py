"""Numbers as the dashboard writes them: 44,1 % and 1.234.567 in Vietnamese, 44.1 % in English."""

from django.utils.formats import number_format

EMPTY = "–"


def _number(value, digits):
    return number_format(value, digits, use_l10n=True, force_grouping=True)


def percent(value):
    return EMPTY if value is None else f"{_number(value, 1)}\u00a0%"


def points(value):
    """A change in percentage points, always signed."""
    if value is None:
        return EMPTY
    sign = "+" if value > 0 else ""
    return f"{sign}{_number(value, 1)}"


def count(value):
    return EMPTY if value is None else _number(int(value), 0)


def vnd(value):
    return EMPTY if value is None else _number(int(value), 0)


FORMATS = {"percent": percent, "points": points, "count": count, "vnd": vnd}
