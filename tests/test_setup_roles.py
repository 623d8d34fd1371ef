"""setup_roles puts each role group's permissions back to what adoption.roles says."""

from io import StringIO

from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from adoption.choices import Role
from adoption.roles import ROLE_PERMISSIONS


def codenames(role):
    return set(Group.objects.get(name=role.value).permissions.values_list("codename", flat=True))


def test_it_restores_permissions_removed_or_added_by_hand(db):
    managers = Group.objects.get(name=Role.MANAGERS.value)
    managers.permissions.remove(Permission.objects.get(codename="change_target"))
    managers.permissions.add(Permission.objects.get(codename="delete_payment"))
    Group.objects.get(name=Role.CHANNEL_ADMINS.value).delete()

    call_command("setup_roles", stdout=StringIO())

    for role, expected in ROLE_PERMISSIONS.items():
        assert codenames(role) == set(expected)


def test_running_it_twice_changes_nothing(db):
    call_command("setup_roles", stdout=StringIO())
    first = {role: codenames(role) for role in ROLE_PERMISSIONS}
    groups = Group.objects.count()
    call_command("setup_roles", stdout=StringIO())
    assert {role: codenames(role) for role in ROLE_PERMISSIONS} == first
    assert Group.objects.count() == groups
