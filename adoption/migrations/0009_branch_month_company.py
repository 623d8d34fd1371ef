"""BranchMonth gains the company of the branch that month; existing rows get the branch's
current company (the only company they could have had before versions existed)."""

import django.db.models.deletion
from django.db import migrations, models


def fill_company(apps, schema_editor):
    BranchMonth = apps.get_model("adoption", "BranchMonth")
    Branch = apps.get_model("adoption", "Branch")
    for branch_id, company_id in Branch.objects.values_list("pk", "company_id"):
        BranchMonth.objects.filter(branch_id=branch_id).update(company_id=company_id)
    if schema_editor.connection.vendor == "postgresql":
        # Check the new foreign keys now: ALTER TABLE is refused while checks are pending.
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("adoption", "0008_carry_over_organisation_and_territory")]

    operations = [
        migrations.AddField(
            model_name="branchmonth",
            name="company",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="adoption.company",
            ),
        ),
        migrations.RunPython(fill_company, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="branchmonth",
            name="company",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="adoption.company",
            ),
        ),
        migrations.AddIndex(
            model_name="branchmonth",
            index=models.Index(fields=["company", "period"], name="branch_month_company"),
        ),
    ]
