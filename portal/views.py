"""The home page and the probes for load balancers."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The home page is the catalog (its search and facets); the query string is kept."""
    url = reverse("catalog:service-list")
    if request.META.get("QUERY_STRING"):
        url = f"{url}?{request.META['QUERY_STRING']}"
    return redirect(url)


@require_GET
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up. Touches nothing else."""
    return JsonResponse({"status": "ok"})


READYZ_DATABASE_TIMEOUT_SECONDS = 2


def _check_database() -> str | None:
    try:
        if connection.vendor == "postgresql":
            _ping_postgresql()
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                cursor.fetchone()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _ping_postgresql() -> None:
    """A fresh connection bounded to ~2 s (connect and statement), so the probe answers in time
    even when the server hangs; the request's own persistent connection is not touched."""
    params = connection.get_connection_params()
    params["connect_timeout"] = READYZ_DATABASE_TIMEOUT_SECONDS
    params["options"] = (
        f"{params.get('options', '')} -c statement_timeout={READYZ_DATABASE_TIMEOUT_SECONDS * 1000}"
    ).strip()
    raw = connection.get_new_connection(params)
    try:
        with raw.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    finally:
        raw.close()


def _check_broker() -> str | None:
    if not settings.REDIS_URL:
        return None
    try:
        import redis

        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
        client.ping()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers and, when one is configured, so does the broker."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(v is None for v in checks.values())
    body = {
        "status": "ok" if ready else "unavailable",
        "checks": {
            name: ("ok" if err is None else err)
            for name, err in checks.items()
            if not (name == "broker" and not settings.REDIS_URL)
        },
    }
    return JsonResponse(body, status=200 if ready else 503)
