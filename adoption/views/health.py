from django.db.models import Min
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from ..choices import ImportStatus
from ..models import ImportBatch, RollupDirty


@never_cache
def healthz(request):
    """A constant answer: the container health check, and the framework's ceiling in bench/load.sh.

    It touches neither the database nor the session, so it says the process serves requests,
    nothing more.
    """
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
