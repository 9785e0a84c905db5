"""The API permission matrix, discovered from the live OpenAPI schema so it grows with the API.

- Every operation refuses an anonymous caller or a bad token with 401 and a ``WWW-Authenticate``
  challenge (never 403, 2xx or 500, never a write).
  Only the URLs named in ``ANONYMOUS_ALLOWED`` answer anonymous callers, and none of them is
  an operation of the schema.
- Every unsafe operation (POST/PUT/PATCH/DELETE) refuses a signed-in engineer who belongs to
  no team (403, or 404 where the row is not even visible to them), with a realistic body, and
  leaves the database exactly as it was. ``ENGINEER_MAY`` names the few unsafe operations any
  engineer may call, each with the reason; they must still change nothing here.
- The same bodies sent by a staff admin are accepted (a positive control: the refusals above
  come from the permission checks, not from bad input).

A new resource needs a row in ``conftest.world`` and an entry in ``PATH_VALUES``; a new unsafe
operation with a required body needs an entry in ``BODIES`` (the test says which is missing).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from tests.portal.security.conftest import row_counts, table_snapshot

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}

# Public URLs: the schema and its docs (SERVE_PERMISSIONS) and the probes. Nothing else.
ANONYMOUS_ALLOWED = ["/api/v1/schema/", "/api/v1/docs/", "/healthz", "/readyz"]

# Unsafe operations any signed-in engineer may call, and why.
ENGINEER_MAY = {
    "api_spec_check": "a dry run of a spec against the latest version; stores nothing",
    "notifications_read_all_create": "marks the caller's own inbox read (empty for no team)",
}


def _operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    ops = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            ops.append((method.upper(), path, op["operationId"]))
    return sorted(ops, key=lambda o: (o[1], o[0]))


OPERATIONS = _operations()
UNSAFE_OPERATIONS = [op for op in OPERATIONS if op[0] in UNSAFE]


def _resource(path: str) -> str:
    rest = path.removeprefix("/api/v1/")
    if rest.startswith("catalog/import/"):
        return "catalog/import"
    return rest.split("/", 1)[0]


# The value of each {param} per resource, from the fixture world.
PATH_VALUES = {
    "api-versions": lambda w: {"id": w.v1.pk},
    "apis": lambda w: {"slug": w.api.slug},
    "catalog/import": lambda w: {"id": w.import_job.pk},
    "dependencies": lambda w: {"id": w.dependency.pk},
    "deprecations": lambda w: {"id": w.deprecation.pk},
    "feedback": lambda w: {"id": w.feedback.pk},
    "metrics": lambda w: {"name": "velocity"},
    "migrations": lambda w: {"id": w.migration.pk},
    "notification-endpoints": lambda w: {"id": w.endpoint.pk},
    "notification-preferences": lambda w: {"team": w.team.pk},
    "notifications": lambda w: {"id": w.notification.pk},
    "roadmap-items": lambda w: {"id": w.roadmap_item.pk},
    "services": lambda w: {"slug": w.provider.slug},
    "slas": lambda w: {"id": w.sla.pk},
    "teams": lambda w: {"slug": w.team.slug, "username": w.owner.username},
    "versioning-policies": lambda w: {"id": w.policy.pk},
}


def _day(w, days: int) -> str:
    return (w.today + dt.timedelta(days=days)).isoformat()


SPEC = (
    '{"openapi": "3.0.3", "info": {"title": "Sec", "version": "3.0.0"}, '
    '"paths": {"/things": {"get": {"responses": {"200": {"description": "ok"}}}}}}'
)

# Realistic bodies: what an owner or staff would send. Not listed → {}.
BODIES = {
    "api_versions_create": lambda w: {"api": w.api.slug, "version": "3.0.0", "stability": "beta"},
    "api_versions_partial_update": lambda w: {"changelog": "Changed."},
    "apis_create": lambda w: {"slug": "sec-api-2", "name": "Sec 2", "provider": w.provider.slug},
    "apis_partial_update": lambda w: {"description": "Changed."},
    "api_publish": lambda w: {"version": "3.0.0", "stability": "beta", "spec": SPEC},
    "api_spec_check": lambda w: {"spec": SPEC},
    "dependencies_create": lambda w: {"consumer": w.consumer.slug, "api_version": w.v2.pk},
    "dependencies_partial_update": lambda w: {"purpose": "Changed."},
    "deprecations_create": lambda w: {
        "api_version": w.v2.pk,
        "reason": "Going.",
        "migration_guide_url": "https://docs.example.com/g",
        "sunset_date": _day(w, 400),
    },
    "deprecations_partial_update": lambda w: {"reason": "Changed."},
    "deprecations_reschedule_create": lambda w: {"sunset_date": _day(w, 500)},
    "deprecations_cancel_create": lambda w: {"note": "No."},
    "deprecations_approve_create": lambda w: {"note": "Yes."},
    "deprecations_reject_create": lambda w: {"note": "No."},
    "deprecations_retire_create": lambda w: {"override_reason": "Forced."},
    "feedback_create": lambda w: {"team": w.shop.slug, "api": w.api.slug, "rating": 1},
    "feedback_update": lambda w: {"rating": 1},
    "feedback_partial_update": lambda w: {"rating": 1},
    "feedback_moderate_create": lambda w: {"hidden": True},
    "migrations_exempt_create": lambda w: {"reason": "Special."},
    "migrations_object_create": lambda w: {"reason": "Too soon."},
    "notification_endpoints_create": lambda w: {
        "team": w.team.pk,
        "channel": "chat",
        "target": "https://93.184.216.34/chat",
    },
    "notification_endpoints_update": lambda w: {"target": "https://93.184.216.34/other"},
    "notification_endpoints_partial_update": lambda w: {"enabled": False},
    "notification_preferences_update": lambda w: {"delivery_mode": "digest"},
    "notification_preferences_partial_update": lambda w: {"transitive_notices": False},
    "roadmap_items_create": lambda w: {
        "title": "New",
        "layer": "core",
        "target_quarter": "2030-Q2",
        "service": w.provider.slug,
    },
    "roadmap_items_update": lambda w: {
        "title": "Changed",
        "layer": "core",
        "target_quarter": "2030-Q3",
        "service": w.provider.slug,
    },
    "roadmap_items_partial_update": lambda w: {"title": "Changed"},
    "services_create": lambda w: {"slug": "sec-new", "name": "New", "owner": w.team.slug},
    "services_partial_update": lambda w: {"description": "Changed."},
    "slas_create": lambda w: {"api": w.api.slug, "preset": "standard"},
    "slas_update": lambda w: {"availability_target": "99.5"},
    "slas_partial_update": lambda w: {"availability_target": "99.5"},
    "slas_measurements_create": lambda w: {"day": _day(w, -1), "good": 99, "total": 100},
    "slas_incidents_create": lambda w: {
        "severity": "P1",
        "title": "Down",
        "started_at": f"{_day(w, -1)}T10:00:00Z",
    },
    "teams_create": lambda w: {"slug": "new-team", "name": "New Team"},
    "teams_partial_update": lambda w: {"name": "Changed"},
    "teams_members_create": lambda w: {"username": w.engineer.username, "role": "owner"},
    "versioning_policies_create": lambda w: {"name": "Another policy"},
    "versioning_policies_update": lambda w: {"name": "Renamed policy"},
    "versioning_policies_partial_update": lambda w: {"description": "Changed."},
}

# Bodies that are not JSON: (content type, bytes).
RAW_BODIES = {
    "catalog_import_create": (
        "application/yaml",
        b"apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata: {name: sec-group}\n"
        b"spec: {type: team, children: []}\n",
    ),
}

# Positive control: what staff get with the same body, when it is not a plain success.
ADMIN_EXPECTED = {
    # Ratings speak for a team: staff must be members too (docs/health.md).
    "feedback_create": {403},
    "feedback_update": {403},
    "feedback_partial_update": {403},
    # Inbox rows belong to the recipient team's members; staff see their own inbox only.
    "notifications_read_create": {404},
    # State machine: the world's deprecation is announced; these need other states.
    "deprecations_announce_create": {409, 422},
    "deprecations_approve_create": {409, 422},
    "deprecations_reject_create": {409, 422},
    "deprecations_partial_update": {409, 422},
    "deprecations_retire_create": {409, 422},
    # Deleting rows others depend on is refused (409) even for staff.
    "teams_destroy": {409},
    "services_destroy": {409},
    "apis_destroy": {409},
    "api_versions_destroy": {409},
    "teams_members_destroy": {409},
}


def _url(path: str, world) -> str:
    resource = _resource(path)
    if resource not in PATH_VALUES:
        pytest.fail(f"No fixture for /api/v1/{resource}/: add a row to conftest.world and "
                    f"an entry to PATH_VALUES in {__file__}")  # fmt: skip
    values = PATH_VALUES[resource](world)

    def sub(match: re.Match) -> str:
        name = match.group(1)
        if name not in values:
            pytest.fail(f"PATH_VALUES[{resource!r}] gives no value for {{{name}}} in {path}")
        return str(values[name])

    return re.sub(r"\{(\w+)\}", sub, path)


def _call(client: APIClient, method: str, url: str, world, op_id: str):
    if op_id in RAW_BODIES:
        content_type, data = RAW_BODIES[op_id]
        return getattr(client, method.lower())(url, data, content_type=content_type)
    body = BODIES[op_id](world) if op_id in BODIES else {}
    return getattr(client, method.lower())(url, body, format="json")


def _ids(ops):
    return [f"{m} {p}" for m, p, _ in ops]


def test_the_schema_is_discovered():
    assert len(OPERATIONS) > 50
    assert ("POST", "/api/v1/services/", "services_create") in OPERATIONS
    assert not [p for _, p, _ in OPERATIONS if p in ANONYMOUS_ALLOWED]


def test_anonymous_callers_get_nothing_from_any_operation(world):
    """One world for every operation: anonymous requests must not write, so nothing leaks from
    one request into the next; every violation is listed."""
    before_counts, before_rows = row_counts(), table_snapshot()
    failures = []
    for method, path, op_id in OPERATIONS:
        url = _url(path, world)
        for label, client in (("no credentials", APIClient()), ("bad token", _bad_token())):
            response = _call(client, method, url, world, op_id)
            challenged = "Token" in response.get("WWW-Authenticate", "")
            if response.status_code != 401 or not challenged:
                failures.append(f"{method} {url} ({label}) → {response.status_code}")
            elif response.json()["title"] != "Authentication required":
                failures.append(f"{method} {url} ({label}): {response.content[:200]!r}")
    assert not failures, "anonymous access:\n" + "\n".join(failures)
    assert row_counts() == before_counts
    assert table_snapshot() == before_rows


def _bad_token() -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    return client


def test_a_bad_token_is_refused_with_the_error_body(world):
    """Token authentication comes first in DEFAULT_AUTHENTICATION_CLASSES, so DRF answers 401
    with its challenge (RFC 9110), not 403."""
    response = _bad_token().get("/api/v1/services/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Token realm="api", Bearer realm="api"'
    assert response.json()["detail"] == "Invalid token."


@pytest.mark.parametrize("path", ANONYMOUS_ALLOWED)
def test_the_allow_list_is_public_and_read_only(client, db, path):
    assert client.get(path).status_code == 200
    before = row_counts()
    assert client.post(path, {}).status_code in (403, 405)  # CSRF or method not allowed
    assert row_counts() == before


@pytest.mark.parametrize(
    ("method", "path", "op_id"), UNSAFE_OPERATIONS, ids=_ids(UNSAFE_OPERATIONS)
)
def test_an_engineer_in_no_team_cannot_write(world, method, path, op_id):
    client = APIClient()
    client.force_authenticate(world.engineer)
    url = _url(path, world)
    before_counts, before_rows = row_counts(), table_snapshot()
    response = _call(client, method, url, world, op_id)
    if op_id in ENGINEER_MAY:
        assert response.status_code < 500, response.content
    else:
        assert response.status_code in (403, 404), (response.status_code, response.content[:500])
        body_json = response.json()
        assert {"type", "title", "detail"} <= set(body_json), body_json
    assert row_counts() == before_counts
    assert table_snapshot() == before_rows


@pytest.mark.parametrize(
    ("method", "path", "op_id"), UNSAFE_OPERATIONS, ids=_ids(UNSAFE_OPERATIONS)
)
def test_staff_send_the_same_requests_successfully(world, method, path, op_id):
    """Positive control: the bodies above are valid, so the engineer's refusals are refusals."""
    client = APIClient()
    client.force_authenticate(world.admin)
    response = _call(client, method, _url(path, world), world, op_id)
    expected = ADMIN_EXPECTED.get(op_id)
    if expected:
        assert response.status_code in expected, (response.status_code, response.content[:500])
    else:
        assert 200 <= response.status_code < 300, (response.status_code, response.content[:500])


# What a member (not owner) of the consuming team ``shop`` may do to the world's rows: its own
# dependency, its team's rating, its team's migration steps, its own inbox.
CONSUMER_MAY = {
    **ENGINEER_MAY,
    "dependencies_create": "declares what shop's service uses",
    "dependencies_partial_update": "shop's own dependency",
    "dependencies_destroy": "shop's own dependency",
    "feedback_create": "rates for shop",
    "feedback_update": "shop's rating",
    "feedback_partial_update": "shop's rating",
    "migrations_acknowledge_create": "shop's migration",
    "migrations_start_create": "shop's migration",
    "migrations_complete_create": "shop's migration",
    "migrations_object_create": "shop objects to the sunset",
    "notifications_read_create": "shop's inbox",
}


PROVIDER_ONLY = [op for op in UNSAFE_OPERATIONS if op[2] not in CONSUMER_MAY]


@pytest.mark.parametrize(("method", "path", "op_id"), PROVIDER_ONLY, ids=_ids(PROVIDER_ONLY))
def test_a_consumer_team_member_cannot_write_the_providers_rows(world, method, path, op_id):
    """Cross-team: a member of ``shop`` acting on ``payments``' team, service, API, versions,
    deprecation, SLA, endpoint, preferences and roadmap item is refused, and nothing changes."""
    client = APIClient()
    client.force_authenticate(world.consumer_member)
    before_counts, before_rows = row_counts(), table_snapshot()
    response = _call(client, method, _url(path, world), world, op_id)
    assert response.status_code in (403, 404), (response.status_code, response.content[:500])
    assert row_counts() == before_counts
    assert table_snapshot() == before_rows
