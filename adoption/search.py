"""Accent-insensitive search: "Bac Quang" finds "Bắc Quang", "Dien" finds "Điện".

Admin search fields use the `__unaccent` transform of django.contrib.postgres. PostgreSQL
runs it with its `unaccent` extension (enabled by migration 0003); SQLite gets a Python
function of the same name, registered on every new connection, so one lookup works on both.
"""

import unicodedata

from django.db import connections
from django.db.backends.signals import connection_created

# Đ/đ are letters of their own, not D/d with a mark: NFD leaves them whole.
_LETTERS = str.maketrans({"Đ": "D", "đ": "d"})


def fold(text):
    """`text` without diacritics, as PostgreSQL's unaccent does it."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", str(text).translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _register_on_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("UNACCENT", 1, fold, deterministic=True)


def install():
    connection_created.connect(_register_on_sqlite)
    # Connections opened before the app was ready miss the signal.
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _register_on_sqlite(None, connection)
