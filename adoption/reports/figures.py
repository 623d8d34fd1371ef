"""A unit's figures for one month, on the three bases, read through adoption.metrics.

Everything the page, the PDF, the XLSX and the emails show comes from `unit_report`, so the
four say the same thing. The counts are the dashboard's (monthly_rates, summed with
area_rows.totals_by_period), so a rate here equals the dashboard's for the same unit, month
and filters.

Status, gap, pace and forecast are the dashboard's (adoption.outlook, on the customer base).
"""

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from .. import closing, metrics, target_status
from ..area_labels import branch_label
from ..area_rows import rates_by_key, rounded, totals_by_period
from ..models import Branch
from ..months import add_months, month_count
from ..outlook import history_start, outlook
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

STATUS_LABELS = target_status.LABELS


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
        worse = (target_status.WILL_MISS, target_status.BEHIND)
        behind = [r for r in self.rows if r["status"] in worse]
        return behind[:BEHIND_COUNT]

    def fingerprint(self):
        """What the figures say, compactly: two reports with one fingerprint say the same."""
        parts = [self.name, f"{self.month:%Y-%m}", repr(sorted(self.headline.items()))]
        parts += [repr(sorted(row.items())) for row in self.rows]
        return "|".join(parts)


def covering_target(targets, month, branch_id=None):
    """(deadline month, rate) of the target covering `month`, or (None, None)."""
    return targets.covering(month, branch_id) or (None, None)


def base_figures(by_month, end, target, deadline):
    """{base key: figures} of one unit at month `end`; by_month: {period: monthly_rates row}.
    Targets are set on the customer base: pace, forecast and status are that base's, from the
    dashboard's own outlook (adoption.outlook), so a report never says "met" where the
    dashboard says "behind"; the bills and VND bases are shown beside it, not judged."""
    now = by_month.get(end) or {}
    covering = (deadline, target) if deadline is not None else None
    judged = outlook(list(by_month.values()), end, covering)
    result = {}
    for key, rate_field, _label in BASES:
        rate = now.get(rate_field)
        last_month = (by_month.get(add_months(end, -1)) or {}).get(rate_field)
        customers = key == "customers"
        result[key] = {
            "rate": rounded(rate),
            "target": target if customers else None,
            # Positive when ahead of the target ("Chênh lệch so với chỉ tiêu").
            "gap": judged.gap if customers else None,
            "change_1m": rounded(rate - last_month) if None not in (rate, last_month) else None,
            "recent_gain": judged.pace.last_3m if customers else None,
            "pace_needed": judged.pace.needed if customers else None,
            "status": judged.status if customers else None,
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
    return target_status.by_status(rows)


def unit_report(unit, scope):
    """The unit's Report for scope.end, with the months of its chart."""
    start = max(scope.start, add_months(scope.end, 1 - CHART_MONTHS))
    months = [add_months(start, i) for i in range(month_count(start, scope.end))]
    targets = Targets(unit.company.pk)
    own_branch = unit.branch.pk if unit.branch else None
    # The forecast reads the outlook's own span of history, whatever the chart shows.
    total, parts = _read(
        unit, scope, min(add_months(start, -RECENT_MONTHS), history_start(scope.end))
    )
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
    """The month a report defaults to: the one the dashboard's default range ends with (the
    latest month that is not still open)."""
    return closing.default_month(branch_ids)
