"""Alerts: what is wrong with a unit in a month, each found once per occurrence.

A detector takes a unit and the latest month and returns Occurrences. An occurrence has a key
that stays the same for as long as the situation lasts (a run of months below pace is keyed by
its first month), so however often the worker looks, each recipient gets one email for it.

Two kinds come from month closing: expected partner files missing by their due day
(adoption.month_sources.missing_expected_files) and validation rules failing at import
(adoption.validation.failing_rules); both take (unit, month) and return a list of dicts with
"key", "reason" (text) and "path" (the month's page, the evidence).
"""

import importlib
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.translation import gettext as _

from ..filters import Scope
from ..forecast import pace
from ..formatting import decimal
from ..models import AlertKind
from ..months import add_months, month_label
from ..targets import Targets
from .figures import covering_target, unit_months
from .links import report_path

# Months read back to find where a run below pace began.
LOOKBACK_MONTHS = 12


@dataclass
class Occurrence:
    kind: str
    unit: object
    unit_name: str
    month: object
    key: str
    params: dict = field(default_factory=dict)
    path: str = ""
    query: str = ""
    text: str = ""  # a reason written by a listed detector (month closing's)

    def kind_label(self):
        return str(AlertKind(self.kind).label)

    def reason(self):
        """Why, in the active language (the recipient's, when the email is written)."""
        if self.text:
            return self.text
        p = {k: month_label(v) if hasattr(v, "year") else v for k, v in self.params.items()}
        if self.kind == AlertKind.BELOW_PACE:
            return _(
                "%(unit)s has gained less than the pace needed for %(months)s months running "
                "(since %(since)s). In %(month)s it gained %(gain)s points; it needed %(needed)s "
                "points a month to reach its target of %(target)s %% by %(deadline)s. Its rate "
                "is now %(rate)s %%."
            ) % {"unit": self.unit_name, **p}
        return _(
            "%(unit)s: %(count)s customers who paid without cash in the month before went back "
            "to cash in %(month)s, %(share)s %% of the non-cash customers (the threshold is "
            "%(threshold)s %%)."
        ) % {"unit": self.unit_name, **p}


def _number(value):
    return decimal(value)


def _evidence(unit, month):
    scope = Scope(start=add_months(month, -11), end=month)
    return report_path(unit), scope.query()


def _below(by_month, targets, branch_id, month):
    """(gain, needed, rate, target, deadline) when `month` gained less than the pace needed
    at the month before, else None."""
    now, before = by_month.get(month), by_month.get(add_months(month, -1))
    if not now or not before:
        return None
    rate, previous = now["adoption_rate"], before["adoption_rate"]
    deadline, target = covering_target(targets, add_months(month, -1), branch_id)
    if None in (rate, previous, target) or rate >= target:
        return None
    rates = {period: row["adoption_rate"] for period, row in by_month.items()}
    needed = pace(rates, add_months(month, -1), target, deadline).needed
    gain = rate - previous
    if needed is None or gain >= needed:
        return None
    return gain, needed, rate, target, deadline


def below_pace(unit, month, name):
    """Below the pace needed to reach the target two months running or more."""
    by_month = unit_months(unit, add_months(month, -LOOKBACK_MONTHS - 1), month)
    targets = Targets(unit.company.pk)
    branch_id = unit.branch.pk if unit.branch else None
    latest = _below(by_month, targets, branch_id, month)
    if latest is None:
        return []
    run, since = 1, month
    while run < LOOKBACK_MONTHS and _below(by_month, targets, branch_id, add_months(since, -1)):
        since, run = add_months(since, -1), run + 1
    if run < 2:
        return []
    gain, needed, rate, target, deadline = latest
    path, query = _evidence(unit, month)
    params = {
        "months": run,
        "since": since,
        "month": month,
        "gain": _number(gain),
        "needed": _number(needed),
        "target": _number(target),
        "deadline": deadline,
        "rate": _number(rate),
    }
    key = f"{AlertKind.BELOW_PACE}:{unit.key()}:{since:%Y-%m}"
    return [Occurrence(AlertKind.BELOW_PACE, unit, name, month, key, params, path, query)]


def back_to_cash(unit, month, name):
    """Back-to-cash customers of the month above ALERT_BACK_TO_CASH_PERCENT of the non-cash
    customers of the month before."""
    by_month = unit_months(unit, add_months(month, -1), month)
    now, before = by_month.get(month), by_month.get(add_months(month, -1))
    if not now or not before or not before["noncash_customers"]:
        return []
    share = 100.0 * now["back_to_cash_customers"] / before["noncash_customers"]
    threshold = settings.ALERT_BACK_TO_CASH_PERCENT
    if share <= threshold:
        return []
    path, query = _evidence(unit, month)
    params = {
        "count": now["back_to_cash_customers"],
        "share": _number(share),
        "threshold": _number(threshold),
        "month": month,
    }
    key = f"{AlertKind.BACK_TO_CASH}:{unit.key()}:{month:%Y-%m}"
    return [Occurrence(AlertKind.BACK_TO_CASH, unit, name, month, key, params, path, query)]


def listed(kind, module, function):
    """A detector of the alerts `module.function(unit, month)` lists ([{"key", "reason",
    "path"}]), looked up at each call."""

    def detect(unit, month, name):
        found = getattr(importlib.import_module(module), function)
        return [
            Occurrence(
                kind,
                unit,
                name,
                month,
                f"{kind}:{unit.key()}:{item['key']}",
                path=item.get("path", ""),
                text=str(item["reason"]),
            )
            for item in found(unit, month)
        ]

    return detect


DETECTORS = {
    AlertKind.BELOW_PACE: below_pace,
    AlertKind.BACK_TO_CASH: back_to_cash,
    AlertKind.MISSING_FILE: listed(
        AlertKind.MISSING_FILE, "adoption.month_sources", "missing_expected_files"
    ),
    AlertKind.VALIDATION: listed(AlertKind.VALIDATION, "adoption.validation", "failing_rules"),
}


def occurrences(unit, month, name):
    """Every alert of every kind for this unit and month."""
    found = []
    for detect in DETECTORS.values():
        found.extend(detect(unit, month, name))
    return found
