"""Re-apply the role groups' permissions from adoption.roles (safe to run any number of times)."""

from django.apps import apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

from adoption.roles import ROLE_PERMISSIONS, apply_role_permissions


class Command(BaseCommand):
    help = "Create the role groups and set their permissions to those in adoption.roles."

    def handle(self, *args, **options):
        # Permissions of a model added since the last migrate may not exist yet.
        for app_config in apps.get_app_configs():
            create_permissions(app_config, verbosity=0)
        apply_role_permissions(Group, Permission)
        for role, codenames in ROLE_PERMISSIONS.items():
            self.stdout.write(f"{role.value}: {len(codenames)} permissions")
