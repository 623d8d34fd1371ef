"""Accent-insensitive customer name search served by a trigram index (adoption.search).

`unaccent()` is only STABLE (its dictionary could change), so it cannot appear in an index;
`adoption_unaccent` pins the dictionary and is declared IMMUTABLE. Nothing on SQLite, where
the search folds names in Python.
"""

from django.db import migrations

FUNCTION = """
CREATE OR REPLACE FUNCTION adoption_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$
"""
INDEX = (
    "CREATE INDEX IF NOT EXISTS customer_name_unaccent_trgm ON adoption_customer "
    "USING gin (adoption_unaccent(name) gin_trgm_ops)"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        schema_editor.execute(FUNCTION)
        schema_editor.execute(INDEX)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_name_unaccent_trgm")
        schema_editor.execute("DROP FUNCTION IF EXISTS adoption_unaccent(text)")
        # pg_trgm stays: other databases' objects may use it, and it costs nothing.


class Migration(migrations.Migration):
    dependencies = [("adoption", "0010_merge")]

    operations = [
        migrations.RunPython(forwards, backwards, elidable=False),
    ]
