"""What each dashboard page and chart shows: one function per page or chart, shared by the page
(which embeds its charts' data for the first paint) and the chart's JSON view.

Each function takes the filter Scope and the branches it covers (the views have checked that the
user may see them), reads the few aggregated rows it needs from adoption.metrics (one GROUP BY
query per grain) and returns plain data, so adoption.dashboard_cache can keep the answer.
"""

from django.utils import timezone

from . import charts, metrics
from .area_labels import area_labels, branch_label
from .area_rows import (
    area_rows,
    area_summary,
    furthest_behind_first,
    rates_by_key,
    snapshot_months,
    totals_by_period,
)
from .models import AdminArea, OutreachActivity
from .months import add_months, month_range
from .outlook import BASES, DEFAULT_BASE
from .payees import payee_rows, payees
from .targets import Targets


def _reads(scope, channels=False):
    """The filters every metrics read of this scope takes."""
    reads = {"customer_types": scope.customer_types, "view": scope.view}
    if channels:
        reads["channel_kinds"] = scope.channel_kinds
    return reads


def _ids(branches):
    return [b.pk for b in branches]


def commune_names(rows):
    """{commune id: name} for the communes in these monthly_rates rows (one query); two
    communes of one name (the old and the new Tân Quang) are told apart."""
    ids = {row["commune_id"] for row in rows}
    return area_labels(AdminArea.objects.filter(pk__in=ids).select_related("parent"))


def outreach_activities(branch, start, end):
    """The branch's outreach activities in the range, newest first (one query)."""
    return list(
        OutreachActivity.objects.filter(
            branch=branch, date__gte=start, date__lt=add_months(end, 1)
        ).select_related("commune", "village", "partner")
    )


# The pages.


def _rate_field(base):
    return BASES[base][0]


def overview(scope, branches, base=DEFAULT_BASE):
    """The company overview: one row per district and the company's headline figures, their
    rates on `base` (adoption.outlook.BASES); gaps stay on the customer base."""
    targets = Targets(branches[0].company_id)
    rows = metrics.monthly_rates(
        periods=snapshot_months(scope.end),
        group="branch",
        branch_ids=_ids(branches),
        **_reads(scope),
    )
    on = scope.names_on
    areas = [{"id": b.pk, "code": b.code, "name": branch_label(b, on)} for b in branches]
    company = rates_by_key(totals_by_period(rows), None).get(None, {})
    return {
        "rows": area_rows(
            rows,
            "branch_id",
            areas,
            scope.end,
            lambda pk: targets.for_month(scope.end, pk),
            _rate_field(base),
        ),
        "headline": area_summary(
            company, scope.end, targets.for_month(scope.end), _rate_field(base)
        ),
    }


def branch(scope, branch, base=DEFAULT_BASE):
    """One branch's page: its communes furthest behind first, its figures (rates on `base`),
    its outreach."""
    target = Targets(branch.company_id).for_month(scope.end, branch.pk)
    rows = metrics.monthly_rates(
        periods=snapshot_months(scope.end),
        group="commune",
        branch_ids=[branch.pk],
        **_reads(scope),
    )
    names = commune_names(rows)
    areas = [{"id": pk, "name": name} for pk, name in sorted(names.items(), key=lambda i: i[1])]
    branch_total = rates_by_key(totals_by_period(rows), None).get(None, {})
    return {
        "name": branch_label(branch, scope.names_on),
        "rows": furthest_behind_first(
            area_rows(rows, "commune_id", areas, scope.end, lambda pk: target, _rate_field(base))
        ),
        "headline": area_summary(branch_total, scope.end, target, _rate_field(base)),
        "activities": outreach_activities(branch, scope.start, scope.end),
    }


def _partner_mix(scope, branches):
    return metrics.channel_mix(
        start=scope.start,
        end=scope.end,
        by="channel",
        branch_ids=_ids(branches),
        **_reads(scope, channels=True),
    )


def partners(scope, branches):
    """The channel partners page: every partner's payments in the range and its last month."""
    return payee_rows(_partner_mix(scope, branches), payees(timezone.localdate()), scope.end)


# The charts.


def adoption_chart(scope, branches, base=DEFAULT_BASE):
    """Rate on `base` per district and month, the company line and (customers) the target."""
    rows = metrics.monthly_rates(
        start=scope.start,
        end=scope.end,
        group="branch",
        branch_ids=_ids(branches),
        **_reads(scope),
    )
    return charts.adoption_chart(
        branches,
        month_range(scope.start, scope.end),
        rows,
        totals_by_period(rows),
        Targets(branches[0].company_id),
        scope.names_on,
        _rate_field(base),
    ).as_dict()


def branch_chart(scope, branch, base=DEFAULT_BASE):
    """Rate on `base` per commune of one branch, the branch line, target and outreach bars."""
    reads = {"start": scope.start, "end": scope.end, "branch_ids": [branch.pk], **_reads(scope)}
    commune_rows = metrics.monthly_rates(group="commune", **reads)
    activities = outreach_activities(branch, scope.start, scope.end)
    return charts.branch_chart(
        branch,
        month_range(scope.start, scope.end),
        commune_rows,
        metrics.monthly_rates(group="branch", **reads),
        Targets(branch.company_id),
        commune_names(commune_rows),
        charts.outreach_per_month(activities),
        scope.names_on,
        _rate_field(base),
    ).as_dict()


def channel_mix_chart(scope, branches, by):
    """Payments per month stacked by channel kind (by="kind") or by partner (by="partner")."""
    rows = metrics.channel_mix(
        start=scope.start,
        end=scope.end,
        by="kind" if by == "kind" else "channel",
        branch_ids=_ids(branches),
        **_reads(scope, channels=True),
    )
    payee_of = payees(timezone.localdate()) if by == "partner" else None
    months = month_range(scope.start, scope.end)
    return charts.channel_mix_chart(months, rows, by, payee_of).as_dict()


def partner_chart(scope, branches, measure):
    """Payments (measure="payments") or VND ("amount") per partner and month."""
    months = month_range(scope.start, scope.end)
    rows = _partner_mix(scope, branches)
    return charts.partner_chart(months, rows, payees(timezone.localdate()), measure).as_dict()
