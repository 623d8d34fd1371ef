"""Carry an installation over to dated organisation and territory facts.

Each branch gets one version (its current company and name, since always), one territory
row per commune of its district (with the commune's own validity), and each customer one
placement (their current commune and village, since always: see models.validity.BEGINNING).
On PostgreSQL, exclusion constraints refuse two facts at once for one subject; SQLite
relies on the same check in Python (DatedFact.clean and adoption.territory).
"""

from datetime import date

from django.db import migrations

BEGINNING = date(1900, 1, 1)

# (table, constraint, the column that may not have two facts at once)
EXCLUSIONS = [
    ("adoption_branchversion", "branch_version_no_overlap", "branch_id"),
    ("adoption_branchterritory", "branch_territory_no_overlap", "commune_id"),
    ("adoption_customerplacement", "customer_placement_no_overlap", "customer_id"),
]


def add_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    # btree_gist lets a GiST index compare the integer column with "=" next to the range.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for table, name, column in EXCLUSIONS:
        schema_editor.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT {name} EXCLUDE USING gist "
            f"({column} WITH =, daterange(valid_from, valid_to, '[]') WITH &&)"
        )


def drop_exclusions(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, name, _column in EXCLUSIONS:
        schema_editor.execute(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")


def carry_over(apps, schema_editor):
    Branch = apps.get_model("adoption", "Branch")
    BranchVersion = apps.get_model("adoption", "BranchVersion")
    BranchTerritory = apps.get_model("adoption", "BranchTerritory")
    AdminArea = apps.get_model("adoption", "AdminArea")
    Customer = apps.get_model("adoption", "Customer")
    CustomerPlacement = apps.get_model("adoption", "CustomerPlacement")
    db = schema_editor.connection.alias

    branches = list(Branch.objects.using(db).order_by("pk"))
    BranchVersion.objects.using(db).bulk_create(
        BranchVersion(branch=b, company_id=b.company_id, name=b.name, valid_from=BEGINNING)
        for b in branches
    )
    served = set()
    territory = []
    for branch in branches:
        if branch.district_id is None:
            continue
        communes = AdminArea.objects.using(db).filter(parent_id=branch.district_id, level="commune")
        # Two branches on one district: the first keeps its communes (one branch at a time).
        for commune in communes.order_by("pk"):
            if commune.pk in served:
                continue
            served.add(commune.pk)
            start = (commune.valid_from or BEGINNING).replace(day=1)
            territory.append(
                BranchTerritory(
                    branch=branch, commune=commune, valid_from=start, valid_to=commune.valid_to
                )
            )
    BranchTerritory.objects.using(db).bulk_create(territory, batch_size=1000)
    # Set-based: installations hold hundreds of thousands of customers.
    with schema_editor.connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {CustomerPlacement._meta.db_table} "
            "(customer_id, commune_id, village_id, valid_from) "
            f"SELECT id, commune_id, village_id, %s FROM {Customer._meta.db_table}",
            [BEGINNING],
        )


class Migration(migrations.Migration):
    dependencies = [("adoption", "0007_organisation_territory_over_time")]

    operations = [
        # The constraints first: ALTER TABLE is refused while the inserts' deferred foreign
        # key checks are pending.
        migrations.RunPython(add_exclusions, drop_exclusions),
        migrations.RunPython(carry_over, migrations.RunPython.noop),
    ]
