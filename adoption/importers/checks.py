"""Checks of single cells that several importers share, each returning (value, problem):
the value when the cell is good, else None and the message for the user."""

from django.utils.translation import gettext as _

from .values import BadValue


def required():
    return _("This value is required.")


def unknown(message, value, **named):
    """`message` about an unknown `value` ("Unknown channel “%s”."), or, for an empty cell,
    that the value is required. With `named`, the message is formatted with them instead."""
    if not value:
        return required()
    return message % (named or value)


def unknown_channel(code):
    return _("Unknown channel “%s”.") % code


def channel(channels, code, *, active=False):
    """The channel of this (upper-case) code in `channels` (code -> PaymentChannel); with
    active, an inactive one is refused too."""
    found = channels.get(code)
    if found is None:
        return None, required() if not code else unknown_channel(code)
    if active and not found.active:
        return None, _("The channel “%s” is inactive.") % code
    return found, None


def parsed(parse, cell):
    """(parse(cell), None), or (None, why not) when the parser raises BadValue."""
    try:
        return parse(cell), None
    except BadValue as error:
        return None, str(error)
