"""Before/after outreach comparison ("So sánh trước/sau tuyên truyền"): adoption in the communes
visited in a month against the same branch's communes not visited around it, one row per
commune and month, with a summary over communes, an interval from a bootstrap over communes and
a pre-trend check. Definitions: docs/outreach.md.
"""

import random
from collections import defaultdict

from django.conf import settings

from . import regrouping
from .metrics import monthly_rates, percent
from .models import AdminArea, Branch, OutreachActivity
from .months import add_months, month_start
from .outreach_effect import CUSTOMER_TYPES, change

WINDOW_MONTHS = 3
# Fixed: the same data always gives the same interval, on every page load and in every export.
BOOTSTRAP_SEED = 18
BOOTSTRAP_SAMPLES = 2000
CONFIDENCE = 0.95

# Why a row is left out of the summary (the row's `flags`).
SMALL_COMMUNE = "small_commune"
FEW_COMPARISON = "few_comparison"
NO_DATA = "no_data"


class _Counts:
    """Non-cash and active household customers per (branch, commune, month), from the rollups,
    keyed as the view groups them."""

    def __init__(self, start, end, branch_ids, view):
        self.cells = {}
        self.communes = defaultdict(set)
        for row in monthly_rates(
            start=start,
            end=end,
            group="commune",
            branch_ids=branch_ids,
            customer_types=CUSTOMER_TYPES,
            view=view,
        ):
            key = (row["branch_id"], row["commune_id"], row["period"])
            self.cells[key] = (row["noncash_customers"], row["active_customers"])
            self.communes[row["branch_id"]].add(row["commune_id"])

    def sums(self, branch_id, commune_ids, months):
        noncash = active = 0
        for commune_id in commune_ids:
            for month in months:
                n, a = self.cells.get((branch_id, commune_id, month), (0, 0))
                noncash += n
                active += a
        return noncash, active

    def rate(self, branch_id, commune_ids, months):
        """Adoption rate from counts summed over communes and months (never averaged rates)."""
        return percent(*self.sums(branch_id, commune_ids, months))

    def households(self, branch_id, commune_id, months):
        """Active household customers in an average month of `months` that has data."""
        known = [
            self.cells[branch_id, commune_id, m][1]
            for m in months
            if (branch_id, commune_id, m) in self.cells
        ]
        return round(sum(known) / len(known)) if known else None


def _comparable(counts, branch_id, commune_id, before, rate_before):
    """A commune without outreach is a fair baseline when it is as large as a visited commune
    must be to count, and stood at about the same adoption before: communes further along the
    curve (towns) rise at another pace than those just starting."""
    households = counts.households(branch_id, commune_id, before)
    if households is None or households < settings.OUTREACH_MIN_HOUSEHOLDS:
        return False
    rate = counts.rate(branch_id, [commune_id], before)
    if rate is None or rate_before is None:
        return False
    return abs(rate - rate_before) <= settings.OUTREACH_COMPARISON_BAND_POINTS


def _window(month, first, last):
    return [add_months(month, i) for i in range(first, last + 1)]


def comparison_rows(activities, view="was"):
    """One row per (branch, commune, month) with outreach: the commune's adoption over the 3
    months before and the 3 after that month, the same for the branch's communes without
    outreach in those 7 months, the difference of the two changes, and the same difference
    over the 3 months before against the 3 before those (the pre-trend).

    view="now": branches and communes are today's (regrouping): the activities at communes
    merged into one commune are that commune's, and its rollups are theirs summed."""
    place = regrouping.place_mapper(view)
    visits = defaultdict(list)
    for activity in activities:
        branch_id, commune_id = place(activity.branch_id, activity.commune_id)
        visits[branch_id, commune_id, month_start(activity.date)].append(activity)
    if not visits:
        return []
    months = [month for _, _, month in visits]
    start = add_months(min(months), -2 * WINDOW_MONTHS)
    end = add_months(max(months), WINDOW_MONTHS)
    branch_ids = sorted({branch_id for branch_id, _, _ in visits})
    counts = _Counts(start, end, branch_ids, view)
    names = {
        "branch": dict(Branch.objects.filter(pk__in=branch_ids).values_list("pk", "name")),
        "commune": dict(
            AdminArea.objects.filter(pk__in={c for _, c, _ in visits}).values_list("pk", "name")
        ),
    }
    reached = _reached(start, end, place)
    rows = [_row(key, group, counts, reached, names) for key, group in visits.items()]
    rows.sort(key=lambda r: (r["month"], r["branch"], r["commune"]), reverse=True)
    return rows


def _reached(start, end, place):
    """{(branch, commune): the months it had outreach}: every activity in the span marks its
    commune as reached, listed on this page or not."""
    reached = defaultdict(set)
    for branch_id, commune_id, day in OutreachActivity.objects.filter(
        date__gte=start, date__lt=add_months(end, 1)
    ).values_list("branch_id", "commune_id", "date"):
        reached[place(branch_id, commune_id)].add(month_start(day))
    return reached


def _row(key, group, counts, reached, names):
    """The row of one commune and month with outreach (`group`: its activities)."""
    branch_id, commune_id, month = key
    pre = _window(month, -2 * WINDOW_MONTHS, -WINDOW_MONTHS - 1)
    before = _window(month, -WINDOW_MONTHS, -1)
    after = _window(month, 1, WINDOW_MONTHS)
    rate_before = counts.rate(branch_id, [commune_id], before)
    controls = sorted(
        other
        for other in counts.communes[branch_id]
        if other != commune_id
        and not any(before[0] <= m <= after[-1] for m in reached[branch_id, other])
        and _comparable(counts, branch_id, other, before, rate_before)
    )
    row = {
        "id": f"{branch_id}-{commune_id}-{month:%Y-%m}",
        "branch_id": branch_id,
        "commune_id": commune_id,
        "month": month,
        "branch": names["branch"].get(branch_id, ""),
        "commune": names["commune"].get(commune_id, ""),
        "activities": len(group),
        "households_reached": sum(a.households_reached for a in group),
        "registrations": sum(a.registrations for a in group),
        "households": counts.households(branch_id, commune_id, before),
        "rate_pre": counts.rate(branch_id, [commune_id], pre),
        "rate_before": rate_before,
        "rate_after": counts.rate(branch_id, [commune_id], after),
        "controls": controls,
        "control_communes": len(controls),
        "control_pre": counts.rate(branch_id, controls, pre),
        "control_before": counts.rate(branch_id, controls, before),
        "control_after": counts.rate(branch_id, controls, after),
    }
    row["change"] = change(row["rate_before"], row["rate_after"])
    row["control_change"] = change(row["control_before"], row["control_after"])
    row["did"] = change(row["control_change"], row["change"])
    row["pre_change"] = change(row["rate_pre"], row["rate_before"])
    row["control_pre_change"] = change(row["control_pre"], row["control_before"])
    row["pre_did"] = change(row["control_pre_change"], row["pre_change"])
    row["flags"] = _flags(row)
    row["included"] = not row["flags"]
    return row


def _flags(row):
    """Why the row is left out of the summary (none: it counts)."""
    min_comparison = settings.OUTREACH_MIN_COMPARISON_COMMUNES
    flags = []
    # No rollup row before the visit is missing data, not a small commune: the rollups may not
    # be filled yet (the worker fills them), and "small" would send one looking for the wrong
    # cause.
    if row["households"] is not None and row["households"] < settings.OUTREACH_MIN_HOUSEHOLDS:
        flags.append(SMALL_COMMUNE)
    if row["control_communes"] < min_comparison:
        flags.append(FEW_COMPARISON)
    if row["change"] is None or (row["control_communes"] >= min_comparison and row["did"] is None):
        flags.append(NO_DATA)
    return flags


def _mean(values):
    return sum(values) / len(values) if values else None


def bootstrap_interval(groups, samples=BOOTSTRAP_SAMPLES, seed=BOOTSTRAP_SEED):
    """Interval for the mean of every value, resampling whole groups (communes) with
    replacement: rows of one commune move together, so a commune visited often does not pass
    for many independent observations. None with fewer than two groups."""
    groups = [values for values in groups if values]
    if len(groups) < 2:
        return None
    rng = random.Random(seed)
    sums = [(sum(values), len(values)) for values in groups]
    means = []
    for _ in range(samples):
        total = count = 0
        for _ in range(len(sums)):
            s, n = sums[rng.randrange(len(sums))]
            total += s
            count += n
        means.append(total / count)
    means.sort()
    tail = (1 - CONFIDENCE) / 2
    low = means[int(tail * samples)]
    high = means[min(samples - 1, int((1 - tail) * samples))]
    return low, high


def _estimate(rows, key):
    """Mean of `key` over the rows that have it, its interval, and the communes behind it."""
    by_commune = defaultdict(list)
    for row in rows:
        if row[key] is not None:
            by_commune[row["branch_id"], row["commune_id"]].append(row[key])
    values = [v for group in by_commune.values() for v in group]
    interval = bootstrap_interval(list(by_commune.values()))
    return {
        "mean": _mean(values),
        "low": interval[0] if interval else None,
        "high": interval[1] if interval else None,
        "rows": len(values),
        "communes": len(by_commune),
        # Nothing can be said when the interval is missing or holds 0.
        "clear": interval is not None and (interval[0] > 0 or interval[1] < 0),
    }


def summary(rows):
    """The page's headline: over the rows large enough to count, the average change in visited
    communes, in their comparison communes, the difference with its interval, and the same
    difference before the visits (were the visited communes already rising faster?)."""
    included = [row for row in rows if row["included"]]
    comparison = {(row["branch_id"], c) for row in included for c in row["controls"]}
    return {
        "rows": len(rows),
        "included_rows": len(included),
        "excluded_rows": len(rows) - len(included),
        "small_commune_rows": sum(SMALL_COMMUNE in row["flags"] for row in rows),
        "few_comparison_rows": sum(FEW_COMPARISON in row["flags"] for row in rows),
        "no_data_rows": sum(NO_DATA in row["flags"] for row in rows),
        # Not one rollup row around any visit: the monthly figures are not computed yet.
        "no_figures": bool(rows) and all(row["households"] is None for row in rows),
        "visited_communes": len({(row["branch_id"], row["commune_id"]) for row in included}),
        "comparison_communes": len(comparison),
        "change": _mean([row["change"] for row in included]),
        "control_change": _mean([row["control_change"] for row in included]),
        "effect": _estimate(included, "did"),
        "pre_trend": _estimate(included, "pre_did"),
        "confidence": round(CONFIDENCE * 100),
        "min_households": settings.OUTREACH_MIN_HOUSEHOLDS,
        "min_comparison": settings.OUTREACH_MIN_COMPARISON_COMMUNES,
    }
