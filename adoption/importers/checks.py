"""Checks of single cells that several importers share, each returning (value, problem):
the value when the cell is good, else None and the message for the user."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .values import BadValue, text


def required():
    return _("This value is required.")


def unknown(message, value, **named):
    """`message` about an unknown `value` ("Unknown channel “%s”."), or, for an empty cell,
    that the value is required. With `named`, the message is formatted with them instead."""
    if not value:
        return required()
    return message % (named or value)


UNKNOWN_CHANNEL = gettext_lazy("Unknown channel “%s”.")


def unknown_channel(code):
    return UNKNOWN_CHANNEL % code


def known(found, cell, unknown_message):
    """What the cell's code (in capitals) stands for in `found` (code -> value)."""
    code = text(cell).upper()
    value = found.get(code)
    if value is None:
        return None, unknown(unknown_message, code)
    return value, None


def channel(channels, cell, *, active=False):
    """The channel of the cell's code (channels: code -> PaymentChannel); with active, an
    inactive one is refused too."""
    found, problem = known(channels, cell, UNKNOWN_CHANNEL)
    if found is not None and active and not found.active:
        return None, _("The channel “%s” is inactive.") % text(cell).upper()
    return found, problem


def parsed(parse, cell):
    """(parse(cell), None), or (None, why not) when the parser raises BadValue."""
    try:
        return parse(cell), None
    except BadValue as error:
        return None, str(error)


def limited(cell, limit, too_long):
    """The cell's text, required and at most `limit` characters long (too_long % limit
    says so otherwise)."""
    value = text(cell)
    if not value:
        return None, required()
    if len(value) > limit:
        return None, too_long % limit
    return value, None
