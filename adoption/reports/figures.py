"""A unit's figures for one month, on the three bases, read through adoption.metrics.

Everything the page, the PDF, the XLSX and the emails show comes from `unit_report`, so the
four say the same thing. The counts are the dashboard's (monthly_rates, summed with
area_rows.totals_by_period), so a rate here equals the dashboard's for the same unit, month
and filters.

Status and pace are computed simply here, until adoption.target_status (the status word) and
adoption.forecast (the pace) exist; `status_of` and `pace_needed` are the two places to
switch to them.
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .. import metrics
from ..area_labels import branch_label
from ..area_rows import rates_by_key, rounded, totals_by_period
from ..models import Branch
from ..months import add_months, month_count
from ..summaries import commune_names
from ..targets import Targets

# (key, monthly_rates field, label): customers is the headline base, as on the dashboard.
BASES = (
    ("customers", "adoption_rate", _("Customers")),
    ("bills", "payment_share", _("Bills (payments)")),
    ("vnd", "amount_share", _("Revenue (VND)")),
)
# How many months the chart of the report covers, ending with the report's month.
CHART_MONTHS = 12
# The recent gain is the average monthly gain over this many months.
RECENT_MONTHS = 3
# Units named in "furthest behind".
BEHIND_COUNT = 3

STATUS_LABELS = {"met": _("met"), "behind": _("behind pace"), "miss": _("will miss")}
STATUS_ORDER = {"miss": 0, "behind": 1, "met": 2, None: 3}


@dataclass(frozen=True)
class Unit:
    """What a report is about: a company, one of its branches, or a commune of a branch."""

    company: object
    branch: object = None
    commune: object = None

    @property
    def level(self):
        return "commune" if self.commune else "branch" if self.branch else "company"

    def branch_ids(self):
        if self.branch is not None:
            return [self.branch.pk]
        return list(Branch.objects.filter(company=self.company).values_list("pk", flat=True))

    def name(self, on):
        if self.commune is not None:
            return self.commune.name
        if self.branch is not None:
            return branch_label(self.branch, on)
        return self.company.name

    def key(self):
        return f"{self.level}-{(self.commune or self.branch or self.company).pk}"


@dataclass
class Report:
    unit: Unit
    scope: object
    name: str
    months: list
    headline: dict
    rows: list = field(default_factory=list)
    series: dict = field(default_factory=dict)
    targets: list = field(default_factory=list)

    @property
    def month(self):
        return self.scope.end

    @property
    def furthest_behind(self):
        behind = [r for r in self.rows if r["status"] in ("miss", "behind")]
        return behind[:BEHIND_COUNT]

    def fingerprint(self):
        """What the figures say, compactly: two reports with one fingerprint say the same."""
        parts = [self.name, f"{self.month:%Y-%m}", repr(sorted(self.headline.items()))]
        parts += [repr(sorted(row.items())) for row in self.rows]
        return "|".join(parts)


def covering_target(targets, month, branch_id=None):
    """(deadline month, rate) of the target covering `month`, or (None, None); the same rule
    as targets.Targets.for_month (a branch's own target first, then the company's)."""
    for owner in ([branch_id] if branch_id is not None else []) + [None]:
        previous = None
        for period, rate in targets.by_branch.get(owner, ()):
            if period >= month:
                if previous is None and period.year != month.year:
                    break
                return period, rate
            previous = period
    return None, None


def pace_needed(rate, target, months_left):
    """Points a month still to gain to reach the target by its deadline (0 once reached)."""
    if rate is None or target is None:
        return None
    if rate >= target:
        return 0.0
    return None if months_left <= 0 else (target - rate) / months_left


def status_of(rate, target, months_left, recent_gain):
    """met / behind (pace) / miss: met when reached or when the recent pace reaches it in
    time; miss when the deadline has come, or nothing is gained any more; behind otherwise."""
    if rate is None or target is None:
        return None
    if rate >= target:
        return "met"
    if months_left <= 0 or recent_gain is None or recent_gain <= 0:
        return "miss"
    return "met" if rate + recent_gain * months_left >= target else "behind"


def base_figures(by_month, end, target, deadline):
    """{base key: figures} of one unit at month `end`; by_month: {period: monthly_rates row}."""
    now = by_month.get(end) or {}
    months_left = month_count(end, deadline) - 1 if deadline else 0
    result = {}
    for key, rate_field, _label in BASES:
        rate = now.get(rate_field)
        before = (by_month.get(add_months(end, -RECENT_MONTHS)) or {}).get(rate_field)
        last_month = (by_month.get(add_months(end, -1)) or {}).get(rate_field)
        recent = (rate - before) / RECENT_MONTHS if None not in (rate, before) else None
        result[key] = {
            "rate": rounded(rate),
            "target": target,
            # Positive when ahead of the target ("Chênh lệch so với chỉ tiêu").
            "gap": rounded(rate - target) if None not in (rate, target) else None,
            "change_1m": rounded(rate - last_month) if None not in (rate, last_month) else None,
            "recent_gain": rounded(recent, 2),
            "pace_needed": rounded(pace_needed(rate, target, months_left), 2),
            "status": status_of(rate, target, months_left, recent),
        }
    return result


def _headline(by_month, end, target, deadline):
    now = by_month.get(end) or {}
    return {
        "customers": now.get("active_customers", 0),
        "noncash_customers": now.get("noncash_customers", 0),
        "payments": now.get("payments", 0),
        "amount": now.get("amount", 0),
        "back_to_cash": now.get("back_to_cash_customers", 0),
        "deadline": deadline,
        "bases": base_figures(by_month, end, target, deadline),
    }


def _rows(unit, start, end, customer_types=(), view="was"):
    group = "branch" if unit.level == "company" else "commune"
    rows = metrics.monthly_rates(
        start=start,
        end=end,
        group=group,
        branch_ids=unit.branch_ids(),
        customer_types=list(customer_types),
        view=view,
    )
    if unit.level == "commune":
        rows = [r for r in rows if r["commune_id"] == unit.commune.pk]
    return group, rows


def unit_months(unit, start, end, customer_types=(), view="was"):
    """{period: monthly_rates row} of the unit as a whole, start..end (what alerts read)."""
    _group, rows = _rows(unit, start, end, customer_types, view)
    return rates_by_key(totals_by_period(rows), None).get(None, {})


def _read(unit, scope, start):
    """(the unit's rows per month, [(part id, part name, its rows per month)])."""
    branch_ids = unit.branch_ids()
    group, rows = _rows(unit, start, scope.end, scope.customer_types, scope.view)
    on = scope.names_on
    if unit.level == "commune":
        return rates_by_key(totals_by_period(rows), None).get(None, {}), []
    total = rates_by_key(totals_by_period(rows), None).get(None, {})
    key = "branch_id" if group == "branch" else "commune_id"
    by_part = rates_by_key(rows, key)
    if group == "branch":
        branches = Branch.objects.filter(pk__in=branch_ids).select_related("district")
        names = {b.pk: branch_label(b, on) for b in branches}
    else:
        names = commune_names(rows)
    parts = [(pk, names.get(pk, "?"), by_part.get(pk, {})) for pk in names]
    return total, parts


def _row(pk, name, by_month, scope, targets, branch_id):
    deadline, target = covering_target(targets, scope.end, branch_id)
    figures = base_figures(by_month, scope.end, target, deadline)
    customers = figures["customers"]
    now = by_month.get(scope.end) or {}
    return {
        "id": pk,
        "name": name,
        "customers": now.get("active_customers", 0),
        "rate": customers["rate"],
        "bills": figures["bills"]["rate"],
        "vnd": figures["vnd"]["rate"],
        "target": target,
        "gap": customers["gap"],
        "pace_needed": customers["pace_needed"],
        "status": customers["status"],
    }


def sort_rows(rows):
    """Status first (will miss, behind, met, none), then the gap, furthest behind first."""
    return sorted(
        rows,
        key=lambda r: (
            STATUS_ORDER[r["status"]],
            r["gap"] if r["gap"] is not None else 1000,
            r["name"],
        ),
    )


def unit_report(unit, scope):
    """The unit's Report for scope.end, with the months of its chart."""
    start = max(scope.start, add_months(scope.end, 1 - CHART_MONTHS))
    months = [add_months(start, i) for i in range(month_count(start, scope.end))]
    targets = Targets(unit.company.pk)
    own_branch = unit.branch.pk if unit.branch else None
    total, parts = _read(unit, scope, add_months(start, -RECENT_MONTHS))
    deadline, target = covering_target(targets, scope.end, own_branch)
    rows = []
    if unit.level != "commune":
        for pk, name, by_month in parts:
            branch_id = pk if unit.level == "company" else own_branch
            rows.append(_row(pk, name, by_month, scope, targets, branch_id))
    series = {
        key: [rounded((total.get(m) or {}).get(field), 2) for m in months]
        for key, field, _label in BASES
    }
    return Report(
        unit=unit,
        scope=scope,
        name=unit.name(scope.names_on),
        months=months,
        headline=_headline(total, scope.end, target, deadline),
        rows=sort_rows(rows),
        series=series,
        targets=[targets.for_month(m, own_branch) for m in months],
    )


def latest_month(branch_ids):
    """The month a report defaults to: the one the dashboard's default range ends with."""
    return metrics.latest_period(branch_ids)
