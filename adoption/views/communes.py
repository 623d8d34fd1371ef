"""The commune page (one commune of a branch) and the map of communes.

Both are scoped like the branch page: a user reaches a commune only through a branch they may
see (permissions.get_branch_for_user), and only a commune that branch serves or has served.
Their figures come from one summary each (adoption.commune_summary, adoption.map_summary)
through the dashboard's cache; the drawn part of the page (SVG and tables, the costly part to
render) is kept per URL beside them (dashboard_cache.page_html), as the dashboard pages' are.
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from ..area_labels import area_labels, branch_label
from ..commune_summary import commune_summary
from ..commune_tables import CommuneMonthTable, MapTable
from ..dashboard_cache import freshness, page_html
from ..dashboard_cache import remember as remembered
from ..exports import export_response
from ..map_summary import map_summary
from ..models import AdminArea, BranchTerritory
from ..outlook import BASES, base_of
from ..permissions import dashboard_branches, get_branch_for_user
from .dashboard import exporting, filter_form, page_context


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
    dashboard_branches(request.user)  # refuses users without a role first
    branch = get_branch_for_user(request.user, code)
    commune = _commune_of(branch, pk)
    form, scope = filter_form(request, fresh.version, [branch])
    base = base_of(request)
    data = remembered(fresh.version, commune_summary, scope, branch, commune.pk, highlight=base)
    return fresh, branch, commune, form, scope, base, data


@login_required
def commune(request, code, pk):
    fresh, branch, commune, form, scope, base, data = _commune_data(request, code, pk)
    if exporting(request):
        name = f"commune-{branch.code}-{commune.code or commune.pk}"
        table = CommuneMonthTable(data["months"])
        return export_response(request, table, name, scope=scope, sheet=_("Month by month"))

    def build():
        commune_name = area_labels([commune])[commune.pk]
        return {
            **page_context(request, fresh, scope, form),
            "title": commune_name,
            "branch": branch,
            "commune": commune,
            "commune_name": commune_name,
            "district": branch_label(branch, scope.names_on),
            "branch_url": f"{reverse('dashboard:branch', args=[branch.code])}?{scope.query()}",
            "data": data,
            "outlook": data["outlook"],
            "table": CommuneMonthTable(data["months"]),
            "base": base,
            "bases": [(key, label) for key, (_rate, label) in BASES.items()],
            "keep": [("base", base)] if base != "customers" else [],
        }

    drawn = page_html(fresh, request, [branch], "adoption/_commune_body.html", build)
    return render(request, "adoption/commune.html", drawn)


@login_required
def commune_json(request, code, pk):
    """The commune's months as JSON, for whoever builds on the page's figures."""
    _fresh, _branch, _commune, _form, scope, _base, data = _commune_data(request, code, pk)
    months = [{**row, "month": f"{row['month']:%Y-%m}"} for row in data["months"]]
    return JsonResponse(
        {"start": f"{scope.start:%Y-%m}", "end": f"{scope.end:%Y-%m}", "months": months}
    )


@login_required
def area_map(request):
    fresh = freshness()
    branches = dashboard_branches(request.user)
    form, scope = filter_form(request, fresh.version, branches)
    data = remembered(fresh.version, map_summary, scope, branches)
    query = scope.query()

    def table():
        return MapTable([{**row, "url": f"{row['url']}?{query}"} for row in data["rows"]])

    if exporting(request):
        return export_response(request, table(), "communes-map", scope=scope, sheet=_("Communes"))

    def build():
        return {
            **page_context(request, fresh, scope, form),
            "data": data,
            "circles": [{**c, "url": f"{c['url']}?{query}"} for c in data["circles"]],
            "table": table(),
            "keep": [],
        }

    drawn = page_html(fresh, request, branches, "adoption/_map_body.html", build)
    return render(request, "adoption/map.html", drawn)
