"""The one place that answers "which branches may this user see?" and "what may they do?"."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from .choices import ImportKind, Role
from .models import Branch


def _in_group(user, role):
    return user.is_authenticated and user.groups.filter(name=role.value).exists()


def is_manager(user):
    return user.is_superuser or _in_group(user, Role.MANAGERS)


def is_channel_admin(user):
    return user.is_superuser or _in_group(user, Role.CHANNEL_ADMINS)


def is_branch_staff(user):
    return _in_group(user, Role.BRANCH_STAFF)


def staff_branch(user):
    """The branch a branch-staff user works for, or None."""
    profile = getattr(user, "staff_profile", None)
    return profile.branch if profile else None


def visible_branches(user):
    """Branches whose data the user may see: all for company-wide roles, one for branch staff."""
    if not user.is_authenticated:
        return Branch.objects.none()
    if user.is_superuser or is_manager(user) or is_channel_admin(user):
        profile = getattr(user, "staff_profile", None)
        qs = Branch.objects.all()
        return qs.filter(company=profile.company) if profile and not user.is_superuser else qs
    branch = staff_branch(user)
    return Branch.objects.filter(pk=branch.pk) if branch else Branch.objects.none()


def get_branch_for_user(user, code):
    """The branch with this code, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(visible_branches(user), code=code)


def require_branch(user, branch):
    if not visible_branches(user).filter(pk=branch.pk).exists():
        raise PermissionDenied


def may_import(user, kind):
    """Payments come from partners' files (channel admins); customers only from billing (admins)."""
    if kind == ImportKind.PAYMENTS:
        return is_channel_admin(user)
    return user.is_superuser
