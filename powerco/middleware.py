import logging

from django.db import InterfaceError, OperationalError
from django.template.response import TemplateResponse
from django.utils.cache import patch_cache_control
from django.views.defaults import bad_request

logger = logging.getLogger(__name__)


class VietnameseByDefaultMiddleware:
    """Vietnamese unless the user picked English with the language switch.

    Office computers in Vietnam often run English-language browsers, and Django's
    LocaleMiddleware would follow their Accept-Language header. Here only the language cookie,
    set by the switch in the page header, moves a user away from LANGUAGE_CODE.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)


class RefuseNulBytesMiddleware:
    """A NUL byte in the path or the query string answers 400 Bad Request.

    No code, month or search term holds one, and PostgreSQL refuses it in any text it is
    sent: left alone, a %00 in a branch code or an admin search answered 500. Form fields are
    already guarded (Django's forms refuse NUL characters).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or any(
            "\x00" in key or "\x00" in value
            for key, values in request.GET.lists()
            for value in values
        ):
            return bad_request(request, ValueError("NUL byte in the request"))
        return self.get_response(request)


class PrivatePagesMiddleware:
    """Cache-Control: private, no-store on every answer that does not say otherwise.

    Dashboard pages, chart JSON and exports hold a company's figures: no shared cache (a
    proxy, the office's) may keep them, nor the browser's disk on a shared computer. Static
    files set their own headers (whitenoise), and so do the admin and /healthz.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response


class DatabaseUnavailableMiddleware:
    """A database that refuses connections or times out answers 503 with a translated page,
    instead of a bare "Server Error (500)"."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable for %s: %s", request.path, exception)
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = "60"
        return response.render()
