from django.urls import include, path

from .views import (
    charts,
    closing,
    communes,
    dashboard,
    outreach,
    outreach_offline,
    outreach_plans,
    report,
    subscriptions,
)

dashboard_urls = [
    path("", dashboard.overview, name="overview"),
    path("branches/<str:code>/", dashboard.branch, name="branch"),
    path("branches/<str:code>/communes/<int:pk>/", communes.commune, name="commune"),
    path(
        "branches/<str:code>/communes/<int:pk>/data.json",
        communes.commune_json,
        name="commune-json",
    ),
    path("map/", communes.area_map, name="map"),
    path("channels/", dashboard.channels, name="channels"),
    path("freshness/", dashboard.freshness_view, name="freshness"),
    path("reports/", report.company_report, name="report"),
    path("reports/pdf/", report.company_report_pdf, name="report-pdf"),
    path("reports/branches/<str:code>/", report.branch_report, name="report-branch"),
    path("reports/branches/<str:code>/pdf/", report.branch_report_pdf, name="report-branch-pdf"),
    path(
        "reports/branches/<str:code>/communes/<int:commune_id>/",
        report.commune_report,
        name="report-commune",
    ),
    path(
        "reports/branches/<str:code>/communes/<int:commune_id>/pdf/",
        report.commune_report_pdf,
        name="report-commune-pdf",
    ),
    path("reports/subscriptions/", subscriptions.subscription_list, name="subscriptions"),
    path(
        "reports/subscriptions/<int:pk>/delete/",
        subscriptions.subscription_delete,
        name="subscription-delete",
    ),
    path("reports/unsubscribe/<str:token>/", subscriptions.unsubscribe, name="unsubscribe"),
    path("reports/mute/<str:token>/", subscriptions.mute_alert, name="mute-alert"),
    path("months/", closing.month_list, name="months"),
    path("months/<str:month>/", closing.month_detail, name="month"),
    path("months/<str:month>/<str:step>/", closing.month_step, name="month-step"),
    path("charts/adoption/", charts.AdoptionChart.as_view(), name="chart-adoption"),
    path("charts/channel-mix/", charts.ChannelMixChart.as_view(), name="chart-channel-mix"),
    path("charts/branches/<str:code>/", charts.BranchChart.as_view(), name="chart-branch"),
    path("charts/partners/", charts.PartnerChart.as_view(), name="chart-partners"),
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
