"""Dashboard pages: company overview, one branch's communes, channel partners.

Every page reads the rollups through adoption.metrics (a handful of GROUP BY queries), renders
its tables and the plain-table alternatives of its charts, and names the JSON endpoints its
charts load in data- attributes.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig

from .. import metrics
from ..charts import (
    MEASURES,
    MIX_KEYS,
    adoption_chart,
    branch_chart,
    channel_mix_chart,
    commune_names,
    district_name,
    outreach_per_month,
    partner_chart,
)
from ..exports import export_response
from ..filters import DashboardFilterForm
from ..months import add_months, month_range
from ..permissions import dashboard_branches, get_branch_for_user, sees_whole_company
from ..summaries import (
    Targets,
    area_rows,
    area_summary,
    furthest_behind_first,
    outreach_activities,
    payee_rows,
    payees,
    rates_by_key,
    totals_by_period,
)
from ..tables import CommuneTable, DistrictTable, PartnerTable

PER_PAGE = 25


def _filter(request, branches):
    ids = [b.pk for b in branches]
    form = DashboardFilterForm(request.GET, latest=lambda: metrics.latest_period(ids))
    return form, form.scope()


def _choice(request, name, allowed):
    value = request.GET.get(name)
    return value if value in allowed else allowed[0]


def _since(scope):
    """Reads reach 12 months before the range so every change column has its baseline."""
    return min(scope.start, add_months(scope.end, -12))


def _in_range(rows, scope):
    return [row for row in rows if row["period"] >= scope.start]


def _page(request, template, context, scope, form, keep=()):
    context.update(
        keep=keep,
        form=form,
        scope=scope,
        query=scope.query(),
        data_as_of=metrics.data_as_of(),
        sees_whole_company=sees_whole_company(request.user),
    )
    return render(request, template, context)


@login_required
def overview(request):
    metrics.ensure_fresh()
    branches = dashboard_branches(request.user)
    if not sees_whole_company(request.user):
        # Branch staff see one branch: its page is their overview, and a "company" line
        # drawn from that branch alone would mislead.
        url = reverse("dashboard:branch", args=[branches[0].code])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    form, scope = _filter(request, branches)
    ids = [b.pk for b in branches]
    targets = Targets(branches[0].company_id)
    reads = {"end": scope.end, "branch_ids": ids, "customer_types": scope.customer_types}
    branch_rows = metrics.monthly_rates(start=_since(scope), group="branch", **reads)

    areas = [{"id": b.pk, "code": b.code, "name": district_name(b)} for b in branches]
    table = DistrictTable(
        area_rows(
            branch_rows, "branch_id", areas, scope.end, lambda pk: targets.for_month(scope.end, pk)
        )
    )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    export = export_response(request, table, f"districts-{scope.end:%Y-%m}")
    if export:
        return export

    company_rows = totals_by_period(branch_rows)
    months = month_range(scope.start, scope.end)
    mix = _choice(request, "mix", MIX_KEYS)
    mix_rows = metrics.channel_mix(
        start=scope.start,
        by="kind" if mix == "kind" else "channel",
        channel_kinds=scope.channel_kinds,
        **reads,
    )
    context = {
        "headline": area_summary(
            rates_by_key(company_rows, None).get(None, {}),
            scope.end,
            targets.for_month(scope.end),
        ),
        "adoption_chart": adoption_chart(
            branches,
            months,
            _in_range(branch_rows, scope),
            _in_range(company_rows, scope),
            targets,
        ),
        "mix": mix,
        "mix_chart": channel_mix_chart(
            months, mix_rows, mix, payees(timezone.localdate()) if mix == "partner" else None
        ),
        "table": table,
    }
    return _page(request, "adoption/overview.html", context, scope, form, [("mix", mix)])


@login_required
def branch(request, code):
    metrics.ensure_fresh()
    dashboard_branches(request.user)  # refuses users without a role before any lookup
    branch = get_branch_for_user(request.user, code)
    form, scope = _filter(request, [branch])
    targets = Targets(branch.company_id)
    reads = {"end": scope.end, "branch_ids": [branch.pk], "customer_types": scope.customer_types}
    commune_rows = metrics.monthly_rates(start=_since(scope), group="commune", **reads)
    names = commune_names(commune_rows)
    areas = [{"id": pk, "name": name} for pk, name in sorted(names.items(), key=lambda i: i[1])]
    target = targets.for_month(scope.end, branch.pk)
    table = CommuneTable(
        furthest_behind_first(
            area_rows(commune_rows, "commune_id", areas, scope.end, lambda pk: target)
        )
    )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    export = export_response(request, table, f"communes-{branch.code}-{scope.end:%Y-%m}")
    if export:
        return export

    branch_rows = metrics.monthly_rates(start=_since(scope), group="branch", **reads)
    activities = outreach_activities(branch, scope.start, scope.end)
    months = month_range(scope.start, scope.end)
    mix_rows = metrics.channel_mix(
        start=scope.start, by="kind", channel_kinds=scope.channel_kinds, **reads
    )
    context = {
        "branch": branch,
        "district": district_name(branch),
        "headline": area_summary(
            rates_by_key(branch_rows, "branch_id").get(branch.pk, {}), scope.end, target
        ),
        "branch_chart": branch_chart(
            branch,
            months,
            _in_range(commune_rows, scope),
            _in_range(branch_rows, scope),
            targets,
            names,
            outreach_per_month(activities),
        ),
        "mix": "kind",
        "mix_chart": channel_mix_chart(months, mix_rows, "kind"),
        "activities": activities,
        "table": table,
    }
    return _page(request, "adoption/branch.html", context, scope, form)


@login_required
def channels(request):
    metrics.ensure_fresh()
    branches = dashboard_branches(request.user)
    form, scope = _filter(request, branches)
    payee_of = payees(timezone.localdate())
    rows = metrics.channel_mix(
        start=scope.start,
        end=scope.end,
        by="channel",
        branch_ids=[b.pk for b in branches],
        customer_types=scope.customer_types,
        channel_kinds=scope.channel_kinds,
    )
    table = PartnerTable(payee_rows(rows, payee_of, scope.end))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    export = export_response(request, table, f"partners-{scope.end:%Y-%m}")
    if export:
        return export
    measure = _choice(request, "measure", MEASURES)
    context = {
        "measure": measure,
        "partner_chart": partner_chart(
            month_range(scope.start, scope.end), rows, payee_of, measure
        ),
        "table": table,
        "branch_count": len(branches),
    }
    return _page(request, "adoption/channels.html", context, scope, form, [("measure", measure)])
