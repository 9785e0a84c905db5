"""Property-based test of the whole v1 API against its own OpenAPI schema.

Loads the live schema in-process (so it grows with the API), generates a bounded number of
requests per operation, as a staff admin and as a plain engineer, and checks that no request
causes a server error and that every documented response matches the schema.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from portal.wsgi import application

MAX_EXAMPLES = int(os.environ.get("PORTAL_SCHEMATHESIS_EXAMPLES", "5"))

schema = schemathesis.from_wsgi("/api/v1/schema/", application)


@pytest.fixture(autouse=True)
def _keep_test_connection():
    """Keep the test's database connection across in-process WSGI calls.

    Django's request signals close "old" connections; inside the test's transaction that
    closes the connection itself on PostgreSQL. Django's own test client disconnects them the
    same way.
    """
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _catalog() -> None:
    """A small catalog so that list and detail endpoints have rows to render."""
    from catalog.models import ApiVersion, Dependency
    from tests.catalog.factories import ApiFactory, ServiceFactory, TeamFactory

    team = TeamFactory(slug="st-team", name="ST Team")
    provider = ServiceFactory(slug="st-provider", owner=team)
    consumer = ServiceFactory(slug="st-consumer", owner=team)
    api = ApiFactory(slug="st-api", provider=provider)
    version, _ = ApiVersion.objects.get_or_create(
        api=api, version="1.0.0", defaults={"major": 1, "stability": "stable"}
    )
    Dependency.objects.get_or_create(
        consumer=consumer, api_version=version, defaults={"provider": provider}
    )


def _token(role: str) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    staff = role == "staff"
    user, _ = get_user_model().objects.get_or_create(
        username=f"st-{role}", defaults={"is_staff": staff, "is_superuser": staff}
    )
    return Token.objects.get_or_create(user=user)[0].key


@pytest.mark.parametrize("role", ["staff", "engineer"])
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_conforms_to_its_schema(case, role, db):
    _catalog()
    case.headers = {**(case.headers or {}), "Authorization": f"Token {_token(role)}"}
    response = case.call_wsgi()
    case.validate_response(response, checks=(not_a_server_error, response_schema_conformance))
