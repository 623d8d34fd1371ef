import logging

from django.db import DatabaseError, connection, transaction
from django.db.models import Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ..choices import ImportStatus
from ..models import ImportBatch, RollupDirty, RollupState

logger = logging.getLogger(__name__)
# A readiness probe waits this long for the database, at most.
READY_STATEMENT_MS = 2000


@never_cache
def healthz(request):
    """A constant answer: the container health check, and the framework's ceiling in bench/load.sh.

    It touches neither the database nor the session, so it says the process serves requests,
    nothing more: /readyz says whether it can serve data.
    """
    return HttpResponse("ok\n", content_type="text/plain")


@never_cache
def readyz(request):
    """200 when the database answers a read of one of our tables, 503 otherwise.

    For the load balancer or an uptime check: it opens a connection (DB_CONNECT_TIMEOUT) and
    reads a row of the rollup state (so migrations have run), within READY_STATEMENT_MS.
    """
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL statement_timeout = {READY_STATEMENT_MS}")
            RollupState.objects.order_by().values_list("pk").first()
    except DatabaseError as error:
        logger.error("Readiness check: the database does not answer: %s", error)
        return HttpResponse("database unavailable\n", content_type="text/plain", status=503)
    return HttpResponse("ok\n", content_type="text/plain")


def _age(now, when):
    return None if when is None else round((now - when).total_seconds(), 1)


@never_cache
def queue(request):
    """How long work has waited for the worker, for monitoring to alert on (ages in seconds,
    null when nothing waits). 503 when the queue itself cannot be reached. Two small reads and
    no personal data, so it needs no login."""
    from huey.contrib.djhuey import HUEY

    now = timezone.now()
    marker = RollupDirty.objects.aggregate(oldest=Min("marked_at"))["oldest"]
    waiting = ImportBatch.objects.filter(status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
    job = waiting.aggregate(oldest=Min("started_at"))["oldest"]
    try:
        pending = HUEY.pending_count()
    except Exception:
        pending = None
    body = {
        "queue_reachable": pending is not None,
        "pending_jobs": pending,
        "oldest_dirty_marker_age": _age(now, marker),
        "oldest_import_job_age": _age(now, job),
    }
    return JsonResponse(body, status=200 if pending is not None else 503)
