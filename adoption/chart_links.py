"""Chart URLs signed by the page that shows them, so a cached chart is sent without the database.

A dashboard page has just checked the user, the branches they may see and the data version.
The chart URLs it renders carry those two facts, signed with SECRET_KEY; the signature also
covers the URL's path and query string and the browser's session cookie. A chart request
whose link verifies is answered from the chart cache (adoption.dashboard_cache) with no query at
all: not the session, not the user, not the data version. Anything else (no link, a bad or
expired one, another browser's cookie, a cache miss) takes the full path, which checks
everything again, so a link can only make an answer faster, never wider.

The cost of the speed, and why it is bounded: for CHART_LINK_SECONDS after the page was shown,
its charts can still be read with that browser's cookie even if the user logged out or lost a
role meanwhile. The charts hold district and commune rates, no personal data, and the page
itself showed the same figures. A link never reaches the logs (the access log drops the query
string) and is useless without the session cookie.
"""

from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.http import QueryDict
from django.urls import reverse

PARAM = "link"
SALT = "adoption.chart-link"


def canonical_query(params):
    """The query string without the link, keys and values sorted: the same chart, the same text."""
    return urlencode(
        sorted((key, sorted(values)) for key, values in params.lists() if key != PARAM), doseq=True
    )


def _signer(request, path, params):
    session = request.COOKIES.get(settings.SESSION_COOKIE_NAME, "")
    salt = "\n".join([SALT, session, path, canonical_query(params)])
    return signing.TimestampSigner(salt=salt)


class ChartLinks:
    """Signs the chart URLs of one page: same filters as the page, same branches, same data."""

    def __init__(self, request, scope, branch_ids, version):
        self.request = request
        self.scope = scope
        self.vouched = {"b": sorted(branch_ids), "v": version}

    def url(self, viewname, *args, **extra):
        path = reverse(viewname, args=args)
        query = self.scope.query(**extra)
        token = _signer(self.request, path, QueryDict(query)).sign_object(self.vouched)
        return f"{path}?{query}&{PARAM}={token}"


def verify(request):
    """(data version, branch ids) the page vouched for, or None when the link does not hold."""
    token = request.GET.get(PARAM)
    if not token or settings.SESSION_COOKIE_NAME not in request.COOKIES:
        return None
    if settings.CHART_LINK_SECONDS <= 0:  # the shortcut turned off
        return None
    try:
        vouched = _signer(request, request.path, request.GET).unsign_object(
            token, max_age=settings.CHART_LINK_SECONDS
        )
    except signing.BadSignature:  # also an expired link
        return None
    return vouched["v"], vouched["b"]
