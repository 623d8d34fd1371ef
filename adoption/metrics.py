"""Adoption metrics: the one place rates are defined, rollups are filled and read.

Definitions are in docs/metrics.md. Every rate is computed from summed counts, never by
averaging rates.

The public API (used by views, imports, commands and benchmarks):
- refresh(periods=None, branch_ids=None): rebuild the rollups of those periods and branches
  (None = all), inside one transaction.
- mark_dirty(periods, branch_ids): record that those rollups no longer match the raw rows.
- ensure_fresh(): refresh whatever is marked dirty; cheap when nothing is. Views call it first.
- data_as_of(): when the rollups last caught up with the raw data.
- monthly_rates(...) and channel_mix(...): the rows every chart and table reads.
"""

from django.db.models import Max, Sum

from .models import ChannelMonth, CommuneMonth, RollupState

COUNT_FIELDS = (
    "active_customers",
    "paying_customers",
    "noncash_customers",
    "payments",
    "noncash_payments",
    "amount",
    "noncash_amount",
    "new_noncash_customers",
    "back_to_cash_customers",
    "cohort_6m_customers",
    "retained_6m_customers",
)

# rate name -> (numerator, denominator), both CommuneMonth counts.
RATES = {
    "adoption_rate": ("noncash_customers", "active_customers"),
    "paying_rate": ("noncash_customers", "paying_customers"),
    "payment_share": ("noncash_payments", "payments"),
    "amount_share": ("noncash_amount", "amount"),
    "retention_6m": ("retained_6m_customers", "cohort_6m_customers"),
}

GROUP_KEYS = {"company": [], "branch": ["branch_id"], "commune": ["branch_id", "commune_id"]}


def percent(numerator, denominator):
    """A rate in percent, or None where the denominator is zero (no data is not 0%)."""
    return None if not denominator else 100.0 * numerator / denominator


def with_rates(row):
    for name, (num, den) in RATES.items():
        row[name] = percent(row[num], row[den])
    return row


def monthly_rates(*, start, end, group="branch", branch_ids=None, customer_types=None):
    """Summed counts and rates per period (and per branch or commune), start..end inclusive."""
    qs = CommuneMonth.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    keys = ["period", *GROUP_KEYS[group]]
    rows = qs.values(*keys).annotate(**{f: Sum(f) for f in COUNT_FIELDS}).order_by(*keys)
    return [with_rates(dict(row)) for row in rows]


def channel_mix(*, start, end, by="kind", branch_ids=None, customer_types=None, channel_kinds=None):
    """Payments, VND and paying customers per period and channel kind (or channel)."""
    qs = ChannelMonth.objects.filter(period__gte=start, period__lte=end)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    if customer_types:
        qs = qs.filter(customer_type__in=customer_types)
    if channel_kinds:
        qs = qs.filter(channel__kind__in=channel_kinds)
    key = "channel__kind" if by == "kind" else "channel_id"
    rows = (
        qs.values("period", key)
        .annotate(payments=Sum("payments"), amount=Sum("amount"), customers=Sum("customers"))
        .order_by("period", key)
    )
    return [dict(row) for row in rows]


def latest_period(branch_ids=None):
    """The newest month the rollups hold (for these branches), or None when they are empty."""
    qs = CommuneMonth.objects.all()
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    return qs.aggregate(latest=Max("period"))["latest"]


def refresh(periods=None, branch_ids=None):
    raise NotImplementedError("filled in by the metrics work")


def mark_dirty(periods, branch_ids):
    raise NotImplementedError("filled in by the metrics work")


def ensure_fresh():
    """Refresh what is marked dirty. Until the fill lands, there is nothing to do."""


def data_as_of():
    state = RollupState.objects.filter(name="rollups").first()
    return state.data_as_of if state else None
