"""The commune page (one commune of a branch) and the map of communes.

Both are scoped like the branch page: a user reaches a commune only through a branch they may
see (permissions.get_branch_for_user), and only a commune that branch serves or has served.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from .. import metrics
from ..area_labels import area_labels
from ..charts import district_name, label_month
from ..commune_summary import commune_summary
from ..commune_tables import CommuneMonthTable, MapTable
from ..dashboard_cache import PageCache, freshness
from ..exports import export_response
from ..filters import DashboardFilterForm
from ..map_summary import map_summary
from ..models import AdminArea, BranchTerritory
from ..outlook import BASES, base_of
from ..permissions import dashboard_branches, get_branch_for_user, sees_whole_company
from ..summaries import Targets


def _scope(request, branch_ids, cached):
    def latest():
        return cached.remember("latest", lambda: metrics.latest_period(branch_ids))

    form = DashboardFilterForm(request.GET, latest=latest)
    return form, form.scope()


def _commune_of(branch, pk):
    """The commune, when the branch serves it or once did; 404 otherwise (as for a branch the
    user may not see: the page does not tell which communes exist elsewhere)."""
    served = BranchTerritory.objects.filter(branch=branch, commune_id=pk).exists()
    commune = AdminArea.objects.filter(pk=pk).select_related("parent").first()
    if not served or commune is None:
        raise Http404
    return commune


def _commune_data(request, code, pk):
    fresh = freshness()
    branches = dashboard_branches(request.user)  # refuses users without a role first
    branch = get_branch_for_user(request.user, code)
    commune = _commune_of(branch, pk)
    cached = PageCache("commune", request, fresh.version, [b.pk for b in branches])
    form, scope = _scope(request, [branch.pk], cached)
    base = base_of(request)

    def read():
        targets = Targets(branch.company_id)
        return commune_summary(branch, commune.pk, scope, targets, highlight=base)

    data = cached.remember("data", read)
    return fresh, branch, commune, cached, form, scope, base, data


@login_required
def commune(request, code, pk):
    fresh, branch, commune, cached, form, scope, base, data = _commune_data(request, code, pk)
    table = CommuneMonthTable(data["months"])
    name = f"commune-{branch.code}-{commune.code or commune.pk}"
    export = export_response(request, table, name, scope=scope, sheet=_("Month by month"))
    if export:
        return export
    query = scope.query()
    context = {
        "branch": branch,
        "commune": commune,
        "commune_name": area_labels([commune])[commune.pk],
        "district": district_name(branch, label_month(scope)),
        "branch_url": f"{reverse('dashboard:branch', args=[branch.code])}?{query}",
        "data": data,
        "outlook": data["outlook"],
        "table": table,
        "table_key": cached.key,
        "table_seconds": settings.DASHBOARD_CACHE_SECONDS,
        "base": base,
        "bases": [(key, label) for key, (_rate, label) in BASES.items()],
        "form": form,
        "scope": scope,
        "query": query,
        "keep": [("base", base)] if base != "customers" else [],
        "data_as_of": fresh.data_as_of,
        "updating": fresh.updating,
        "sees_whole_company": sees_whole_company(request.user),
    }
    return render(request, "adoption/commune.html", context)


@login_required
def commune_json(request, code, pk):
    """The commune's months as JSON, for whoever builds on the page's figures."""
    _fresh, _branch, _commune, _cached, _form, scope, _base, data = _commune_data(request, code, pk)
    months = [{**row, "month": f"{row['month']:%Y-%m}"} for row in data["months"]]
    return JsonResponse(
        {"start": f"{scope.start:%Y-%m}", "end": f"{scope.end:%Y-%m}", "months": months}
    )


@login_required
def area_map(request):
    fresh = freshness()
    branches = dashboard_branches(request.user)
    ids = [b.pk for b in branches]
    cached = PageCache("map", request, fresh.version, ids)
    form, scope = _scope(request, ids, cached)
    data = cached.remember("data", lambda: map_summary(branches, scope))
    query = scope.query()
    rows = [{**row, "url": f"{row['url']}?{query}"} for row in data["rows"]]
    table = MapTable(rows)
    export = export_response(request, table, "communes-map", scope=scope, sheet=_("Communes"))
    if export:
        return export
    context = {
        "data": data,
        "circles": [{**c, "url": f"{c['url']}?{query}"} for c in data["circles"]],
        "table": table,
        "table_key": cached.key,
        "table_seconds": settings.DASHBOARD_CACHE_SECONDS,
        "form": form,
        "scope": scope,
        "query": query,
        "keep": [],
        "data_as_of": fresh.data_as_of,
        "updating": fresh.updating,
        "sees_whole_company": sees_whole_company(request.user),
    }
    return render(request, "adoption/map.html", context)
