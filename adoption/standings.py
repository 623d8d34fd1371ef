"""Status and signed gap of every district (or every commune of a branch) for the tables, and
the flow figures beside the headline: read from 24 months of rollups so that each unit's
forecast (adoption.forecast) decides between "behind pace" and "will miss".

A page's table rows (adoption.summaries) get these merged in by the view, and are then sorted
worst status first, most behind first, unless the URL asks for another sort.
"""

from . import metrics
from .area_rows import rounded, totals_by_period
from .outlook import grouped, history_start, outlook
from .target_status import by_status
from .targets import Targets

NONE = {"status": None, "label": "", "gap": None}


def _standings(rows, key, end, covering):
    result = {}
    for unit_id, unit in grouped(rows, key).items():
        seen = outlook(unit, end, covering(unit_id))
        result[unit_id] = {
            "status": seen.status,
            "label": str(seen.standing.label),
            "gap": seen.gap,
        }
    return result


def _history(scope, group, branch_ids):
    return metrics.monthly_rates(
        start=history_start(scope.end),
        end=scope.end,
        group=group,
        branch_ids=branch_ids,
        customer_types=scope.customer_types,
        view=scope.view,
    )


def flows(rows, end):
    """The flow figures of the month `end` for all these rows together."""
    month = next((row for row in totals_by_period(rows) if row["period"] == end), None)
    if month is None:
        return None
    return {
        "new_noncash": month["new_noncash_customers"],
        "back_to_cash": month["back_to_cash_customers"],
        "retention_6m": rounded(month["retention_6m"]),
        "paying_rate": rounded(month["paying_rate"]),
    }


def districts(scope, branches):
    """{"rows": {branch id: standing}, "flows": the company's flows} for the overview."""
    targets = Targets(branches[0].company_id)
    rows = _history(scope, "branch", [b.pk for b in branches])
    return {
        "rows": _standings(
            rows, "branch_id", scope.end, lambda pk: targets.covering(scope.end, pk)
        ),
        "flows": flows(rows, scope.end),
    }


def communes(scope, branch):
    """{"rows": {commune id: standing}, "flows": the branch's flows} for the branch page; a
    commune is held to its branch's target."""
    covering = Targets(branch.company_id).covering(scope.end, branch.pk)
    rows = _history(scope, "commune", [branch.pk])
    return {
        "rows": _standings(rows, "commune_id", scope.end, lambda pk: covering),
        "flows": flows(rows, scope.end),
    }


def merged(rows, standings, sorted_by_url):
    """Table rows with their status and signed gap; worst first unless the URL sorts."""
    rows = [{**row, **standings.get(row["id"], NONE)} for row in rows]
    return rows if sorted_by_url else by_status(rows)


def with_difference(headline):
    """The headline with its signed difference from target (rate − target, + when ahead),
    what the card shows; its "gap" (target − rate) stays for the sorts that read it."""
    gap = headline.get("gap")
    return {**headline, "difference": None if gap is None else -gap}
