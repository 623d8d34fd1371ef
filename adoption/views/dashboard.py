"""Dashboard pages: company overview, one branch's communes, channel partners.

Each page checks the user, reads its rows and figures and its charts' data from
adoption.summaries through the one cache (adoption.dashboard_cache), and embeds the charts' data
in the page, so the first paint costs one request. The charts' JSON views (adoption.views.charts)
answer the interactions that redraw a chart.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from .. import closing, reported_figures, standings, summaries
from ..charts import MEASURES, MIX_KEYS
from ..dashboard_cache import freshness, page_html, remember
from ..exports import EXPORT_FORMATS, export_response
from ..filters import DashboardFilterForm
from ..outlook import BASES, DEFAULT_BASE, base_of
from ..permissions import dashboard_branches, sees_whole_company
from ..tables import (
    CommuneTable,
    DistrictTable,
    OutreachActivityTable,
    PartnerTable,
    rate_column,
)

PER_PAGE = 25


def filter_form(request, version, branches):
    """The filter form of a page or chart, and the Scope it yields; the default range ends at
    the newest month these branches have data for that is not still open (adoption.closing)."""
    ids = [b.pk for b in branches]
    form = DashboardFilterForm(
        request.GET, latest=lambda: remember(version, closing.default_month, ids)
    )
    return form, form.scope()


def visible_branch(branches, code):
    """The branch of this code among the user's dashboard_branches, or 404: the answer of
    permissions.get_branch_for_user without asking the database again."""
    for branch in branches:
        if branch.code == code:
            return branch
    raise Http404


def choice(request, name, allowed):
    value = request.GET.get(name)
    return value if value in allowed else allowed[0]


def _table(request, table_class, rows, base=None):
    """The page's table, sorted and paged as the URL asks; `base` (an AreaTable's) names the
    rate column's base.

    The page size is ours: django-tables2 would take ?per_page= as it comes (-1 answered 500).
    A page number that is not one shows the first page, one past the end the last.
    """
    table = table_class(rows, extra_columns=[rate_column(base)] if base else None)
    RequestConfig(request, paginate=False).configure(table)  # the sort
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    try:
        table.paginate(page=max(number, 1), per_page=PER_PAGE)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    return table


def exporting(request):
    return request.GET.get("_export") in EXPORT_FORMATS


def _base_query(base):
    """The base as query options: the default stays out of URLs."""
    return {"base": base} if base != DEFAULT_BASE else {}


def _base_context(base):
    """What the base switch (adoption/_base_switch.html) and the filter form need."""
    return {
        "base": base,
        "bases": [(key, label) for key, (_rate, label) in BASES.items()],
        "base_label": BASES[base][1],
    }


def _with_links(rows, scope, target, base=DEFAULT_BASE):
    """Table rows with the URL their name links to, carrying the page's filters and base
    (drill-down keeps them); target(row) -> (view name, args)."""
    query = scope.query(**_base_query(base))
    return [
        {**row, "url": f"{reverse(target(row)[0], args=target(row)[1])}?{query}"} for row in rows
    ]


def _chart(viewname, scope, data, *args, switch=None, **options):
    """A chart as its template draws it: the embedded data, the JSON URL that redraws it and,
    for a chart with a switch (switch=(option, choices)), the JSON URL of each choice."""
    path = reverse(viewname, args=args)
    chart = {"url": f"{path}?{scope.query(**options)}", "data": data}
    if switch:
        name, allowed = switch
        chart["switch"] = {
            value: f"{path}?{scope.query(**{**options, name: value})}" for value in allowed
        }
    return chart


def provisional(version, chart, branches):
    """A chart's data with the open months it shows marked: the script draws them dashed and
    labelled "tạm tính" (adoption.closing)."""
    return {**chart, **closing.chart_marks(chart["labels"], open_months(version, branches))}


def open_months(version, branches):
    """The months still open for these branches' companies, read once per data version (a
    month's status change is a new version)."""
    return remember(version, closing.open_periods, [b.pk for b in branches])


def page_context(request, fresh, scope, form):
    """What every dashboard page shows beside its own figures: the filters and the freshness
    of the figures (the last completed fill's; the worker brings newer changes in)."""
    return {
        "form": form,
        "scope": scope,
        "query": scope.query(),
        "data_as_of": fresh.data_as_of,
        "updating": fresh.updating,
        "sees_whole_company": sees_whole_company(request.user),
    }


def _page(request, name, fresh, branches, scope, form, build, keep=()):
    """The page adoption/<name>.html around its drawn part adoption/_<name>_body.html (kept by
    dashboard_cache.page_html): build() gives the part's own context, this adds what every
    dashboard page shows. Drawn only when the cache has no copy for this URL and version."""

    def context():
        return {
            **build(),
            # Months still open are provisional: named, never the default (adoption.closing).
            **closing.marks(scope.end, open_months(fresh.version, branches)),
            "keep": keep,
            **page_context(request, fresh, scope, form),
        }

    drawn = page_html(fresh, request, branches, f"adoption/_{name}_body.html", context)
    return render(request, f"adoption/{name}.html", drawn)


@login_required
def overview(request):
    fresh = freshness()
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
    if not sees_whole_company(request.user):
        # Branch staff see one branch: its page is their overview, and a "company" line
        # drawn from that branch alone would mislead.
        url = reverse("dashboard:branch", args=[branches[0].code])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    form, scope = filter_form(request, fresh.version, branches)
    base = base_of(request)

    def districts():
        data = remember(fresh.version, summaries.overview, scope, branches, base=base)
        standing = remember(fresh.version, standings.districts, scope, branches)
        rows = standings.merged(data["rows"], standing["rows"], "sort" in request.GET)
        rows = _with_links(rows, scope, lambda row: ("dashboard:branch", [row["code"]]), base)
        return data, standing, _table(request, DistrictTable, rows, base)

    if exporting(request):
        return export_response(
            request,
            districts()[2],
            "districts",
            scope=scope,
            sheet=_("Districts"),
            note=lambda: reported_figures.export_label(branches[0].company, scope.end),
        )

    mix = choice(request, "mix", MIX_KEYS)

    def build():
        data, standing, table = districts()
        adoption = remember(fresh.version, summaries.adoption_chart, scope, branches, base=base)
        mixed = remember(fresh.version, summaries.channel_mix_chart, scope, branches, by=mix)
        return {
            "adoption_chart": _chart(
                "dashboard:chart-adoption",
                scope,
                provisional(fresh.version, adoption, branches),
                **_base_query(base),
            ),
            "mix_chart": _chart(
                "dashboard:chart-channel-mix",
                scope,
                provisional(fresh.version, mixed, branches),
                by=mix,
                switch=("by", MIX_KEYS),
            ),
            "headline": standings.with_difference(data["headline"]),
            "flows": standing["flows"],
            "mix": mix,
            "table": table,
            **_base_context(base),
            # The base switch keeps the channel mix's grouping too.
            "switch_query": scope.query(mix=mix if mix != MIX_KEYS[0] else None),
        }

    keep = [("mix", mix), *_base_query(base).items()]
    return _page(request, "overview", fresh, branches, scope, form, build, keep)


@login_required
def branch(request, code):
    fresh = freshness()
    # Refuses users without a role before any lookup.
    branch = visible_branch(dashboard_branches(request.user), code)
    form, scope = filter_form(request, fresh.version, [branch])
    base = base_of(request)

    def communes():
        data = remember(fresh.version, summaries.branch, scope, branch, base=base)
        standing = remember(fresh.version, standings.communes, scope, branch)
        rows = standings.merged(data["rows"], standing["rows"], "sort" in request.GET)
        rows = _with_links(rows, scope, lambda row: ("dashboard:commune", [code, row["id"]]), base)
        return data, standing, _table(request, CommuneTable, rows, base)

    if exporting(request):
        return export_response(
            request,
            communes()[2],
            f"communes-{branch.code}",
            scope=scope,
            sheet=_("Communes"),
            note=lambda: reported_figures.export_label(branch.company, scope.end),
        )

    def build():
        data, standing, table = communes()
        chart = remember(fresh.version, summaries.branch_chart, scope, branch, base=base)
        mixed = remember(fresh.version, summaries.channel_mix_chart, scope, [branch], by="kind")
        return {
            "title": data["name"],
            "branch_chart": _chart(
                "dashboard:chart-branch",
                scope,
                provisional(fresh.version, chart, [branch]),
                branch.code,
                **_base_query(base),
            ),
            "mix_chart": _chart(
                "dashboard:chart-channel-mix",
                scope,
                provisional(fresh.version, mixed, [branch]),
                by="kind",
                branch=branch.code,
            ),
            "branch": branch,
            "district": data["name"],
            "headline": standings.with_difference(data["headline"]),
            "flows": standing["flows"],
            "activities": OutreachActivityTable(data["activities"]),
            "table": table,
            **_base_context(base),
        }

    keep = list(_base_query(base).items())
    return _page(request, "branch", fresh, [branch], scope, form, build, keep)


@login_required
def channels(request):
    fresh = freshness()
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
    form, scope = filter_form(request, fresh.version, branches)

    def partners():
        rows = remember(fresh.version, summaries.partners, scope, branches)
        return _table(request, PartnerTable, rows)

    if exporting(request):
        return export_response(
            request, partners(), "partners", scope=scope, sheet=_("Channel partners")
        )
    measure = choice(request, "measure", MEASURES)

    def build():
        chart = remember(fresh.version, summaries.partner_chart, scope, branches, measure=measure)
        return {
            "partner_chart": _chart(
                "dashboard:chart-partners",
                scope,
                provisional(fresh.version, chart, branches),
                measure=measure,
                switch=("measure", MEASURES),
            ),
            "measure": measure,
            "table": partners(),
        }

    return _page(request, "channels", fresh, branches, scope, form, build, [("measure", measure)])


@login_required
def freshness_view(request):
    """{updating, data_as_of}: what a page's "updating" mark polls until the worker is done."""
    dashboard_branches(request.user)  # refuses an account without a role
    fresh = freshness()
    as_of = fresh.data_as_of and fresh.data_as_of.isoformat()
    response = JsonResponse({"updating": fresh.updating, "data_as_of": as_of})
    response["Cache-Control"] = "no-store"
    return response
