"""Headline figures and table rows of areas (the company, districts, communes), reshaped in
Python from the few monthly_rates rows adoption.metrics returns: nothing here queries.
"""

from collections import defaultdict

from . import metrics
from .months import add_months

# Changes shown next to a rate, in months.
CHANGE_SPANS = (1, 3, 12)


def rounded(value, digits=1):
    return None if value is None else round(value, digits)


def snapshot_months(end):
    """The months a summary reads: the last one and those its changes compare it with."""
    return sorted({end, *(add_months(end, -span) for span in CHANGE_SPANS)})


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


def area_summary(months, end, target=None, rate_field="adoption_rate"):
    """Headline figures of one area (company, branch or commune) at month `end`.

    months: {period: monthly_rates row} for that area, reaching back at least 12 months;
    rate_field: the rate shown and its changes (the base, adoption.outlook.BASES). The gap is
    always on the customer base: targets are customer targets.
    """
    now = months.get(end) or {}
    rate = now.get(rate_field)
    customer_rate = now.get("adoption_rate")
    summary = {
        "customers": now.get("active_customers", 0),
        "noncash_customers": now.get("noncash_customers", 0),
        "rate": rounded(rate),
        "target": target,
        # Positive: percentage points still to gain; negative: ahead of target.
        "gap": rounded(target - customer_rate)
        if target is not None and customer_rate is not None
        else None,
    }
    for span in CHANGE_SPANS:
        before = (months.get(add_months(end, -span)) or {}).get(rate_field)
        change = rate - before if rate is not None and before is not None else None
        summary[f"change_{span}m"] = rounded(change)
    return summary


def area_rows(rows, key, areas, end, target_for, rate_field="adoption_rate"):
    """One summary per area, in the order of `areas` (dicts with at least an "id")."""
    by_key = rates_by_key(rows, key)
    return [
        {
            **area,
            **area_summary(by_key.get(area["id"], {}), end, target_for(area["id"]), rate_field),
        }
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
