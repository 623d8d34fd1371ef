"""Joins the migrations that were written side by side after 0010_merge."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("adoption", "0011_manager_views"),
        ("adoption", "0011_reports"),
        ("adoption", "0011_payment_indexes"),
        ("adoption", "0011_import_preview"),
        ("adoption", "0011_closing"),
    ]
    operations = []
