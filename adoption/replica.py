"""Dashboard reads from a streaming replica, when one is configured and is up to date.

With DATABASE_REPLICA_URL set (powerco/settings.py), the dashboard's pages and chart JSON read
the rollups and the reference rows they show from the `replica` database; everything else
(sessions, users, roles, branches and profiles: who may see what; imports, outreach, the
admin, the worker) and every write stay on the primary.

A page never reads a replica older than the data it shows: at its first read of a rollup the
request compares the replica's Freshness (the data version, "data as of" and waiting changes:
adoption.dashboard_cache) with the primary's, and reads the replica only when they are equal.
A replica that lags behind a fill, whose replay is paused, or that does not answer, is not
read; one that does not answer is left alone for REPLICA_RETRY_SECONDS.
"""

import logging
import time
from contextvars import ContextVar

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
REPLICA_RETRY_SECONDS = 30
# The dashboard's URL namespace (adoption/urls.py): its pages and charts only read.
DASHBOARD_NAMESPACE = "dashboard"

log = logging.getLogger(__name__)

# Per request: None (not a dashboard read), "pending" (decide at the first routed read),
# or the alias decided on.
_route = ContextVar("replica_route", default=None)
_down_until = 0.0


def configured():
    return REPLICA in connections.settings


def replica_models():
    """The models whose rows the data version covers: rollups, and the references whose edits
    bump the version. Branches and companies are references too, but they also decide who
    sees what, so they are read from the primary."""
    from .dashboard_cache import REFERENCE_MODELS
    from .models import Branch, Company, rollups

    rollup_models = {
        value
        for value in vars(rollups).values()
        if isinstance(value, type) and getattr(value, "_meta", None) and not value._meta.abstract
    }
    return frozenset(rollup_models | set(REFERENCE_MODELS)) - {Branch, Company}


class ReplicaRouter:
    """Reads of replica_models() during a dashboard request go to the replica when it is
    current; everything else to the primary."""

    _models = None

    def db_for_read(self, model, **hints):
        if _route.get() is None or not configured():
            return None
        if ReplicaRouter._models is None:
            ReplicaRouter._models = replica_models()
        if model not in ReplicaRouter._models:
            return None
        if _route.get() == "pending":
            _route.set(choose())
        return _route.get()

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the primary's rows: objects from either may be related.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, **hints):
        # A physical replica follows the primary's schema; it cannot be migrated.
        return db != REPLICA


def choose():
    """The replica if it holds what the primary holds now, else the primary."""
    global _down_until
    from .dashboard_cache import freshness

    if time.monotonic() < _down_until:
        return DEFAULT_DB_ALIAS
    primary = freshness(using=DEFAULT_DB_ALIAS)
    try:
        replica = freshness(using=REPLICA)
    except DatabaseError:
        log.warning("replica unavailable: reading the primary", exc_info=True)
        connections[REPLICA].close()
        _down_until = time.monotonic() + REPLICA_RETRY_SECONDS
        return DEFAULT_DB_ALIAS
    return REPLICA if replica == primary else DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Marks GET and HEAD requests to the dashboard as replica reads; the router decides."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _route.set(None)
        try:
            return self.get_response(request)
        finally:
            _route.reset(token)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (
            configured()
            and request.method in ("GET", "HEAD")
            and match is not None
            and match.namespace == DASHBOARD_NAMESPACE
        ):
            _route.set("pending")


def current_route():
    """The alias this request reads the dashboard from (None: not decided, the primary)."""
    return _route.get()
