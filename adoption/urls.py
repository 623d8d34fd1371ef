from django.urls import include, path

from .views import dashboard, outreach

outreach_urls = [
    path("", outreach.activity_list, name="list"),
    path("new", outreach.activity_new, name="new"),
    path("<int:pk>/edit", outreach.activity_edit, name="edit"),
    path("effect/", outreach.effect, name="effect"),
    path("totals/", outreach.totals, name="totals"),
    path("funnel/", outreach.funnel_view, name="funnel"),
]

urlpatterns = [
    path("", include(([path("", dashboard.overview, name="overview")], "dashboard"))),
    path("outreach/", include((outreach_urls, "outreach"))),
]
