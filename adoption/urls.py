from django.urls import include, path

from . import charts
from .views import closing, dashboard, outreach, outreach_offline, outreach_plans

dashboard_urls = [
    path("", dashboard.overview, name="overview"),
    path("branches/<str:code>/", dashboard.branch, name="branch"),
    path("channels/", dashboard.channels, name="channels"),
    path("freshness/", dashboard.freshness_view, name="freshness"),
    path("months/", closing.month_list, name="months"),
    path("months/<str:month>/", closing.month_detail, name="month"),
    path("months/<str:month>/<str:step>/", closing.month_step, name="month-step"),
    path("charts/adoption/", charts.AdoptionChartView.as_view(), name="chart-adoption"),
    path("charts/channel-mix/", charts.ChannelMixChartView.as_view(), name="chart-channel-mix"),
    path("charts/branches/<str:code>/", charts.BranchChartView.as_view(), name="chart-branch"),
    path("charts/partners/", charts.PartnerChartView.as_view(), name="chart-partners"),
]

outreach_urls = [
    path("", outreach.activity_list, name="list"),
    path("new", outreach.activity_new, name="new"),
    path("<int:pk>/edit", outreach.activity_edit, name="edit"),
    path("effect/", outreach.effect, name="effect"),
    path("totals/", outreach.totals, name="totals"),
    path("funnel/", outreach.funnel_view, name="funnel"),
    path("next/", outreach_plans.where_next_view, name="next"),
    path("plans/", outreach_plans.plan_list, name="plans"),
    path("plans/new", outreach_plans.plan_new, name="plan-new"),
    path("lookup/", outreach_plans.household_lookup, name="lookup"),
    path("sw.js", outreach_offline.service_worker, name="sw"),
]

urlpatterns = [
    path("", include((dashboard_urls, "dashboard"))),
    path("outreach/", include((outreach_urls, "outreach"))),
]
