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
from datetime import UTC, datetime
from typing import NamedTuple
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
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


class Freshness(NamedTuple):
    """What the rollups hold, read in one query: the data version (the last fill and the last
    edit of the reference rows), their "data as of" moment, and since when changes wait for
    the worker (None: nothing waits)."""

    version: str
    data_as_of: datetime | None
    waiting_since: datetime | None

    @property
    def updating(self):
        return self.waiting_since is not None


def freshness():
    """The rollups' Freshness: one read, never a fill (the worker fills; pages only read)."""
    state = RollupState._meta.db_table
    sql = f"""
        SELECT (SELECT finished_at FROM {state} WHERE name = %s),
               (SELECT data_as_of FROM {state} WHERE name = %s),
               (SELECT finished_at FROM {state} WHERE name = %s),
               (SELECT MIN(marked_at) FROM {RollupDirty._meta.db_table})
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [metrics.STATE_NAME, metrics.STATE_NAME, REFERENCES])
        filled, as_of, references, waiting = (_as_datetime(v) for v in cursor.fetchone())
    version = "{}/{}".format(*(when and when.isoformat() for when in (filled, references)))
    if as_of is not None and waiting is not None:
        as_of = min(as_of, waiting)
    return Freshness(version, as_of, waiting)


def _as_datetime(value):
    # SQLite hands back raw SQL's datetimes as text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, UTC)
    return value


def data_version():
    """The version the cached charts and pages depend on (one query)."""
    return freshness().version


def references_changed(**kwargs):
    if kwargs.get("raw"):
        return
    now = timezone.now()
    if not RollupState.objects.filter(name=REFERENCES).update(finished_at=now):
        RollupState.objects.get_or_create(name=REFERENCES, defaults={"finished_at": now})


for model in REFERENCE_MODELS:
    post_save.connect(references_changed, sender=model, dispatch_uid=f"chart-cache-{model}")
    post_delete.connect(references_changed, sender=model, dispatch_uid=f"chart-cache-d-{model}")


def key(name, request, version, branch_ids, *, every_parameter=False):
    """The cache key of what `name` (a view or a page's part) answers to this request.

    A chart's answer does not depend on its signed link, so the link is left out of its key.
    A page's table HTML echoes every query parameter into its sort and page links, so a page's
    key holds them all (every_parameter): what is cached is then exactly what this URL draws.
    """
    query = (
        urlencode(sorted((k, sorted(v)) for k, v in request.GET.lists()), doseq=True)
        if every_parameter
        else chart_links.canonical_query(request.GET)
    )
    parts = [
        name,
        request.path,
        query,
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
        self.key = key(name, request, version, branch_ids, every_parameter=True)
        self.branch_ids = branch_ids

    def remember(self, part, compute):
        """compute()'s value (plain data), computed once per key."""
        part_key = f"{self.key}:{part}"
        value = get(part_key)
        if value is None:
            value = compute()
            put(part_key, value)
        return value
