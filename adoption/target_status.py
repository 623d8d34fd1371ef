"""A unit's standing against its target: a status word and a signed gap.

- đạt (met): the rate has reached the target.
- không đạt (will miss): below the target and either the deadline has passed, or even the top of
  the forecast band (adoption.forecast) stays below the target at the deadline.
- chậm (behind pace): below the target, and it can still be reached: the forecast band reaches
  it, or there is too little history to forecast.

The gap ("Chênh lệch so với chỉ tiêu") is rate − target, in percentage points: + when ahead,
− when behind, so its sign never needs explaining. Without a target there is neither.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .forecast import Forecast

MET, BEHIND, WILL_MISS = "met", "behind", "miss"

LABELS = {MET: _("met"), BEHIND: _("behind pace"), WILL_MISS: _("will miss")}
# Worst first: the order tables sort by, before the gap.
RANK = {WILL_MISS: 0, BEHIND: 1, MET: 2, None: 3}


@dataclass(frozen=True)
class Standing:
    status: str | None  # MET, BEHIND, WILL_MISS, or None without a target or a rate
    gap: float | None  # rate − target, percentage points

    @property
    def label(self):
        return LABELS.get(self.status, "")


def standing(rate, target, now, deadline=None, forecast: Forecast | None = None):
    """The Standing of a unit with `rate` at month `now` against `target` due by `deadline`."""
    if rate is None or target is None:
        return Standing(None, None)
    gap = round(rate - target, 1)
    if rate >= target:
        return Standing(MET, gap)
    if deadline is not None and deadline <= now:
        return Standing(WILL_MISS, gap)
    if forecast is not None and forecast.available and forecast.high < target:
        return Standing(WILL_MISS, gap)
    return Standing(BEHIND, gap)


def sort_key(row):
    """Rows (dicts with "status", "gap" and "name") worst first: status, then the gap, most
    behind first, then the name."""
    gap = row.get("gap")
    return (RANK.get(row.get("status"), 3), gap if gap is not None else 0.0, str(row["name"]))


def by_status(rows):
    return sorted(rows, key=sort_key)
