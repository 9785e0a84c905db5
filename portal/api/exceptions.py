"""One error body for every refusal of the API, in the spirit of RFC 9457.

``{"type": ..., "title": ..., "detail": ..., "errors": {field: [messages]}}``

401 (missing or wrong credentials) carries this body too, and keeps the ``WWW-Authenticate``
challenge DRF sets from the first authentication class (``portal.api.authentication``).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


class Conflict(exceptions.APIException):
    """The request is valid but the resource's current state forbids it (HTTP 409)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = "The resource's current state does not allow this."
    default_code = "conflict"


class Unprocessable(exceptions.APIException):
    """The request is well formed but refused by a domain rule (HTTP 422)."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = "The request was refused by a rule."
    default_code = "unprocessable"

    def __init__(self, detail: Any = None, code: str | None = None, extra: dict | None = None):
        super().__init__(detail, code)
        self.extra = extra or {}


class DomainError(Exception):
    """Raised by services when a domain rule refuses an action.

    ``kind`` picks the HTTP status: ``invalid`` → 400, ``conflict`` → 409, ``refused`` → 422,
    ``forbidden`` → 403. ``errors`` maps field names to messages; ``rule`` names the rule.
    """

    status_by_kind = {"invalid": 400, "conflict": 409, "refused": 422, "forbidden": 403}

    def __init__(
        self,
        detail: str,
        *,
        kind: str = "invalid",
        rule: str = "",
        errors: dict[str, list[str]] | None = None,
        extra: dict | None = None,
    ):
        super().__init__(detail)
        self.detail = detail
        self.kind = kind
        self.rule = rule
        self.errors = errors or {}
        self.extra = extra or {}

    @property
    def status_code(self) -> int:
        return self.status_by_kind.get(self.kind, 400)


TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Refused by a rule",
    429: "Too many requests",
}


def _flatten(data: Any) -> dict[str, list[str]]:
    if isinstance(data, dict):
        out: dict[str, list[str]] = {}
        for key, value in data.items():
            if isinstance(value, list | tuple):
                out[str(key)] = [str(v) for v in value]
            elif isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[f"{key}.{sub}"] = msgs
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(data, list | tuple):
        return {"non_field_errors": [str(v) for v in data]}
    return {}


def problem(
    status_code: int,
    detail: str,
    *,
    errors: dict | None = None,
    type_: str = "about:blank",
    **extra: Any,
) -> Response:
    body = {
        "type": type_,
        "title": TITLES.get(status_code, "Error"),
        "detail": detail,
        "errors": errors or {},
    }
    body.update(extra)
    return Response(body, status=status_code)


def exception_handler(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        extra = dict(exc.extra)
        if exc.rule:
            extra["rule"] = exc.rule
        return problem(
            exc.status_code,
            exc.detail,
            errors=exc.errors,
            type_=f"urn:portal:rule:{exc.rule}" if exc.rule else "about:blank",
            **extra,
        )
    if isinstance(exc, DataError):
        # The database refused a value our validation let through (e.g. a NUL byte or an
        # out-of-range number): the client's input is at fault, and nothing was written.
        return problem(400, "A value in the request cannot be stored.", errors={})
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        detail = "; ".join(m for msgs in errors.values() for m in msgs)
        return problem(400, detail or "Invalid request.", errors=errors)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(data)
        first = next((m for msgs in errors.values() for m in msgs), "Invalid request.")
        detail = first if len(errors) == 1 else "The request has invalid fields."
    else:
        errors = {}
        detail = str(data.get("detail", "")) if isinstance(data, dict) else str(data)
    body = {
        "type": "about:blank",
        "title": TITLES.get(response.status_code, "Error"),
        "detail": detail,
        "errors": errors,
    }
    if isinstance(exc, Unprocessable):
        body.update(exc.extra)
    response.data = body
    return response
