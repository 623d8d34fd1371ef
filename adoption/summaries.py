"""Rows the dashboard shows, built in Python from the few aggregated rows adoption.metrics returns.

Nothing here queries per row: each function takes rows already read (one GROUP BY query per
grain) and reshapes them into table rows, headline figures or chart series.
"""

from collections import defaultdict
from dataclasses import dataclass

from . import metrics
from .models import Company, OutreachActivity, PaymentChannel, Target
from .months import add_months

# Changes shown next to a rate, in months.
CHANGE_SPANS = (1, 3, 12)


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


class Targets:
    """Adoption targets of one company, read once.

    A target is a rate to reach by its month, and it covers only its own period: the months
    after the unit's previous target up to its own month, or, for the unit's first target,
    the months of its own year up to its month (a 12/2021 target covers 01–12/2021). Before a
    unit's first target and after its last there is none. A branch's own target wins over the
    company-wide one where both cover a month (docs/metrics.md).
    """

    def __init__(self, company_id):
        self.company_id = company_id
        self.by_branch = defaultdict(list)
        rows = Target.objects.filter(company_id__in=_with_merged(company_id)).order_by("period")
        for branch_id, period, rate in rows.values_list("branch_id", "period", "rate"):
            self.by_branch[branch_id].append((period, float(rate)))

    @staticmethod
    def _covering(targets, month):
        previous = None
        for period, rate in targets:
            if period >= month:
                if previous is None and period.year != month.year:
                    return None
                return period, rate
            previous = period
        return None

    def covering(self, month, branch_id=None):
        """(deadline month, rate) of the target covering `month`, or None."""
        if branch_id is not None:
            own = self._covering(self.by_branch.get(branch_id, ()), month)
            if own is not None:
                return own
        return self._covering(self.by_branch.get(None, ()), month)

    def for_month(self, month, branch_id=None):
        covering = self.covering(month, branch_id)
        return covering[1] if covering else None


def _with_merged(company_id):
    """The company and every company merged into it, at any depth: a target set before a
    merger still covers its own months (PC Hà Giang's 12/2021 target after it joined PC Tuyên
    Quang)."""
    ids, new = {company_id}, {company_id}
    while new:
        new = set(Company.objects.filter(merged_into__in=new).values_list("pk", flat=True)) - ids
        ids |= new
    return ids


def snapshot_months(end):
    """The months a summary reads: the last one and those its changes compare it with."""
    return sorted({end, *(add_months(end, -span) for span in CHANGE_SPANS)})


def rates_at(months, **reads):
    """monthly_rates rows for a few single months only, in one query."""
    return metrics.monthly_rates(periods=months, **reads)


def rates_by_key(rows, key):
    """{key: {period: row}} from monthly_rates rows; key None groups everything together."""
    result = defaultdict(dict)
    for row in rows:
        result[row[key] if key else None][row["period"]] = row
    return result


def totals_by_period(rows):
    """Rows of several branches added up per period (the whole company, as they see it).

    Counts add up; the rates are recomputed by adoption.metrics, never averaged. This saves
    the second pass over the rollups that monthly_rates(group="company") would make.
    """
    totals = {}
    for row in rows:
        total = totals.get(row["period"])
        if total is None:
            total = totals[row["period"]] = {"period": row["period"]}
            total.update(dict.fromkeys(metrics.COUNT_FIELDS, 0))
        for name in metrics.COUNT_FIELDS:
            total[name] += row[name]
    return [metrics.with_rates(totals[period]) for period in sorted(totals)]


def area_summary(months, end, target=None):
    """Headline figures of one area (company, branch or commune) at month `end`.

    months: {period: monthly_rates row} for that area, reaching back at least 12 months.
    """
    now = months.get(end) or {}
    rate = now.get("adoption_rate")
    summary = {
        "customers": now.get("active_customers", 0),
        "noncash_customers": now.get("noncash_customers", 0),
        "rate": rounded(rate),
        "target": target,
        # Positive: percentage points still to gain; negative: ahead of target.
        "gap": rounded(target - rate) if target is not None and rate is not None else None,
    }
    for span in CHANGE_SPANS:
        before = (months.get(add_months(end, -span)) or {}).get("adoption_rate")
        change = rate - before if rate is not None and before is not None else None
        summary[f"change_{span}m"] = rounded(change)
    return summary


def area_rows(rows, key, areas, end, target_for):
    """One summary per area, in the order of `areas` (dicts with at least an "id")."""
    by_key = rates_by_key(rows, key)
    return [
        {**area, **area_summary(by_key.get(area["id"], {}), end, target_for(area["id"]))}
        for area in areas
    ]


def furthest_behind_first(rows):
    """Areas with the biggest gap to target first; those without a rate last."""
    return sorted(
        rows,
        key=lambda row: (
            row["rate"] is None,
            -(row["gap"] if row["gap"] is not None else -1000),
            row["rate"] if row["rate"] is not None else 0,
            row["name"],
        ),
    )


def rate_series(rows, key, months):
    """{key: [adoption rate or None for each month]}: every series has every month."""
    by_key = rates_by_key(rows, key)
    return {
        k: [rounded((periods.get(m) or {}).get("adoption_rate"), 2) for m in months]
        for k, periods in by_key.items()
    }


@dataclass(frozen=True)
class Payee:
    """Who collected a payment as the partner pages show it: a partner, or a channel of our own."""

    key: str
    name: str
    kinds: tuple
    active: bool


def payees(today):
    """{channel id: Payee} for every channel, read in one query."""
    channels = PaymentChannel.objects.select_related("partner").order_by("name")
    grouped = defaultdict(list)
    for channel in channels:
        key = f"partner-{channel.partner_id}" if channel.partner_id else f"channel-{channel.pk}"
        grouped[key].append(channel)
    result = {}
    for key, group in grouped.items():
        partner = group[0].partner
        active = any(
            c.active and (c.contract_end is None or c.contract_end >= today) for c in group
        )
        payee = Payee(
            key=key,
            name=partner.name if partner else group[0].name,
            kinds=tuple(sorted({c.get_kind_display() for c in group}, key=str)),
            active=active,
        )
        for channel in group:
            result[channel.pk] = payee
    return result


def payee_rows(mix_rows, payee_of, end):
    """Partner table rows from channel_mix(by="channel") rows; every payee appears."""
    rows = {
        payee.key: {
            "key": payee.key,
            "name": payee.name,
            "kinds": ", ".join(str(k) for k in payee.kinds),
            "active": payee.active,
            "payments": 0,
            "amount": 0,
            "payments_last_month": 0,
            "amount_last_month": 0,
        }
        for payee in payee_of.values()
    }
    for mix in mix_rows:
        row = rows[payee_of[mix["channel_id"]].key]
        row["payments"] += mix["payments"]
        row["amount"] += mix["amount"]
        if mix["period"] == end:
            row["payments_last_month"] += mix["payments"]
            row["amount_last_month"] += mix["amount"]
    return sorted(rows.values(), key=lambda row: (not row["active"], -row["payments"], row["name"]))


def outreach_activities(branch, start, end):
    """The branch's outreach activities in the range, newest first (one query)."""
    return list(
        OutreachActivity.objects.filter(
            branch=branch, date__gte=start, date__lt=add_months(end, 1)
        ).select_related("commune", "village", "partner")
    )
