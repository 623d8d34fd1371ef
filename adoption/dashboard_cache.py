"""The dashboard's cached answers: chart JSON, and what the pages read from the rollups and
their tables' HTML.

These are the costly part of a dashboard request and depend only on what the key names: what
is asked for (a chart view or a page, the URL: a branch chart names its branch there, the
normalised query string with its filters, sort and page), the active language, today's date
(a partner's contract may lapse), the ids of the branches the user may see, and the data
version: the last rollup fill plus the last edit of the reference rows the dashboard also reads
(targets, outreach, names of branches, communes, channels, partners). A new version makes every
older entry unreachable; entries also expire after DASHBOARD_CACHE_SECONDS. Permissions are
checked before the cache is read, never cached: by the view itself, or for a chart by the page
that signed the chart's link (adoption.chart_links).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db.models import Exists
from django.db.models.signals import post_delete, post_save
from django.utils import timezone, translation

from . import chart_links, metrics
from .models import (
    AdminArea,
    Branch,
    ChannelClassification,
    Company,
    OutreachActivity,
    Partner,
    PaymentChannel,
    RollupDirty,
    RollupState,
    Target,
)

# The RollupState row whose finished_at records the last edit of a chart's reference rows.
REFERENCES = "chart-references"  # (named when only charts were cached)
REFERENCE_MODELS = (
    AdminArea,
    Branch,
    ChannelClassification,
    Company,
    OutreachActivity,
    Partner,
    PaymentChannel,
    Target,
)


def _states():
    """{state name: finished_at} and whether any rollup is marked dirty, in one query."""
    rows = list(
        RollupState.objects.filter(name__in=[metrics.STATE_NAME, REFERENCES])
        .annotate(dirty=Exists(RollupDirty.objects.all()))
        .values_list("name", "finished_at", "dirty")
    )
    states = {name: finished for name, finished, _ in rows}
    # Without any state row the annotation is not read: ask ensure_fresh() (one query).
    dirty = any(dirty for *_, dirty in rows) if rows else True
    return states, dirty


def data_version():
    """metrics.ensure_fresh(), then the version the cached charts depend on.

    One query when nothing is dirty and the state rows exist."""
    states, dirty = _states()
    if dirty:
        metrics.ensure_fresh()
        states, _ = _states()
    return "{}/{}".format(
        *(states.get(n) and states[n].isoformat() for n in (metrics.STATE_NAME, REFERENCES))
    )


def references_changed(**kwargs):
    if kwargs.get("raw"):
        return
    now = timezone.now()
    if not RollupState.objects.filter(name=REFERENCES).update(finished_at=now):
        RollupState.objects.get_or_create(name=REFERENCES, defaults={"finished_at": now})


for model in REFERENCE_MODELS:
    post_save.connect(references_changed, sender=model, dispatch_uid=f"chart-cache-{model}")
    post_delete.connect(references_changed, sender=model, dispatch_uid=f"chart-cache-d-{model}")


def key(name, request, version, branch_ids):
    """The cache key of what `name` (a view or a page's part) answers to this request."""
    parts = [
        name,
        request.path,
        chart_links.canonical_query(request.GET),
        translation.get_language(),
        timezone.localdate().isoformat(),
        ",".join(map(str, sorted(branch_ids))),
        version,
    ]
    return "dashboard:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()


def get(key):
    return cache.get(key)


def put(key, content):
    cache.set(key, content, settings.DASHBOARD_CACHE_SECONDS)


class PageCache:
    """The parts of one dashboard page drawn from the rollups, cached under the page's key."""

    def __init__(self, name, request, version, branch_ids):
        self.key = key(name, request, version, branch_ids)

    def remember(self, part, compute):
        """compute()'s value (plain data), computed once per key."""
        part_key = f"{self.key}:{part}"
        value = get(part_key)
        if value is None:
            value = compute()
            put(part_key, value)
        return value
