"""Numbers as the dashboard writes them: 44,1 % and 1.234.567 in Vietnamese, 44.1 % and
1,234,567 in English.

Django's number_format groups thousands only where the locale sets NUMBER_GROUPING, which the
Vietnamese locale does not; so the separators are read from the locale and applied here.
"""

from django.utils.formats import get_format
from django.utils.translation import get_language

EMPTY = "–"
_separators = {}


def separators():
    """(thousands, decimal) of the active language, looked up once per language."""
    language = get_language()
    if language not in _separators:
        _separators[language] = (
            get_format("THOUSAND_SEPARATOR"),
            get_format("DECIMAL_SEPARATOR"),
        )
    return _separators[language]


def _number(value, digits):
    text = f"{value:,.{digits}f}"
    if float(text.replace(",", "")) == 0:
        text = text.lstrip("-")  # no "-0,0"
    thousands, decimal = separators()
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def percent(value):
    return EMPTY if value is None else f"{_number(value, 1)}\u00a0%"


def points(value):
    """A change in percentage points, always signed."""
    if value is None:
        return EMPTY
    text = _number(value, 1)
    return f"+{text}" if value > 0 and text.strip("0,.") else text


def decimal(value):
    return EMPTY if value is None else _number(value, 1)


def count(value):
    return EMPTY if value is None else _number(int(value), 0)


def vnd(value):
    return EMPTY if value is None else _number(int(value), 0)
