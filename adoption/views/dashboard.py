"""Dashboard pages: company overview, one branch's communes, channel partners.

The pages read only what their headline figures and tables need (a few months of the rollups,
through adoption.metrics); the charts, and the plain tables that stand in for them, are drawn
in the browser from the JSON endpoints named in data- attributes (adoption.charts).
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig

from .. import metrics
from ..charts import MEASURES, MIX_KEYS, commune_names, district_name
from ..exports import export_response
from ..filters import DashboardFilterForm
from ..permissions import dashboard_branches, get_branch_for_user, sees_whole_company
from ..summaries import (
    Targets,
    area_rows,
    area_summary,
    furthest_behind_first,
    outreach_activities,
    payee_rows,
    payees,
    rates_at,
    rates_by_key,
    snapshot_months,
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
    if not branches:
        return render(request, "adoption/empty.html")
    if not sees_whole_company(request.user):
        # Branch staff see one branch: its page is their overview, and a "company" line
        # drawn from that branch alone would mislead.
        url = reverse("dashboard:branch", args=[branches[0].code])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    form, scope = _filter(request, branches)
    targets = Targets(branches[0].company_id)
    branch_rows = rates_at(
        snapshot_months(scope.end),
        group="branch",
        branch_ids=[b.pk for b in branches],
        customer_types=scope.customer_types,
    )
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
    mix = _choice(request, "mix", MIX_KEYS)
    context = {
        "headline": area_summary(
            rates_by_key(totals_by_period(branch_rows), None).get(None, {}),
            scope.end,
            targets.for_month(scope.end),
        ),
        "mix": mix,
        "table": table,
    }
    return _page(request, "adoption/overview.html", context, scope, form, [("mix", mix)])


@login_required
def branch(request, code):
    metrics.ensure_fresh()
    dashboard_branches(request.user)  # refuses users without a role before any lookup
    branch = get_branch_for_user(request.user, code)
    form, scope = _filter(request, [branch])
    target = Targets(branch.company_id).for_month(scope.end, branch.pk)
    commune_rows = rates_at(
        snapshot_months(scope.end),
        group="commune",
        branch_ids=[branch.pk],
        customer_types=scope.customer_types,
    )
    names = commune_names(commune_rows)
    areas = [{"id": pk, "name": name} for pk, name in sorted(names.items(), key=lambda i: i[1])]
    table = CommuneTable(
        furthest_behind_first(
            area_rows(commune_rows, "commune_id", areas, scope.end, lambda pk: target)
        )
    )
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    export = export_response(request, table, f"communes-{branch.code}-{scope.end:%Y-%m}")
    if export:
        return export
    context = {
        "branch": branch,
        "district": district_name(branch),
        "headline": area_summary(
            rates_by_key(totals_by_period(commune_rows), None).get(None, {}), scope.end, target
        ),
        "activities": outreach_activities(branch, scope.start, scope.end),
        "table": table,
    }
    return _page(request, "adoption/branch.html", context, scope, form)


@login_required
def channels(request):
    metrics.ensure_fresh()
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
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
    context = {"measure": measure, "table": table}
    return _page(request, "adoption/channels.html", context, scope, form, [("measure", measure)])
