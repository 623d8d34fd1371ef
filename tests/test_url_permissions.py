"""Every URL of the project, found by walking the URL configuration, so views added later are
checked without touching this file: anonymous users are sent to log in or refused, a logged-in
account without a role is refused, branch staff are refused other branches.

Skipped here because they have their own checks: the admin (Django's own permission system,
see test_the_admin_refuses_...), the language switch, login, logout, the password reset
(test_password_reset.py) and the health checks (public by design, see test_security.py and
test_health.py)."""

import itertools
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpResponse, JsonResponse
from django.urls import (
    Resolver404,
    URLPattern,
    URLResolver,
    get_resolver,
    include,
    path,
    resolve,
    reverse,
)
from django.utils.regex_helper import normalize

from adoption.permissions import get_branch_for_user

# The outreach service worker holds URLs only, and browsers fetch it for updates after a session
# has ended (test_outreach_offline.py).
PUBLIC = {
    "login",
    "logout",
    "set_language",
    "healthz",
    "healthz-queue",
    "readyz",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "sw",
    # Signed links in report emails: the token is the permission (test_report_emails.py).
    "unsubscribe",
    "mute-alert",
}
SKIPPED_PREFIXES = ("admin/", "i18n/")
BRANCH_PARAMETERS = {"branch", "branch_code", "code"}
# Pages bound to the user's own branch (entry, planning, household lookup): superusers
# correct such records in the admin.
BRANCH_STAFF_PAGES = {"outreach/new", "outreach/plans/new", "outreach/lookup/"}

# Values tried for each path parameter, in order; the first combination that resolves back to
# the same view is used. Branch codes are those of the `branches` fixture.
NAMED_VALUES = {
    "branch": ["BQ"],
    "branch_code": ["BQ"],
    "code": ["BQ"],
    "period": ["2024-01"],
    "year": ["2024"],
}
GENERIC_VALUES = ["BQ", "1", "2024-01", "2024-01-01", "2024", "x", str(uuid.UUID(int=1))]


@dataclass(frozen=True)
class Endpoint:
    route: str  # the URL with %(name)s placeholders
    params: tuple
    name: str
    callback: object

    def url(self, urlconf=None, **overrides):
        for values in itertools.product(
            *(NAMED_VALUES.get(p, []) + GENERIC_VALUES for p in self.params)
        ):
            kwargs = {**dict(zip(self.params, values, strict=True)), **overrides}
            url = "/" + self.route % kwargs
            try:
                match = resolve(url, urlconf)
            except Resolver404:
                continue
            if match.func is self.callback:
                return url
        raise AssertionError(f"no sample value fits {self.route}: add one to NAMED_VALUES")

    def __str__(self):
        return self.route


def _walk(patterns, prefix="", prefix_params=()):
    for pattern in patterns:
        route, params = normalize(pattern.pattern.regex.pattern)[0]
        route, params = prefix + route, (*prefix_params, *params)
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, route, params)
        elif isinstance(pattern, URLPattern):
            yield Endpoint(route, params, pattern.name or "", pattern.callback)


def _endpoints(urlconf=None):
    found = []
    for endpoint in _walk(get_resolver(urlconf).url_patterns):
        if endpoint.route.startswith(SKIPPED_PREFIXES) or endpoint.name in PUBLIC:
            continue
        found.append(endpoint)
    return found


ENDPOINTS = _endpoints()
BRANCH_ENDPOINTS = [e for e in ENDPOINTS if BRANCH_PARAMETERS & set(e.params)]
LOGIN_PATH = reverse(settings.LOGIN_URL)


def _refused(response, *, statuses):
    """A refusal: one of these statuses, or a redirect to the login page."""
    if response.status_code == 302:
        return response["Location"].startswith(LOGIN_PATH)
    return response.status_code in statuses


def test_the_walk_finds_the_project_urls():
    routes = {str(endpoint) for endpoint in ENDPOINTS}
    assert "" in routes  # the overview
    assert not any(route.startswith(SKIPPED_PREFIXES) for route in routes)


# A small URL configuration to prove the walk and the checks on views that do not exist yet.


def _open_view(request, **kwargs):
    return HttpResponse("data for anyone")


@login_required
def _branch_view(request, branch):
    get_branch_for_user(request.user, branch)
    return JsonResponse({"branch": branch})


SAMPLE_URLCONF = "tests.test_url_permissions"
urlpatterns = [
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("open/<int:pk>/", _open_view, name="open"),
    path(
        "nested/<str:branch>/",
        include(([path("rates.json", _branch_view, name="rates")], "charts")),
    ),
    path("admin/", include(([path("x", _open_view)], "admin"))),
]


def test_the_walk_fills_parameters_through_includes_and_skips_the_admin():
    endpoints = {str(e): e for e in _endpoints(SAMPLE_URLCONF)}
    assert sorted(endpoints) == ["nested/%(branch)s/rates.json", "open/%(pk)s/"]
    assert endpoints["open/%(pk)s/"].url(SAMPLE_URLCONF) == "/open/1/"
    assert endpoints["nested/%(branch)s/rates.json"].url(SAMPLE_URLCONF, branch="QB") == (
        "/nested/QB/rates.json"
    )


@pytest.mark.urls(SAMPLE_URLCONF)
def test_the_checks_catch_an_open_view_and_pass_a_guarded_one(client, client_for, users):
    assert not _refused(client.get("/open/1/"), statuses={401, 403, 405})
    assert _refused(client.get("/nested/QB/rates.json"), statuses={401, 403, 405})
    staff = client_for(users["staff_bq"])
    assert _refused(staff.get("/nested/QB/rates.json"), statuses={403, 404, 405})
    assert staff.get("/nested/BQ/rates.json").json() == {"branch": "BQ"}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_anonymous_users_are_sent_to_login_or_refused(client, endpoint):
    url = endpoint.url()
    get, post = client.get(url), client.post(url)
    assert _refused(get, statuses={401, 403, 405}), (url, get.status_code)
    assert _refused(post, statuses={401, 403, 405}), (url, post.status_code)
    assert {get.status_code, post.status_code} != {405}, url


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=str)
def test_an_account_without_a_role_is_refused(client_for, users, endpoint):
    client = client_for(users["outsider"])
    url = endpoint.url()
    for response in (client.get(url), client.post(url)):
        assert _refused(response, statuses={403, 404, 405}), (url, response.status_code)


@pytest.mark.parametrize("endpoint", BRANCH_ENDPOINTS, ids=str)
def test_branch_staff_are_refused_another_branch(client_for, users, branches, endpoint):
    client = client_for(users["staff_bq"])
    param = next(p for p in endpoint.params if p in BRANCH_PARAMETERS)
    url = endpoint.url(**{param: branches["qb"].code})
    for response in (client.get(url), client.post(url)):
        assert _refused(response, statuses={403, 404, 405}), (url, response.status_code)


@pytest.mark.parametrize(
    "endpoint",
    [e for e in ENDPOINTS if set(e.params) <= BRANCH_PARAMETERS],
    ids=str,
)
def test_a_superuser_is_let_in_where_the_others_are_refused(client_for, users, endpoint):
    # Proves the refusals above come from permission checks, not from broken URLs.
    user = users["staff_bq"] if str(endpoint) in BRANCH_STAFF_PAGES else users["admin"]
    response = client_for(user).get(endpoint.url())
    assert response.status_code in (200, 405), (endpoint.url(), response.status_code)


def test_the_admin_refuses_an_account_that_is_not_staff(client_for, users):
    response = client_for(users["outsider"]).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
