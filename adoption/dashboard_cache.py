"""The dashboard's one cache: the answers of adoption.summaries (a page's rows and figures, a
chart's data), and what the data version is.

An answer depends only on what its key names: the summary function, its arguments (the filter
Scope, the branches it covers, an option such as the chart's measure), the active language,
today's date (a partner's contract may lapse) and the data version: the last rollup fill plus
the last edit of the reference rows the dashboard also reads (targets, outreach, names of
branches, communes, channels, partners). A new version makes every older entry unreachable, as
a generation key does; entries also expire after DASHBOARD_CACHE_SECONDS. What is cached is
data: a table's sort, page and export are drawn from the same entry; only a page's drawn HTML is
kept per URL beside it (page_html). Permissions are checked by the views before an
answer is asked for, never cached.
"""

import hashlib
from datetime import UTC, datetime
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_delete, post_save
from django.template.loader import render_to_string
from django.utils import timezone, translation

from .filters import Scope
from .metrics.freshness import STATE_NAME
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
from .permissions import sees_whole_company

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


def freshness(using=DEFAULT_DB_ALIAS):
    """The rollups' Freshness: one read, never a fill (the worker fills; pages only read).

    Read from the primary unless `using` says otherwise (adoption.replica compares it)."""
    state = RollupState._meta.db_table
    sql = f"""
        SELECT (SELECT finished_at FROM {state} WHERE name = %s),
               (SELECT data_as_of FROM {state} WHERE name = %s),
               (SELECT finished_at FROM {state} WHERE name = %s),
               (SELECT MIN(marked_at) FROM {RollupDirty._meta.db_table})
    """
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [STATE_NAME, STATE_NAME, REFERENCES])
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


_MISSING = object()


def _part(value):
    """One argument of a summary as text: a scope by its query string, a model row by its key."""
    if isinstance(value, Scope):
        return value.query()
    if isinstance(value, list | tuple):
        return ",".join(sorted(_part(item) for item in value))
    return str(getattr(value, "pk", value))


def cached(version, parts, compute):
    """compute()'s value under a key of `parts` (what it depends on besides the data version,
    the language and the day), computed once."""
    parts = [
        version,
        translation.get_language(),
        timezone.localdate().isoformat(),
        *(_part(part) for part in parts),
    ]
    key = "dashboard:" + hashlib.sha256("\n".join(parts).encode()).hexdigest()
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = compute()
        cache.set(key, value, settings.DASHBOARD_CACHE_SECONDS)
    return value


def remember(version, summary, *args, **options):
    """summary(*args, **options): the answer of one summary, keyed on the summary and its
    arguments."""
    parts = [
        f"{summary.__module__}.{summary.__qualname__}",
        *args,
        *(f"{name}={_part(value)}" for name, value in sorted(options.items())),
    ]
    return cached(version, parts, lambda: summary(*args, **options))


def page_html(fresh, request, branches, template, build):
    """A page's drawn part: `template` rendered with the context build() returns, once per URL,
    data version, freshness mark and role; returns {"body": the HTML, "title": the context's}.

    Drawing is most of a page's cost (templates, django-tables2 cell by cell), and its sort,
    page and switch links echo every query parameter, so the key holds the whole URL; the rows
    themselves are remember()'s one entry. The drawn part must not hold anything of the user's
    own (a CSRF token, a name): base.html draws those around it on every request
    (tests/test_dashboard_cache.py checks the templates)."""

    def draw():
        context = build()
        return {"body": render_to_string(template, context, request), "title": context.get("title")}

    return cached(
        fresh.version,
        [
            template,
            request.get_full_path(),
            branches,
            fresh.data_as_of.isoformat() if fresh.data_as_of else "",
            fresh.updating,
            sees_whole_company(request.user),
        ],
        draw,
    )
