"""The monthly report of the company, a branch or a commune: a printable page and its PDF.

The same doors as the dashboard: users without a role are refused, branch staff see their own
branch only (another branch's report is 404, the company's sends them to their own), and the
month and filters come from the same query string as the dashboard's (`end` is the month).
"""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from ..dashboard_cache import freshness
from ..filters import DashboardFilterForm
from ..models import AdminArea, BranchTerritory
from ..permissions import (
    dashboard_branches,
    get_branch_for_user,
    is_manager,
    sees_whole_company,
)
from ..reports import pdf, svg, text
from ..reports.figures import Unit, latest_month, unit_report
from ..reports.links import report_path


def _scope(request, branch_ids):
    form = DashboardFilterForm(request.GET, latest=lambda: latest_month(branch_ids))
    return form, form.scope()


def _respond(request, unit, branch_ids, as_pdf):
    form, scope = _scope(request, branch_ids)
    report = unit_report(unit, scope)
    fresh = freshness()
    if as_pdf:
        as_of = fresh.data_as_of and f"{fresh.data_as_of:%d/%m/%Y %H:%M}"
        response = HttpResponse(pdf.render(report, as_of), content_type="application/pdf")
        name = f"report-{unit.key()}-{scope.end:%Y-%m}{'-now' if scope.view == 'now' else ''}"
        response["Content-Disposition"] = f'inline; filename="{name}.pdf"'
        return response
    context = {
        "report": report,
        "title": text.title(report),
        "view_text": text.view_text(scope),
        "filters_text": text.filters_text(scope),
        "deadline_text": text.deadline_text(report),
        "base_headers": text.base_headers(),
        "base_lines": text.base_lines(report),
        "row_headers": text.row_headers(report),
        "rows": [text.row_cells(row) for row in report.rows],
        "chart": svg.chart(report),
        "bars": svg.bars(report),
        "pdf_url": report_path(unit, pdf=True),
        "scope": scope,
        "form": form,
        "query": scope.query(),
        "data_as_of": fresh.data_as_of,
        "sees_whole_company": sees_whole_company(request.user),
        "manages_subscriptions": is_manager(request.user),
    }
    return render(request, "adoption/report.html", context)


def _company(request, as_pdf):
    branches = dashboard_branches(request.user)
    if not branches:
        return render(request, "adoption/empty.html")
    if not sees_whole_company(request.user):
        url = reverse(
            "dashboard:report-branch-pdf" if as_pdf else "dashboard:report-branch",
            args=[branches[0].code],
        )
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)
    unit = Unit(company=branches[0].company)
    return _respond(request, unit, [b.pk for b in branches], as_pdf)


def _branch(request, code, as_pdf, commune_id=None):
    dashboard_branches(request.user)  # refuses users without a role before any lookup
    branch = get_branch_for_user(request.user, code)
    commune = None
    if commune_id is not None:
        if not BranchTerritory.objects.filter(branch=branch, commune_id=commune_id).exists():
            raise Http404
        commune = AdminArea.objects.get(pk=commune_id)
    unit = Unit(company=branch.company, branch=branch, commune=commune)
    return _respond(request, unit, [branch.pk], as_pdf)


@login_required
def company_report(request):
    return _company(request, as_pdf=False)


@login_required
def company_report_pdf(request):
    return _company(request, as_pdf=True)


@login_required
def branch_report(request, code):
    return _branch(request, code, as_pdf=False)


@login_required
def branch_report_pdf(request, code):
    return _branch(request, code, as_pdf=True)


@login_required
def commune_report(request, code, commune_id):
    return _branch(request, code, as_pdf=False, commune_id=commune_id)


@login_required
def commune_report_pdf(request, code, commune_id):
    return _branch(request, code, as_pdf=True, commune_id=commune_id)
