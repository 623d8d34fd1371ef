"""Chart JSON: {"labels": [...], "datasets": [...]}, for the interactions that redraw a chart
(grouping, measure) and for other clients. A page embeds the same data, from the same summary
(adoption.summaries), for its first paint.

Every request is checked in full, as a page is: the session, the user's role and branches, the
filters; only then is the answer read from the cache (adoption.dashboard_cache).
"""

from functools import partial, wraps

from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from .. import summaries
from ..charts import MEASURES, MIX_KEYS
from ..dashboard_cache import data_version, remember
from ..permissions import dashboard_branches, sees_whole_company
from .dashboard import filter_form, provisional, visible_branch

EMPTY = {"labels": [], "datasets": []}


class InvalidOption(Exception):
    pass


def _option(request, name, allowed):
    value = request.GET.get(name, allowed[0])
    if value not in allowed:
        raise InvalidOption(name)
    return value


def _json(payload, status=200):
    response = JsonResponse(payload, status=status)
    # One user's figures: never kept by a shared cache, nor on a shared computer's disk.
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Cookie"])
    return response


def chart_view(permit=None):
    """A chart's JSON view: view(request, answer, scope, branches, **url kwargs) returns the chart
    data, where answer(summary, *args) is the cached summary of this data version.

    permit(user): whether the user may have this chart at all (checked before anything else).
    """

    def decorate(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not request.user.is_authenticated:
                raise PermissionDenied  # JSON callers get 403, not a login page
            version = data_version()
            branches = dashboard_branches(request.user)
            if permit is not None and not permit(request.user):
                raise PermissionDenied
            if not branches:
                return _json(EMPTY)
            form, scope = filter_form(request, version, branches)
            if not form.is_valid():
                return _json({"errors": form.errors}, status=400)
            try:
                chart = view(request, partial(remember, version), scope, branches, *args, **kwargs)
            except InvalidOption as error:
                return _json({"errors": {str(error): [_("Not a valid choice.")]}}, status=400)
            return _json(provisional(version, chart, branches))

        return checked

    return decorate


@chart_view(permit=sees_whole_company)
def adoption(request, answer, scope, branches):
    return answer(summaries.adoption_chart, scope, branches)


@chart_view()
def channel_mix(request, answer, scope, branches):
    by = _option(request, "by", MIX_KEYS)
    code = request.GET.get("branch")
    if code:
        branches = [visible_branch(branches, code)]
    return answer(summaries.channel_mix_chart, scope, branches, by=by)


@chart_view()
def branch(request, answer, scope, branches, code):
    return answer(summaries.branch_chart, scope, visible_branch(branches, code))


@chart_view()
def partners(request, answer, scope, branches):
    measure = _option(request, "measure", MEASURES)
    return answer(summaries.partner_chart, scope, branches, measure=measure)
