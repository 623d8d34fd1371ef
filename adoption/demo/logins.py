"""The demo's logins, one per role, with fixed passwords: created only by seed_demo."""

from django.contrib.auth.models import Group, User

from ..models import StaffProfile
from .scenario import DEMO_LOGINS


def create_logins(company, branches_by_code):
    """Create (or reset) the demo users; returns {username: user}."""
    users = {}
    for login in DEMO_LOGINS:
        user, _ = User.objects.get_or_create(username=login.username)
        user.first_name, user.last_name = login.first_name, login.last_name
        user.is_staff = True
        user.is_superuser = login.role is None
        user.set_password(login.password)
        user.save()
        user.groups.set([Group.objects.get(name=login.role.value)] if login.role else [])
        if login.role:
            StaffProfile.objects.update_or_create(
                user=user,
                defaults={
                    "company": company,
                    "branch": branches_by_code.get(login.branch) if login.branch else None,
                },
            )
        users[login.username] = user
    return users


def login_table(existing_only=True):
    """The logins as printable lines; only those whose user exists, by default."""
    present = set(
        User.objects.filter(username__in=[x.username for x in DEMO_LOGINS]).values_list(
            "username", flat=True
        )
    )
    rows = [x for x in DEMO_LOGINS if x.username in present or not existing_only]
    if not rows:
        return []
    width = max(len(x.label) for x in rows)
    lines = ["Demo logins:"]
    lines += [f"  {x.label:<{width}}  {x.username:<14} {x.password}" for x in rows]
    return lines
