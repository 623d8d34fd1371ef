"""Chart data: builders shared by the pages (for their table alternatives) and the JSON views.

The JSON views use django-chartjs's BaseLineChartView, but answer with labels and datasets only:
its default context is a TemplateView's, which carries the view object and the URL kwargs.
Every series has a value (None or 0) for every month label.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from chartjs.colors import next_color
from chartjs.views.lines import BaseLineChartView
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import chart_links, closing, dashboard_cache, metrics
from .area_labels import area_labels, branch_label
from .choices import ChannelKind
from .filters import DashboardFilterForm
from .models import AdminArea
from .months import month_label, month_range
from .permissions import dashboard_branches, get_branch_for_user, sees_whole_company
from .summaries import Targets, outreach_activities, payees, rate_series, totals_by_period

# Okabe-Ito, then Tableau: distinguishable for colour-blind readers, in print and on a phone.
PALETTE = [
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (140, 86, 75),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
]
TOTAL_STYLE = {
    "borderColor": "rgb(29, 39, 51)",
    "backgroundColor": "rgb(29, 39, 51)",
    "borderWidth": 4,
    "order": -1,
}
TARGET_STYLE = {
    "borderColor": "rgb(179, 38, 30)",
    "backgroundColor": "rgb(179, 38, 30)",
    "borderDash": [6, 4],
    "borderWidth": 2,
    "pointRadius": 0,
    "stepped": "before",
}
OUTREACH_STYLE = {
    "type": "bar",
    "yAxisID": "outreach",
    "borderColor": "rgba(11, 92, 173, 0.35)",
    "backgroundColor": "rgba(11, 92, 173, 0.35)",
    "order": 1,
}
MIX_KEYS = ("kind", "partner")
MEASURES = ("payments", "amount")


@dataclass
class Series:
    label: str
    data: list
    style: dict = field(default_factory=dict)


@dataclass
class Chart:
    labels: list
    series: list

    def as_dict(self):
        """The chart as the JSON views send it."""
        colors = next_color(PALETTE)
        datasets = []
        for series in self.series:
            color = "rgb({}, {}, {})".format(*next(colors))
            style = {"borderColor": color, "backgroundColor": color, **series.style}
            datasets.append({"label": str(series.label), "data": series.data, **style})
        return {"labels": self.labels, "datasets": datasets}


def label_month(scope):
    """The month whose names label the figures: the last one shown as it was, today as it is
    now."""
    return timezone.localdate() if scope.view == "now" else scope.end


def district_name(branch, on=None):
    """The branch's label for figures of month `on` (adoption.area_labels.branch_label)."""
    return branch_label(branch, on)


def adoption_chart(branches, months, branch_rows, company_rows, targets, label_on=None):
    """Adoption rate per district, the company line bold, the target dashed. Branches are
    named as they were at label_on (default: the last month)."""
    by_branch = rate_series(branch_rows, "branch_id", months)
    company = rate_series(company_rows, None, months).get(None, [None] * len(months))
    on = label_on or (months[-1] if months else None)
    series = [
        Series(district_name(b, on), by_branch.get(b.pk, [None] * len(months))) for b in branches
    ]
    series.append(Series(_("Whole company"), company, TOTAL_STYLE))
    series.append(Series(_("Target"), [targets.for_month(m) for m in months], TARGET_STYLE))
    return Chart([month_label(m) for m in months], series)


def commune_names(rows):
    """{commune id: name} for the communes in these monthly_rates rows (one query); two
    communes of one name (the old and the new Tân Quang) are told apart."""
    ids = {row["commune_id"] for row in rows}
    return area_labels(AdminArea.objects.filter(pk__in=ids).select_related("parent"))


def branch_chart(
    branch, months, commune_rows, branch_rows, targets, names, outreach_counts, label_on=None
):
    """Adoption rate per commune of one branch, the branch bold, target dashed, outreach bars."""
    by_commune = rate_series(commune_rows, "commune_id", months)
    series = [
        Series(names[pk], data)
        for pk, data in sorted(by_commune.items(), key=lambda item: names[item[0]])
    ]
    whole = rate_series(branch_rows, "branch_id", months).get(branch.pk, [None] * len(months))
    on = label_on or (months[-1] if months else None)
    series.append(Series(district_name(branch, on), whole, TOTAL_STYLE))
    series.append(
        Series(_("Target"), [targets.for_month(m, branch.pk) for m in months], TARGET_STYLE)
    )
    series.append(
        Series(
            _("Outreach activities"),
            [outreach_counts.get(m, 0) for m in months],
            OUTREACH_STYLE,
        )
    )
    return Chart([month_label(m) for m in months], series)


def channel_mix_chart(months, mix_rows, by, payee_of=None):
    """Payments per month stacked by channel kind (mix_rows by kind) or partner (by channel)."""
    totals = defaultdict(lambda: defaultdict(int))
    names = {}
    for row in mix_rows:
        if by == "kind":
            key = row["kind"]
            names[key] = ChannelKind(key).label
        else:
            payee = payee_of[row["channel_id"]]
            key = payee.key
            names[key] = payee.name
        totals[key][row["period"]] += row["payments"]
    if by == "kind":
        order = [kind for kind in ChannelKind.values if kind in totals]
    else:
        order = sorted(totals, key=lambda key: str(names[key]))
    series = [
        Series(names[key], [totals[key].get(m, 0) for m in months], {"stack": "mix"})
        for key in order
    ]
    return Chart([month_label(m) for m in months], series)


def partner_chart(months, mix_rows, payee_of, measure):
    """Payments (or VND) per partner and month, from channel_mix(by="channel") rows."""
    totals = defaultdict(lambda: defaultdict(int))
    for row in mix_rows:
        totals[payee_of[row["channel_id"]].key][row["period"]] += row[measure]
    payee_list = {p.key: p for p in payee_of.values()}
    series = [
        Series(payee_list[key].name, [totals[key].get(m, 0) for m in months])
        for key in sorted(totals, key=lambda key: payee_list[key].name)
    ]
    return Chart([month_label(m) for m in months], series)


def outreach_per_month(activities):
    """{month: number of activities} from outreach activities already read."""
    counts = defaultdict(int)
    for activity in activities:
        counts[activity.date.replace(day=1)] += 1
    return counts


class DashboardChartView(LoginRequiredMixin, BaseLineChartView):
    """A django-chartjs JSON view that sends {"labels": [...], "datasets": [...]} and nothing else.

    Subclasses implement build(scope) -> Chart; self.branches holds what the user may see.
    """

    raise_exception = True  # JSON callers get 403, not a login page.

    def permit(self, user):
        """Raise PermissionDenied for a user who may not have this chart (before the cache)."""

    def get(self, request, *args, **kwargs):
        version = dashboard_cache.data_version()
        self.branches = dashboard_branches(request.user)
        self.permit(request.user)
        if not self.branches:
            return JsonResponse({"labels": [], "datasets": []})
        ids = [b.pk for b in self.branches]
        key = dashboard_cache.key(type(self).__qualname__, request, version, ids)
        content = dashboard_cache.get(key)
        if content is None:
            form = DashboardFilterForm(request.GET, latest=lambda: closing.default_month(ids))
            if not form.is_valid():
                return JsonResponse({"errors": form.errors}, status=400)
            self.scope = form.scope()
            self.months = month_range(self.scope.start, self.scope.end)
            content = self.convert_context_to_json(self.get_context_data()).encode()
            dashboard_cache.put(key, content)
        return self.get_json_response(content)

    def get_json_response(self, content, **kwargs):
        response = super().get_json_response(content, **kwargs)
        # One user's figures: never kept by a shared cache, nor on a shared computer's disk.
        patch_cache_control(response, private=True, no_store=True)
        patch_vary_headers(response, ["Cookie"])
        return response

    @cached_property
    def chart(self):
        return self.build(self.scope)

    def get_context_data(self, **kwargs):
        # Not super(): TemplateView's context would add the view object and the URL kwargs.
        # Open months are drawn provisional (dashed, labelled) by the page's script.
        chart = self.chart.as_dict()
        return {**chart, **closing.chart_marks(chart["labels"], [b.pk for b in self.branches])}

    def get_labels(self):
        return self.chart.labels

    def get_datasets(self):
        return self.chart.as_dict()["datasets"]

    def option(self, name, allowed):
        value = self.request.GET.get(name, allowed[0])
        if value not in allowed:
            raise InvalidOption(name)
        return value

    def dispatch(self, request, *args, **kwargs):
        # A link signed by the page that shows this chart, answered from the cache before
        # anything reads the session or the database (adoption.chart_links).
        vouched = request.method == "GET" and chart_links.verify(request)
        if vouched:
            content = dashboard_cache.get(
                dashboard_cache.key(type(self).__qualname__, request, *vouched)
            )
            if content is not None:
                return self.get_json_response(content)
        try:
            return super().dispatch(request, *args, **kwargs)
        except InvalidOption as error:
            return JsonResponse(
                {"errors": {str(error): [str(_("Not a valid choice."))]}}, status=400
            )


class InvalidOption(Exception):
    pass


class AdoptionChartView(DashboardChartView):
    def permit(self, user):
        if not sees_whole_company(user):
            raise PermissionDenied

    def build(self, scope):
        ids = [b.pk for b in self.branches]
        branch_rows = metrics.monthly_rates(
            start=scope.start,
            end=scope.end,
            group="branch",
            branch_ids=ids,
            customer_types=scope.customer_types,
            view=scope.view,
        )
        return adoption_chart(
            self.branches,
            self.months,
            branch_rows,
            totals_by_period(branch_rows),
            Targets(self.branches[0].company_id),
            label_on=label_month(scope),
        )


class ChannelMixChartView(DashboardChartView):
    def build(self, scope):
        by = self.option("by", MIX_KEYS)
        code = self.request.GET.get("branch")
        ids = (
            [get_branch_for_user(self.request.user, code).pk]
            if code
            else [b.pk for b in self.branches]
        )
        rows = metrics.channel_mix(
            start=scope.start,
            end=scope.end,
            by="kind" if by == "kind" else "channel",
            branch_ids=ids,
            customer_types=scope.customer_types,
            channel_kinds=scope.channel_kinds,
            view=scope.view,
        )
        payee_of = payees(timezone.localdate()) if by == "partner" else None
        return channel_mix_chart(self.months, rows, by, payee_of)


class BranchChartView(DashboardChartView):
    def build(self, scope):
        branch = get_branch_for_user(self.request.user, self.kwargs["code"])
        kwargs = {
            "start": scope.start,
            "end": scope.end,
            "branch_ids": [branch.pk],
            "customer_types": scope.customer_types,
            "view": scope.view,
        }
        commune_rows = metrics.monthly_rates(group="commune", **kwargs)
        return branch_chart(
            branch,
            self.months,
            commune_rows,
            metrics.monthly_rates(group="branch", **kwargs),
            Targets(branch.company_id),
            commune_names(commune_rows),
            outreach_per_month(outreach_activities(branch, scope.start, scope.end)),
            label_on=label_month(scope),
        )


class PartnerChartView(DashboardChartView):
    def build(self, scope):
        measure = self.option("measure", MEASURES)
        rows = metrics.channel_mix(
            start=scope.start,
            end=scope.end,
            by="channel",
            branch_ids=[b.pk for b in self.branches],
            customer_types=scope.customer_types,
            channel_kinds=scope.channel_kinds,
            view=scope.view,
        )
        return partner_chart(self.months, rows, payees(timezone.localdate()), measure)
