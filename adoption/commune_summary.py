"""What the commune page shows, read in a few GROUP BY queries: the commune's months on every
base and flow, its outlook against the branch's target, its branch's channel mix and its
villages' outreach.

The channel rollup (ChannelMonth) is kept per branch, not per commune: the page shows the
branch's channel mix and says so, rather than read raw payments while the page is served.
"""

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from . import metrics
from .area_rows import rounded
from .choices import ChannelKind
from .models import OutreachActivity
from .months import add_months, month_label, month_range
from .outlook import BASES, history_start, outlook
from .svg_chart import line_chart
from .targets import Targets

# Monthly figures the commune table shows, beside the three bases.
FLOW_FIELDS = ("new_noncash_customers", "back_to_cash_customers", "retention_6m", "paying_rate")


def commune_rows(branch, commune_id, scope):
    """monthly_rates rows of one commune of the branch, from the forecast's history start."""
    rows = metrics.monthly_rates(
        start=min(scope.start, history_start(scope.end)),
        end=scope.end,
        group="commune",
        branch_ids=[branch.pk],
        customer_types=scope.customer_types,
        view=scope.view,
    )
    return [row for row in rows if row["commune_id"] == commune_id]


def month_rows(rows, months):
    """One table row per month shown: counts, the three bases and the flows."""
    by_month = {row["period"]: row for row in rows}
    result = []
    for month in months:
        row = by_month.get(month) or {}
        result.append(
            {
                "month": month,
                "customers": row.get("active_customers"),
                "noncash_customers": row.get("noncash_customers"),
                "payments": row.get("payments"),
                "amount": row.get("amount"),
                **{f"{base}_rate": rounded(row.get(rate)) for base, (rate, _l) in BASES.items()},
                **{name: row.get(name) for name in FLOW_FIELDS},
            }
        )
    return result


def base_chart(rows, months, targets, branch_id, highlight):
    by_month = {row["period"]: row for row in rows}
    lines = [
        (base, label, [rounded((by_month.get(m) or {}).get(rate), 2) for m in months])
        for base, (rate, label) in BASES.items()
    ]
    target = [targets.for_month(m, branch_id) for m in months]
    if any(value is not None for value in target):  # no target line where no target applies
        lines.append(("target", _("Target"), target))
    return line_chart(months, lines, highlight=highlight)


def _kind_label(kind):
    return str(ChannelKind(kind).label) if kind in ChannelKind.values else kind


def channel_kinds(branch, scope):
    """The branch's payments and VND per channel kind over the range, biggest first."""
    rows = metrics.channel_mix(
        start=scope.start,
        end=scope.end,
        by="kind",
        branch_ids=[branch.pk],
        customer_types=scope.customer_types,
        channel_kinds=scope.channel_kinds,
        view=scope.view,
    )
    totals = {}
    for row in rows:
        kind = totals.setdefault(
            row["kind"],
            {"kind": row["kind"], "label": _kind_label(row["kind"]), "payments": 0, "amount": 0},
        )
        kind["payments"] += row["payments"]
        kind["amount"] += row["amount"]
    payments = sum(k["payments"] for k in totals.values())
    for kind in totals.values():
        kind["share"] = rounded(metrics.percent(kind["payments"], payments))
    return sorted(totals.values(), key=lambda k: (-k["payments"], k["kind"]))


def village_outreach(commune_id, scope):
    """Outreach per village of the commune in the range (one GROUP BY)."""
    rows = (
        OutreachActivity.objects.filter(
            commune_id=commune_id, date__gte=scope.start, date__lt=add_months(scope.end, 1)
        )
        .values("village_id", "village__name")
        .annotate(
            activities=Count("pk"),
            households=Sum("households_reached"),
            registrations=Sum("registrations"),
        )
        .order_by("village__name")
    )
    return list(rows)


def commune_summary(scope, branch, commune_id, highlight="customers"):
    """Everything the commune page shows (plain data, kept by adoption.dashboard_cache)."""
    targets = Targets(branch.company_id)
    rows = commune_rows(branch, commune_id, scope)
    months = month_range(scope.start, scope.end)
    shown = [row for row in rows if row["period"] >= scope.start]
    return {
        "outlook": outlook(rows, scope.end, targets.covering(scope.end, branch.pk)),
        "chart": base_chart(shown, months, targets, branch.pk, highlight),
        "months": month_rows(shown, months),
        "has_data": bool(shown),
        "mix": channel_kinds(branch, scope),
        "villages": village_outreach(commune_id, scope),
        "range_label": f"{month_label(scope.start)}–{month_label(scope.end)}",
    }
