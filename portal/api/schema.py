"""OpenAPI: the refusals every authenticated operation can answer, documented in one place.

``document_auth_refusals`` is a drf-spectacular postprocessing hook
(``SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]``). For every operation that requires
authentication (its ``security`` has no anonymous ``{}`` entry) it adds, unless the view already
declares it:

- **401** — no valid credentials (none, an unknown scheme, a malformed header, an unknown key, an
  inactive user): the problem body (``Problem``) and the ``WWW-Authenticate`` challenge
  (``portal.api.authentication``);
- **403** — the caller is known but refused, where the view can refuse a signed-in user: every
  unsafe method (permission checks by team and role; a session without its CSRF token), every
  operation on one row (a path parameter: row-level checks), and every operation whose permission
  classes refuse a signed-in engineer who is not staff (e.g. ``IsStaff``).

A collection read that only needs a signed-in user (``GET /api/v1/teams/``) gets 401 alone. Public
operations (``AllowAny``) get neither. Nothing about a view changes; only its documentation.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.test import RequestFactory
from rest_framework.request import Request

from portal.api.exceptions import TITLES

PROBLEM = "Problem"
PROBLEM_SCHEMA = {
    "type": "object",
    "description": (
        "The one error body of the API, in the spirit of RFC 9457 (refusals may add members, "
        "e.g. `rule`)."
    ),
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "object",
            "additionalProperties": {"type": "array", "items": {"type": "string"}},
        },
    },
    "required": ["type", "title", "detail", "errors"],
}
UNSAFE = {"post", "put", "patch", "delete"}
METHODS = UNSAFE | {"get", "head", "options", "trace"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{PROBLEM}"}}},
    }


def unauthorized_response() -> dict[str, Any]:
    response = _problem(
        f"{TITLES[401]}: no valid credentials (none, a malformed or unknown token, an inactive "
        "user)."
    )
    response["headers"] = {
        "WWW-Authenticate": {
            "description": 'The challenge: `Token realm="api", Bearer realm="api"`.',
            "schema": {"type": "string"},
        }
    }
    return response


def forbidden_response() -> dict[str, Any]:
    return _problem(
        f"{TITLES[403]}: the caller is known but may not do this (role, team, or a session "
        "without its CSRF token)."
    )


def requires_authentication(operation: dict) -> bool:
    """True when the operation names security schemes and none of them is the anonymous ``{}``."""
    security = operation.get("security")
    return bool(security) and all(requirement for requirement in security)


def _permissions_refuse_engineer(view, method: str) -> bool:
    """Whether the view's permission classes refuse a signed-in, non-staff user for ``method``
    (unknown: assume they can)."""
    if view is None:
        return True
    engineer = SimpleNamespace(
        is_authenticated=True, is_anonymous=False, is_staff=False, is_superuser=False, pk=None
    )
    request = Request(RequestFactory().generic(method.upper(), "/"))
    request.user = engineer
    try:
        return not all(p.has_permission(request, view) for p in view.get_permissions())
    except Exception:  # a permission that needs more than a stub user: it can refuse
        return True


def _views(generator) -> dict[tuple[str, str], Any]:
    """(schema path, method) → the view instance drf-spectacular built for it."""
    views = {}
    for path, _regex, method, callback in generator.endpoints or []:
        view = generator.create_view(callback, method)
        views[generator.coerce_path(path, method, view), method.lower()] = view
    return views


def can_refuse_authenticated(path: str, method: str, operation: dict, view) -> bool:
    return (
        "403" in operation.get("responses", {})
        or method in UNSAFE
        or "{" in path
        or _permissions_refuse_engineer(view, method)
    )


def document_auth_refusals(result: dict, generator, request, public, **kwargs) -> dict:
    """Add 401 (and, where the view can refuse a signed-in caller, 403) to every operation that
    requires authentication, with the ``Problem`` body; see the module docstring."""
    views = _views(generator)
    used = False
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in METHODS or not requires_authentication(operation):
                continue
            responses = operation.setdefault("responses", {})
            responses.setdefault("401", unauthorized_response())
            view = views.get((path, method))
            if can_refuse_authenticated(path, method, operation, view):
                responses.setdefault("403", forbidden_response())
            operation["responses"] = dict(sorted(responses.items()))
            used = True
    if used:
        schemas = result.setdefault("components", {}).setdefault("schemas", {})
        schemas.setdefault(PROBLEM, PROBLEM_SCHEMA)
    return result
