"""Errors under faults: a database outage answers 503, never a traceback; the API always answers
its problem JSON (``{"type", "title", "detail", "errors"}``), pages a plain HTML page.

- ``DatabaseUnavailableMiddleware`` (first in ``MIDDLEWARE``) turns an ``OperationalError`` or
  ``InterfaceError`` raised by a view, or while rendering its template, into a 503 with a
  ``Retry-After`` header, and an unexpected exception under ``/api/`` into a problem 500.
- ``handler404`` / ``handler403`` / ``handler500`` (wired in ``portal/urls.py``) do the same for
  what is raised outside views (another middleware, URL resolution) and give API clients JSON.

Every response here is rendered without a request context: no context processor runs, so
nothing touches the database (the database may be the thing that is down).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

logger = logging.getLogger("portal.errors")

DATABASE_ERRORS = (OperationalError, InterfaceError)
DEFAULT_RETRY_AFTER_SECONDS = 5

TITLES = {
    403: "Permission denied",
    404: "Not found",
    500: "Internal server error",
    503: "Service unavailable",
}


def retry_after_seconds() -> int:
    return int(getattr(settings, "PORTAL_RETRY_AFTER_SECONDS", DEFAULT_RETRY_AFTER_SECONDS))


def is_api_request(request: HttpRequest) -> bool:
    """API clients get JSON: everything under /api/, or a request that only accepts JSON."""
    if request.path.startswith("/api/"):
        return True
    accept = request.META.get("HTTP_ACCEPT", "")
    return "application/json" in accept and "text/html" not in accept


def problem_response(status: int, detail: str, *, type_: str = "about:blank") -> JsonResponse:
    body = {"type": type_, "title": TITLES.get(status, "Error"), "detail": detail, "errors": {}}
    response = JsonResponse(body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


def page_response(status: int, template_name: str, context: dict | None = None) -> HttpResponse:
    """Render an error template without the request (no context processors, no database)."""
    content = loader.get_template(template_name).render(context or {})
    return HttpResponse(content, status=status, content_type="text/html; charset=utf-8")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """503 for a database outage: problem JSON for the API, the friendly page otherwise."""
    retry = retry_after_seconds()
    if is_api_request(request):
        response: HttpResponse = problem_response(
            503,
            "The database is unavailable. Please retry shortly.",
            type_="urn:portal:error:database-unavailable",
        )
    else:
        response = page_response(503, "503.html", {"retry_after": retry})
    response["Retry-After"] = str(retry)
    response["Cache-Control"] = "no-store"
    return response


def server_error_response(request: HttpRequest) -> HttpResponse:
    if is_api_request(request):
        return problem_response(
            500, "An unexpected error occurred. It has been logged; please retry later."
        )
    return page_response(500, "500.html")


class DatabaseUnavailableMiddleware:
    """503 + Retry-After when the database is down or times out; problem JSON for API 500s."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, DATABASE_ERRORS):
            logger.warning(
                "database unavailable: %s %s: %s: %s",
                request.method,
                request.path,
                type(exception).__name__,
                exception,
            )
            return unavailable_response(request)
        if is_api_request(request) and not settings.DEBUG:
            logger.error(
                "unhandled exception: %s %s",
                request.method,
                request.path,
                exc_info=(type(exception), exception, exception.__traceback__),
            )
            return server_error_response(request)
        return None  # Django's handler500 (below) answers; DEBUG keeps the technical page


# --- handlers (portal/urls.py) ------------------------------------------------------------


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return problem_response(404, "Not found.")
    return page_response(404, "404.html", {"request_path": request.path})


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if is_api_request(request):
        return problem_response(403, "You do not have permission to perform this action.")
    return page_response(403, "403.html")


def handler500(request: HttpRequest) -> HttpResponse:
    """Called inside Django's ``except`` block, so the exception is still in ``sys.exc_info``."""
    exception = sys.exc_info()[1]
    if isinstance(exception, DATABASE_ERRORS):
        return unavailable_response(request)
    return server_error_response(request)
