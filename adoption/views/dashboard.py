"""Dashboard pages: company overview, one branch's communes, channel partners.

The pages read only what their headline figures and tables need (a few months of the rollups,
through adoption.metrics); the charts, and the plain tables that stand in for them, are drawn
in the browser from the JSON endpoints named in data- attributes (adoption.charts), through
links the page signs (adoption.chart_links). What a page reads from the rollups, and its
table's HTML, are cached per data version (adoption.dashboard_cache): a page seen before costs
its permission checks and the rendering of what is particular to the user.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import EmptyPage
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django_tables2 import RequestConfig

from .. import closing, metrics
from ..chart_links import ChartLinks
from ..charts import MEASURES, MIX_KEYS, commune_names, district_name, label_month
from ..dashboard_cache import PageCache, freshness
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


def _filter(request, ids, cached):
    def latest():
        return cached.remember("latest", lambda: closing.default_month(ids))

    form = DashboardFilterForm(request.GET, latest=latest)
    return form, form.scope()


def _choice(request, name, allowed):
    value = request.GET.get(name)
    return value if value in allowed else allowed[0]


def _view_suffix(scope):
    """Exports name the view in their file name: as it is now ends in "-now"."""
    return "-now" if scope.view == "now" else ""


def _table(request, table_class, rows, filename, note=None):
    """The page's table, sorted and paged as the URL asks; or the response that exports it.

    The page size is ours: django-tables2 would take ?per_page= as it comes (-1 answered 500).
    A page number that is not one shows the first page, one past the end the last.
    """
    table = table_class(rows)
    RequestConfig(request, paginate=False).configure(table)  # the sort
    try:
        number = int(request.GET.get("page", 1))
    except ValueError:
        number = 1
    try:
        table.paginate(page=max(number, 1), per_page=PER_PAGE)
    except EmptyPage:
        table.page = table.paginator.page(table.paginator.num_pages)
    return table, export_response(request, table, filename, note)


def _page(request, template, context, scope, form, cached, fresh, keep=()):
    context.update(
        # Months still open are provisional: named, never the default (adoption.closing).
        # A status change is a new data version, so this is read once per version too.
        **cached.remember("provisional", lambda: closing.marks(scope.end, cached.branch_ids)),
        # The table is the costliest part to draw: drawn once per data version and query.
        table_key=cached.key,
        table_seconds=settings.DASHBOARD_CACHE_SECONDS,
        keep=keep,
        form=form,
        scope=scope,
        query=scope.query(),
        # The last completed fill's figures; the worker brings newer changes in.
        data_as_of=fresh.data_as_of,
        updating=fresh.updating,
        sees_whole_company=sees_whole_company(request.user),
    )
    return render(request, template, context)


@login_required
def overview(request):
    fresh = freshness()
    version = fresh.version
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
    if not sees_whole_company(request.user):
        # Branch staff see one branch: its page is their overview, and a "company" line
        # drawn from that branch alone would mislead.
        url = reverse("dashboard:branch", args=[branches[0].code])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    ids = [b.pk for b in branches]
    cached = PageCache("overview", request, version, ids)
    form, scope = _filter(request, ids, cached)

    def read():
        targets = Targets(branches[0].company_id)
        rows = rates_at(
            snapshot_months(scope.end),
            group="branch",
            branch_ids=ids,
            customer_types=scope.customer_types,
            view=scope.view,
        )
        on = label_month(scope)
        areas = [{"id": b.pk, "code": b.code, "name": district_name(b, on)} for b in branches]
        company = rates_by_key(totals_by_period(rows), None).get(None, {})
        return {
            "rows": area_rows(
                rows, "branch_id", areas, scope.end, lambda pk: targets.for_month(scope.end, pk)
            ),
            "headline": area_summary(company, scope.end, targets.for_month(scope.end)),
        }

    data = cached.remember("data", read)
    table, export = _table(
        request,
        DistrictTable,
        data["rows"],
        f"districts-{scope.end:%Y-%m}{_view_suffix(scope)}",
        note=lambda: closing.export_label(branches[0].company, scope.end),
    )
    if export:
        return export
    mix = _choice(request, "mix", MIX_KEYS)
    links = ChartLinks(request, scope, ids, version)
    context = {
        "adoption_url": links.url("dashboard:chart-adoption"),
        "mix_url": links.url("dashboard:chart-channel-mix", by=mix),
        "headline": data["headline"],
        "mix": mix,
        "table": table,
    }
    return _page(
        request, "adoption/overview.html", context, scope, form, cached, fresh, [("mix", mix)]
    )


@login_required
def branch(request, code):
    fresh = freshness()
    version = fresh.version
    branches = dashboard_branches(request.user)  # refuses users without a role before any lookup
    branch = get_branch_for_user(request.user, code)
    ids = [b.pk for b in branches]
    cached = PageCache("branch", request, version, ids)
    form, scope = _filter(request, [branch.pk], cached)

    def read():
        target = Targets(branch.company_id).for_month(scope.end, branch.pk)
        rows = rates_at(
            snapshot_months(scope.end),
            group="commune",
            branch_ids=[branch.pk],
            customer_types=scope.customer_types,
            view=scope.view,
        )
        names = commune_names(rows)
        areas = [{"id": pk, "name": name} for pk, name in sorted(names.items(), key=lambda i: i[1])]
        branch_total = rates_by_key(totals_by_period(rows), None).get(None, {})
        return {
            "rows": furthest_behind_first(
                area_rows(rows, "commune_id", areas, scope.end, lambda pk: target)
            ),
            "headline": area_summary(branch_total, scope.end, target),
            "activities": outreach_activities(branch, scope.start, scope.end),
        }

    data = cached.remember("data", read)
    table, export = _table(
        request,
        CommuneTable,
        data["rows"],
        f"communes-{branch.code}-{scope.end:%Y-%m}{_view_suffix(scope)}",
        note=lambda: closing.export_label(branch.company, scope.end),
    )
    if export:
        return export
    links = ChartLinks(request, scope, ids, version)
    context = {
        "branch_url": links.url("dashboard:chart-branch", branch.code),
        "mix_url": links.url("dashboard:chart-channel-mix", by="kind", branch=branch.code),
        "branch": branch,
        "district": district_name(branch, label_month(scope)),
        "headline": data["headline"],
        "activities": data["activities"],
        "table": table,
    }
    return _page(request, "adoption/branch.html", context, scope, form, cached, fresh)


@login_required
def channels(request):
    fresh = freshness()
    version = fresh.version
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
    ids = [b.pk for b in branches]
    cached = PageCache("channels", request, version, ids)
    form, scope = _filter(request, ids, cached)

    def read():
        rows = metrics.channel_mix(
            start=scope.start,
            end=scope.end,
            by="channel",
            branch_ids=ids,
            customer_types=scope.customer_types,
            channel_kinds=scope.channel_kinds,
            view=scope.view,
        )
        return payee_rows(rows, payees(timezone.localdate()), scope.end)

    rows = cached.remember("rows", read)
    table, export = _table(
        request, PartnerTable, rows, f"partners-{scope.end:%Y-%m}{_view_suffix(scope)}"
    )
    if export:
        return export
    measure = _choice(request, "measure", MEASURES)
    links = ChartLinks(request, scope, ids, version)
    context = {
        "partner_url": links.url("dashboard:chart-partners", measure=measure),
        "measure": measure,
        "table": table,
    }
    return _page(
        request,
        "adoption/channels.html",
        context,
        scope,
        form,
        cached,
        fresh,
        [("measure", measure)],
    )


@login_required
def freshness_view(request):
    """{updating, data_as_of}: what a page's "updating" mark polls until the worker is done."""
    dashboard_branches(request.user)  # refuses an account without a role
    fresh = freshness()
    as_of = fresh.data_as_of and fresh.data_as_of.isoformat()
    response = JsonResponse({"updating": fresh.updating, "data_as_of": as_of})
    response["Cache-Control"] = "no-store"
    return response
