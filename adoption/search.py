"""Accent-insensitive search: "Bac Quang" finds "Bắc Quang", "Dien" finds "Điện".

Admin search fields use the `__unaccent` transform of django.contrib.postgres. PostgreSQL
runs it with its `unaccent` extension (enabled by migration 0003); SQLite gets a Python
function of the same name, registered on every new connection, so one lookup works on both.

Large tables (customers) search with the `unaccent_contains` lookup instead: on PostgreSQL it
compares `adoption_unaccent(column)` — an IMMUTABLE wrapper of `unaccent`, which PostgreSQL
marks only STABLE and so refuses in an index — with ILIKE, which the trigram index of
migration 0011 answers without reading every row. SQLite folds both sides in Python.
"""

import unicodedata

from django.db import connections, models
from django.db.backends.signals import connection_created
from django.db.models import Lookup

# Đ/đ are letters of their own, not D/d with a mark: NFD leaves them whole.
_LETTERS = str.maketrans({"Đ": "D", "đ": "d"})


def fold(text):
    """`text` without diacritics, as PostgreSQL's unaccent does it."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFD", str(text).translate(_LETTERS))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@models.CharField.register_lookup
class UnaccentContains(Lookup):
    """`name__unaccent_contains="bac quang"`: the text appears in the column, ignoring accents
    and case."""

    lookup_name = "unaccent_contains"
    prepare_rhs = False

    def get_db_prep_lookup(self, value, connection):
        pattern = f"%{connection.ops.prep_for_like_query(str(value))}%"
        return "%s", [pattern]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # The pattern is a literal once interpolated: the planner folds adoption_unaccent() of
        # it to a constant, so the trigram index on adoption_unaccent(name) applies.
        sql = f"adoption_unaccent({lhs}) ILIKE adoption_unaccent({rhs})"
        return sql, (*lhs_params, *rhs_params)

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        # Folded text is ASCII, where SQLite's LIKE ignores case.
        return f"UNACCENT({lhs}) LIKE UNACCENT({rhs}) ESCAPE '\\'", (*lhs_params, *rhs_params)


def _register_on_sqlite(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("UNACCENT", 1, fold, deterministic=True)


def install():
    connection_created.connect(_register_on_sqlite)
    # Connections opened before the app was ready miss the signal.
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None:
            _register_on_sqlite(None, connection)
