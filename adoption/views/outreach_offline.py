"""The service worker that keeps the outreach pages usable without a connection."""

import hashlib

from django.http import HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse

# What a phone keeps for offline use: the entry form (with the branch's place list in it), the
# list, the "where next" ranking, and their CSS and JS.
OFFLINE_PAGES = ("outreach:new", "outreach:list", "outreach:next")
OFFLINE_ASSETS = ("adoption/app.css", "adoption/outreach.css", "adoption/outreach.js")


def service_worker(request):
    """/outreach/sw.js, so that its scope is /outreach/. Open to anonymous requests: it holds
    no data, only URLs, and a browser checks it for updates whether or not the session is
    still valid (a redirect to the login page would break the worker)."""
    pages = [reverse(name) for name in OFFLINE_PAGES]
    assets = [static(path) for path in OFFLINE_ASSETS]
    # The asset URLs carry their content hash in production: a new release, a new cache.
    version = hashlib.sha256("\n".join(pages + assets).encode()).hexdigest()[:12]
    script = render_to_string(
        "adoption/outreach_sw.js", {"pages": pages, "assets": assets, "version": version}
    )
    response = HttpResponse(script, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("outreach:list")
    response["Cache-Control"] = "no-cache"
    return response
