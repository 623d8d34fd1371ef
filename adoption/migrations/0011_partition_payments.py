"""Payments partitioned by month on PostgreSQL; global (channel, reference) uniqueness moves
to the narrow adoption_paymentreference table (adoption.partitions, models.payments).

PostgreSQL: the populated table is renamed, a partitioned table is made from it with
`LIKE … INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY` (so columns and checks
other migrations added come along), one partition per month that has rows plus a year ahead
and a DEFAULT one, the rows are copied, counted against the original, and only then the old
table is dropped; the primary key becomes (id, period), the indexes and foreign keys of the old
table are made again on the new one (built once per partition, checked in one pass).
SQLite keeps one table: only the reference table and the dropped constraint apply there.
"""

from datetime import date

import django.db.models.deletion
from django.db import migrations, models

OLD = "adoption_payment_unpartitioned"
AHEAD = 12  # months of partitions made beyond the current one


def fill_references(apps, schema_editor):
    schema_editor.execute(
        "INSERT INTO adoption_paymentreference (channel_id, reference, period) "
        "SELECT channel_id, reference, period FROM adoption_payment"
    )


def _definitions(cursor):
    cursor.execute(
        "SELECT indexdef FROM pg_indexes WHERE tablename = 'adoption_payment' AND indexname "
        "NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'adoption_payment'::regclass)"
    )
    indexes = [row[0] for row in cursor.fetchall()]
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = 'adoption_payment'::regclass AND contype = 'f'"
    )
    return indexes, cursor.fetchall()


def _rebuild(cursor, partitioned):
    """Copy adoption_payment into a new table of the same columns, partitioned or not, and
    give it the old one's indexes and foreign keys; stops if a row is missing."""
    from adoption import partitions

    indexes, foreign_keys = _definitions(cursor)
    cursor.execute("SELECT count(*), min(period), max(period) FROM adoption_payment")
    count, first, last = cursor.fetchone()
    cursor.execute(f"ALTER TABLE adoption_payment RENAME TO {OLD}")
    cursor.execute(
        f"CREATE TABLE adoption_payment (LIKE {OLD} INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        f"INCLUDING IDENTITY){' PARTITION BY RANGE (period)' if partitioned else ''}"
    )
    if partitioned:
        cursor.execute(
            f"CREATE TABLE {partitions.DEFAULT_PARTITION} PARTITION OF adoption_payment DEFAULT"
        )
        if first is not None:
            months = (last.year - first.year) * 12 + last.month - first.month + 1
            partitions.create_ahead(cursor, first, months)
        today = date.today()
        partitions.create_ahead(cursor, date(today.year, today.month, 1), AHEAD + 1)
    cursor.execute(f"INSERT INTO adoption_payment SELECT * FROM {OLD}")
    cursor.execute("SELECT count(*) FROM adoption_payment")
    copied = cursor.fetchone()[0]
    if copied != count:
        raise RuntimeError(f"{copied} payments copied of {count}: nothing changed")
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence('adoption_payment', 'id'), "
        f"coalesce((SELECT max(id) FROM {OLD}), 0) + 1, false)"
    )
    cursor.execute(f"DROP TABLE {OLD} CASCADE")
    cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
    key = "id, period" if partitioned else "id"
    cursor.execute(f"ALTER TABLE adoption_payment ADD PRIMARY KEY ({key})")
    for definition in indexes:
        cursor.execute(definition)
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE adoption_payment ADD CONSTRAINT "{name}" {definition}')
    cursor.execute("ANALYZE adoption_payment")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _rebuild(cursor, partitioned=False)


class Migration(migrations.Migration):
    # After the reversals' column (0011_closing): on SQLite the constraint change below rebuilds
    # the payment table from the migration state, which must already hold that column.
    dependencies = [
        ("adoption", "0010_merge"),
        ("adoption", "0011_name_search"),
        ("adoption", "0011_closing"),
    ]

    operations = [
        migrations.CreateModel(
            name="PaymentReference",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "channel",
                        "reference",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                (
                    "channel",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="adoption.paymentchannel",
                    ),
                ),
                ("reference", models.CharField(max_length=64)),
                ("period", models.DateField()),
            ],
            options={
                "verbose_name": "payment reference",
                "verbose_name_plural": "payment references",
            },
        ),
        migrations.RunPython(fill_references, migrations.RunPython.noop, elidable=False),
        migrations.RemoveConstraint(
            model_name="payment", name="payment_reference_unique_per_channel"
        ),
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
