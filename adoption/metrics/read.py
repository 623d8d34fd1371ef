"""The rows every chart, table and export reads: summed rollup counts with their rates.

Only reads: a page calls these and never fills (adoption.metrics.freshness does, in the
worker)."""

from django.db.models import Exists, Max, OuterRef, Sum

from .. import regrouping
from ..models import BranchMonth, ChannelMonth, CommuneMonth
from .definitions import COUNT_FIELDS, GROUP_KEYS, with_rates


def monthly_rates(
    *,
    start=None,
    end=None,
    periods=None,
    group="branch",
    branch_ids=None,
    customer_types=None,
    company_ids=None,
    view="was",
):
    """Summed counts and rates per period (and per branch or commune), start..end inclusive,
    or only the months listed in `periods`.

    view="was" (as it was): each month under the branch, commune and company of that month.
    view="now" (as it is now): the same counts regrouped onto today's communes, branches and
    companies (adoption.regrouping); branch_ids and company_ids then name today's."""
    if view == "now":
        qs = regrouping.rollups_for_now(start, end, periods, customer_types)
        rows = regrouping.commune_rows_now(
            qs,
            COUNT_FIELDS,
            group,
            branch_ids=None if branch_ids is None else set(branch_ids),
            company_ids=None if company_ids is None else set(company_ids),
        )
        return [with_rates(row) for row in rows]
    rollup = CommuneMonth if group == "commune" else BranchMonth
    if periods is not None:
        qs = rollup.objects.filter(period__in=periods)
    else:
        qs = rollup.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if company_ids is not None and rollup is BranchMonth:
        qs = qs.filter(company_id__in=company_ids)
    elif company_ids is not None:
        # CommuneMonth has no company: its branch's company that month is in BranchMonth.
        then = BranchMonth.objects.filter(
            period=OuterRef("period"), branch_id=OuterRef("branch_id"), company_id__in=company_ids
        )
        qs = qs.filter(Exists(then))
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    keys = ["period", *GROUP_KEYS[group]]
    rows = qs.values(*keys).annotate(**{f: Sum(f) for f in COUNT_FIELDS}).order_by(*keys)
    return [with_rates(dict(row)) for row in rows]


def channel_mix(
    *,
    start,
    end,
    by="kind",
    branch_ids=None,
    customer_types=None,
    channel_kinds=None,
    view="was",
):
    """Payments, VND and paying customers per period and channel kind (the kind in force for
    the period) or channel.

    Per kind, customers are summed over its channels: a customer who paid through two banks
    counts once for each bank. view="now": branch_ids name today's branches, and the rows of
    the branches whose communes they serve today count for them.
    """
    if view == "now":
        branch_ids = regrouping.branches_then(branch_ids)
    qs = ChannelMonth.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    if channel_kinds:
        qs = qs.filter(kind__in=channel_kinds)
    key = "kind" if by == "kind" else "channel_id"
    rows = (
        qs.values("period", key)
        .annotate(payments=Sum("payments"), amount=Sum("amount"), customers=Sum("customers"))
        .order_by("period", key)
    )
    return [dict(row) for row in rows]


def latest_period(branch_ids=None):
    """The newest month the rollups hold (for these branches), or None when they are empty."""
    qs = BranchMonth.objects.all()
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    return qs.aggregate(latest=Max("period"))["latest"]
