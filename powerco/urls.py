from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from adoption.views.health import healthz, queue

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("healthz/queue", queue, name="healthz-queue"),
    path("", include("adoption.urls")),
]
