# Joins the migrations that were written side by side after 0006.
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0007_import_jobs"),
        ("adoption", "0007_payment_bounds"),
        ("adoption", "0007_outreach_plan"),
        ("adoption", "0009_channel_classification"),
        ("adoption", "0009_branch_month_company"),
    ]

    operations = []
