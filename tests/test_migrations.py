"""Migrations: the test database itself is built from zero by them; the models and the
migrations agree."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def test_models_and_migrations_agree(db):
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit:
        pytest.fail(f"Models have changes without a migration:\n{out.getvalue()}")


def test_every_migration_is_applied_to_the_test_database(db):
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


def test_the_roles_migration_made_the_groups(db):
    from django.contrib.auth.models import Group

    names = set(Group.objects.values_list("name", flat=True))
    assert {"Managers", "Branch staff", "Channel admins"} <= names
