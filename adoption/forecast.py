"""Pace and forecast of a unit's adoption rate towards a dated target.

Pure functions over a monthly series (month → rate in percent, None where there is no figure):
no database, no network, deterministic.

The model is deliberately simple, so a manager can check it by hand: a straight line fitted by
least squares to the last FIT_MONTHS months, carried forward to the target's month. Its error is
measured on the unit's own history by a rolling backtest: from every month that has FIT_MONTHS
months before it and a figure HORIZON months later, the same fit forecasts HORIZON months ahead
and the forecast is compared with what happened. The mean absolute error of those forecasts is
the "sai số dự báo 3 tháng", in percentage points. The band around the forecast at the deadline
widens with the square root of the distance (an error that grows like a random walk's): ±error
× √(months ahead / HORIZON). Rates stay within 0–100 %.
"""

from dataclasses import dataclass
from math import sqrt

import numpy as np

from .months import add_months, month_count

FIT_MONTHS = 12
HORIZON = 3
# The fewest backtest forecasts whose error we are willing to show.
MIN_BACKTESTS = 3


@dataclass(frozen=True)
class Pace:
    """Monthly gains in percentage points: needed from now to the deadline, and achieved."""

    needed: float | None  # None when the deadline has passed or there is no target
    last_3m: float | None
    last_12m: float | None
    months_left: int | None


@dataclass(frozen=True)
class Forecast:
    """The rate forecast for the deadline, its band, and the backtest error behind the band."""

    month: object  # the deadline (first day of the month)
    rate: float | None
    low: float | None
    high: float | None
    error: float | None  # mean absolute error of the 3-month backtest, in points
    backtests: int
    # Why there is no forecast ("too little history"), or "".
    reason: str = ""

    @property
    def available(self):
        return self.rate is not None


def _points(series):
    """(month index, rate) arrays of the months that have a rate, oldest first."""
    months = sorted(m for m, rate in series.items() if rate is not None)
    if not months:
        return np.array([]), np.array([]), None
    first = months[0]
    x = np.array([month_count(first, m) - 1 for m in months], dtype=float)
    y = np.array([float(series[m]) for m in months])
    return x, y, first


def _line(x, y):
    """Slope and intercept of the least-squares line (a flat line through one point)."""
    if len(x) < 2 or np.ptp(x) == 0:
        return 0.0, float(y.mean())
    slope, intercept = np.polyfit(x, y, 1)
    return float(slope), float(intercept)


def _fit_window(x, y, at, window):
    """The points of the `window` months up to month index `at` (included)."""
    keep = (x <= at) & (x > at - window)
    return x[keep], y[keep]


def _predict(x, y, at, ahead, window):
    fx, fy = _fit_window(x, y, at, window)
    slope, intercept = _line(fx, fy)
    return slope * (at + ahead) + intercept


def backtest(series, horizon=HORIZON, window=FIT_MONTHS):
    """(mean absolute error, number of forecasts) of `horizon`-month forecasts made from every
    month with a whole window of months behind it; (None, 0) when there is none."""
    x, y, _ = _points(series)
    actual = dict(zip(x.tolist(), y.tolist(), strict=True))
    errors = []
    for at in x:
        fx, _fy = _fit_window(x, y, at, window)
        # A window the length of the series' first months, and at least half of it with figures
        # (a month without one is left out, never read as 0).
        full = at - x[0] >= window - 1 and len(fx) >= max(2, window // 2)
        if not full or (at + horizon) not in actual:
            continue
        errors.append(abs(actual[at + horizon] - _predict(x, y, at, horizon, window)))
    if not errors:
        return None, 0
    return float(np.mean(errors)), len(errors)


def _clamp(value):
    return min(max(value, 0.0), 100.0)


def forecast(series, now, deadline, window=FIT_MONTHS, horizon=HORIZON):
    """The rate forecast for `deadline` from the figures up to `now` (months), with its band."""
    history = {m: r for m, r in series.items() if m <= now}
    error, count = backtest(history, horizon, window)
    if count < MIN_BACKTESTS or history.get(now) is None:
        return Forecast(deadline, None, None, None, error, count, reason="too little history")
    x, y, first = _points(history)
    at = month_count(first, now) - 1
    ahead = max(month_count(now, deadline) - 1, 0)
    centre = _predict(x, y, at, ahead, window) if ahead else float(history[now])
    spread = error * sqrt(ahead / horizon) if ahead else 0.0
    return Forecast(
        month=deadline,
        rate=round(_clamp(centre), 2),
        low=round(_clamp(centre - spread), 2),
        high=round(_clamp(centre + spread), 2),
        error=round(error, 2),
        backtests=count,
    )


def _gain(series, now, span):
    rate, before = series.get(now), series.get(add_months(now, -span))
    if rate is None or before is None:
        return None
    return round((rate - before) / span, 2)


def pace(series, now, target=None, deadline=None):
    """Monthly gain needed to reach `target` by `deadline`, and the gains of the last 3 and 12
    months (points per month)."""
    rate = series.get(now)
    months_left = None
    needed = None
    if target is not None and deadline is not None and rate is not None:
        months_left = month_count(now, deadline) - 1
        if months_left > 0:
            needed = round(max(target - rate, 0.0) / months_left, 2)
    return Pace(
        needed=needed,
        last_3m=_gain(series, now, 3),
        last_12m=_gain(series, now, 12),
        months_left=months_left,
    )
