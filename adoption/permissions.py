"""The one place that answers "which branches may this user see?" and "what may they do?"."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from .choices import AreaLevel, ImportKind, Role
from .models import (
    AdminArea,
    Branch,
    BranchTerritory,
    Company,
    Customer,
    OutreachActivity,
    OutreachPlan,
    StaffProfile,
)
from .models.validity import in_force


def _roles(user):
    # Asked several times per request (views, nav, tables): read once, remembered on the user
    # object for the request, as Django does for permissions.
    if not hasattr(user, "_powerco_roles"):
        names = user.groups.values_list("name", flat=True) if user.is_authenticated else []
        user._powerco_roles = frozenset(names)
    return user._powerco_roles


def _in_group(user, role):
    return role.value in _roles(user)


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
    if user.is_superuser:
        return Branch.objects.all()
    if is_manager(user) or is_channel_admin(user):
        # Their company's branches, or every branch without a profile: the profile is read in
        # the same query as the branches (every dashboard request asks).
        profile = StaffProfile.objects.filter(user_id=user.pk)
        return Branch.objects.filter(
            Q(company_id__in=profile.values("company_id")) | ~Exists(profile)
        )
    branch = staff_branch(user)
    return Branch.objects.filter(pk=branch.pk) if branch else Branch.objects.none()


def get_branch_for_user(user, code):
    """The branch with this code, or 404 when it does not exist or the user may not see it."""
    return get_object_or_404(visible_branches(user).select_related("district"), code=code)


# Field outreach. Branch staff record and correct their own branch's activities; managers and
# superusers read every branch's (they correct mistakes in the admin, which keeps the history).

OUTREACH_EDIT_DAYS = 7


def outreach_activities(user):
    """Outreach activities the user may see; none without the view permission."""
    if not user.is_authenticated or not user.has_perm("adoption.view_outreachactivity"):
        return OutreachActivity.objects.none()
    return OutreachActivity.objects.filter(branch__in=visible_branches(user))


def require_outreach_viewer(user):
    if not user.has_perm("adoption.view_outreachactivity"):
        raise PermissionDenied


def outreach_branch_for_entry(user):
    """The branch a user records outreach for, or None: only branch staff of one branch may."""
    # Asked once per row of a list: remembered on the user object, like Django's permissions.
    if not hasattr(user, "_outreach_entry_branch"):
        allowed = is_branch_staff(user) and user.has_perm("adoption.add_outreachactivity")
        user._outreach_entry_branch = staff_branch(user) if allowed else None
    return user._outreach_entry_branch


def can_edit_outreach(user, activity, now=None):
    """Own entry, own branch, within OUTREACH_EDIT_DAYS of recording it."""
    now = now or timezone.now()
    if activity.created_by_id != user.pk or now - activity.created_at > timedelta(
        days=OUTREACH_EDIT_DAYS
    ):
        return False
    branch = outreach_branch_for_entry(user)
    return (
        branch is not None
        and branch.pk == activity.branch_id
        and user.has_perm("adoption.change_outreachactivity")
    )


def can_change_registrations(user, activity):
    """Branch staff change the customers registered at an activity only while they may edit
    the activity itself (their own entry, for OUTREACH_EDIT_DAYS); others as their
    permissions say."""
    if activity is None or not is_branch_staff(user):
        return True
    return can_edit_outreach(user, activity)


def outreach_plans(user):
    """Visit plans the user may see: branch staff their branch's, managers every branch's."""
    if not user.is_authenticated or not user.has_perm("adoption.view_outreachplan"):
        return OutreachPlan.objects.none()
    return OutreachPlan.objects.filter(branch__in=visible_branches(user))


def outreach_branch_for_planning(user):
    """The branch a user plans visits for, or None: branch staff of one branch only."""
    branch = outreach_branch_for_entry(user)
    return branch if branch and user.has_perm("adoption.add_outreachplan") else None


def outreach_branch_for_report(user, code):
    """The branch a "where next" page is about: branch staff always their own (another code is
    404); company-wide roles the branch of `code`, or their first one without it."""
    require_outreach_viewer(user)
    own = outreach_branch_for_entry(user)
    if own is not None:
        if code and code != own.code:
            raise Http404
        return own
    branches = visible_branches(user).order_by("name")
    if code:
        return get_object_or_404(branches, code=code)
    branch = branches.first()
    if branch is None:
        raise Http404
    return branch


def customer_for_lookup(user, code):
    """A customer of the user's own branch with this code, or None (another branch's customer
    is not found either: staff learn nothing about customers outside their branch)."""
    branch = outreach_branch_for_entry(user)
    if branch is None:
        raise PermissionDenied
    return Customer.objects.filter(branch=branch, code=code).first()


def branch_places(branch, on=None):
    """Communes a branch serves on a day (default today), and their villages then.

    The communes are its BranchTerritory in force that day. A branch with no territory at all
    (an installation not yet carried over) falls back to the communes of its district.
    """
    on = on or timezone.localdate()
    current = (Q(valid_from__isnull=True) | Q(valid_from__lte=on)) & (
        Q(valid_to__isnull=True) | Q(valid_to__gte=on)
    )
    communes = AdminArea.objects.filter(current, level=AreaLevel.COMMUNE)
    if BranchTerritory.objects.filter(branch=branch).exists():
        served = BranchTerritory.objects.filter(in_force(on), branch=branch)
        communes = communes.filter(pk__in=served.values("commune_id"))
    else:
        communes = communes.filter(parent_id=branch.district_id)
    villages = AdminArea.objects.filter(current, level=AreaLevel.VILLAGE, parent__in=communes)
    return communes, villages


def for_user(queryset, user, branch_path="branch"):
    """Rows of `queryset` whose branch (reached through `branch_path`) the user may see."""
    if user.is_superuser:
        return queryset
    return queryset.filter(**{f"{branch_path}__in": visible_branches(user)})


def may_see_branch(user, branch_id):
    return user.is_superuser or visible_branches(user).filter(pk=branch_id).exists()


def visible_companies(user):
    """Companies whose company-wide figures (targets) the user may see."""
    if user.is_superuser:
        return Company.objects.all()
    return Company.objects.filter(branches__in=visible_branches(user)).distinct()


def sees_whole_company(user):
    """Company-wide roles: the company overview and its JSON are theirs alone."""
    return is_manager(user) or is_channel_admin(user)


def dashboard_branches(user):
    """The branches behind every dashboard page and JSON view.

    Users without a role are refused; a company-wide role on an installation that has no
    branches yet gets an empty list (the pages then say what to set up first)."""
    branches = list(visible_branches(user).select_related("district"))
    if not branches and not (sees_whole_company(user) or user.is_superuser):
        raise PermissionDenied
    return branches


def may_import(user, kind):
    """Payments and their reversals come from partners' files (channel admins); customers only
    from billing (admins)."""
    if kind in (ImportKind.PAYMENTS, ImportKind.REVERSALS):
        return is_channel_admin(user)
    return user.is_superuser
