"""A unit's outlook against its target (company, branch or commune): its rate on each base,
pace, forecast and status, from monthly_rates rows already read.

Targets are set on the customer base (the share of active customers paying without cash), so
pace, forecast and status are measured on that base; the bills and VND bases are shown beside
it, never judged against a customer target.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from .forecast import Forecast, Pace, forecast, pace
from .months import add_months
from .target_status import Standing, standing

# Base key -> (monthly_rates rate, label). Customers is the default base (the headline figure).
BASES = {
    "customers": ("adoption_rate", _("Customers")),
    "bills": ("payment_share", _("Bills (payments)")),
    "vnd": ("amount_share", _("VND")),
}
DEFAULT_BASE = "customers"
# Months of history the forecast reads, whatever range the page shows.
HISTORY_MONTHS = 24


def history_start(end):
    return add_months(end, 1 - HISTORY_MONTHS)


def base_of(request):
    value = request.GET.get("base")
    return value if value in BASES else DEFAULT_BASE


def series(rows, rate="adoption_rate"):
    """{month: rate} of one unit's monthly_rates rows."""
    return {row["period"]: row[rate] for row in rows}


@dataclass(frozen=True)
class Outlook:
    rate: float | None
    target: float | None
    deadline: object
    pace: Pace
    forecast: Forecast | None
    standing: Standing

    @property
    def status(self):
        return self.standing.status

    @property
    def gap(self):
        return self.standing.gap


def outlook(rows, end, covering):
    """The Outlook at month `end` of one unit's monthly_rates rows; `covering` is the (deadline,
    rate) of its target (targets.Targets.covering) or None."""
    rates = series(rows)
    rate = rates.get(end)
    deadline, target = covering if covering else (None, None)
    predicted = forecast(rates, end, deadline) if deadline is not None else None
    return Outlook(
        rate=rate,
        target=target,
        deadline=deadline,
        pace=pace(rates, end, target, deadline),
        forecast=predicted,
        standing=standing(
            None if rate is None else round(rate, 1), target, end, deadline, predicted
        ),
    )


def grouped(rows, key):
    """{key value: [rows]} of monthly_rates rows, each list oldest first; a tuple of fields
    keys by the tuple of their values."""
    result = {}
    for row in rows:
        value = tuple(row[k] for k in key) if isinstance(key, tuple) else row[key]
        result.setdefault(value, []).append(row)
    for unit_rows in result.values():
        unit_rows.sort(key=lambda row: row["period"])
    return result
