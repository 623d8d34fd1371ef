"""Who a report or an alert may go to: a recipient gets only the units their role allows.

A subscription names a user, or an address. An address that belongs to a user is that user;
an address of nobody on the site is held to what the manager who subscribed it may see. The
rule is asked again before every email, so a user moved to another branch stops receiving the
old one's figures.
"""

from django.contrib.auth import get_user_model

from ..permissions import sees_whole_company, visible_branches


def governing_user(subscription):
    """The user whose role decides what this subscription's recipient may receive."""
    if subscription.user_id:
        return subscription.user
    owner = get_user_model().objects.filter(email__iexact=subscription.email, is_active=True)
    return owner.first() or subscription.created_by


def may_receive(user, unit):
    """True when `user` may see every figure of `unit` (a reports.figures.Unit)."""
    if user is None or not user.is_active:
        return False
    if user.is_superuser:
        return True
    visible = set(visible_branches(user).values_list("pk", flat=True))
    if unit.branch is None:
        return sees_whole_company(user) and set(unit.branch_ids()) <= visible
    return unit.branch.pk in visible


def subscription_allowed(subscription, unit):
    return may_receive(governing_user(subscription), unit)
