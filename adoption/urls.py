from django.urls import include, path

from .views import dashboard

urlpatterns = [
    path("", include(([path("", dashboard.overview, name="overview")], "dashboard"))),
]
