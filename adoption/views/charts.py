"""Chart JSON: {"labels": [...], "datasets": [...]}, for the interactions that redraw a chart
(grouping, measure) and for other clients. A page embeds the same data, from the same summary
(adoption.summaries), for its first paint.

The views are django-chartjs line-chart views (its JSON response); what they send is the
summary's chart as it stands, so the page and its JSON cannot disagree. Every request is checked
in full, as a page is: the session, the user's role and branches, the filters; only then is the
answer read from the cache (adoption.dashboard_cache).
"""

from functools import partial

from chartjs.views.lines import BaseLineChartView
from django.core.exceptions import PermissionDenied
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from .. import summaries
from ..charts import MEASURES, MIX_KEYS
from ..dashboard_cache import data_version, remember
from ..outlook import BASES
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


class ChartView(BaseLineChartView):
    """One chart's JSON. Subclasses say whether a user may have it at all (permit) and which
    summary answers it: chart(answer, scope, branches, **url kwargs), where answer(summary,
    *args) is the cached summary of this data version."""

    http_method_names = ["get", "head", "options"]

    def permit(self, user):
        return True

    def get(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            raise PermissionDenied  # JSON callers get 403, not a login page
        version = data_version()
        branches = dashboard_branches(request.user)
        if not self.permit(request.user):
            raise PermissionDenied
        if not branches:
            return self.answer(EMPTY)
        form, scope = filter_form(request, version, branches)
        if not form.is_valid():
            return self.answer({"errors": form.errors}, status=400)
        try:
            chart = self.chart(partial(remember, version), scope, branches, **kwargs)
        except InvalidOption as error:
            return self.answer({"errors": {str(error): [_("Not a valid choice.")]}}, status=400)
        return self.answer(provisional(version, chart, branches))

    def answer(self, payload, status=200):
        response = self.get_json_response(self.convert_context_to_json(payload), status=status)
        # One user's figures: never kept by a shared cache, nor on a shared computer's disk.
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response


class AdoptionChart(ChartView):
    def permit(self, user):
        return sees_whole_company(user)

    def chart(self, answer, scope, branches):
        base = _option(self.request, "base", tuple(BASES))
        return answer(summaries.adoption_chart, scope, branches, base=base)


class ChannelMixChart(ChartView):
    def chart(self, answer, scope, branches):
        by = _option(self.request, "by", MIX_KEYS)
        code = self.request.GET.get("branch")
        if code:
            branches = [visible_branch(branches, code)]
        return answer(summaries.channel_mix_chart, scope, branches, by=by)


class BranchChart(ChartView):
    def chart(self, answer, scope, branches, code):
        base = _option(self.request, "base", tuple(BASES))
        return answer(summaries.branch_chart, scope, visible_branch(branches, code), base=base)


class PartnerChart(ChartView):
    def chart(self, answer, scope, branches):
        measure = _option(self.request, "measure", MEASURES)
        return answer(summaries.partner_chart, scope, branches, measure=measure)
