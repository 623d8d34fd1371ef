from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """A constant answer: the container health check, and the framework's ceiling in bench/load.sh.

    It touches neither the database nor the session, so it says the process serves requests,
    nothing more.
    """
    return HttpResponse("ok\n", content_type="text/plain")
