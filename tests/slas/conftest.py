"""Fixtures of the SLA tests."""

from __future__ import annotations

from decimal import Decimal

import pytest

from slas import services
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

ESCALATION = [
    {"delay_minutes": 0, "contact_kind": "oncall", "contact_handle": "@payments-oncall"},
    {"delay_minutes": 30, "contact_kind": "email", "contact_email": "lead@example.com"},
]
SEVERITY = [
    {"severity": "P1", "response_minutes": 15, "resolution_minutes": 240},
    {"severity": "P2", "response_minutes": 60, "resolution_minutes": 480},
]


@pytest.fixture
def service(team):
    return ServiceFactory(slug="ledger", name="Ledger", owner=team)


@pytest.fixture
def api(service):
    return ApiFactory(slug="ledger-api", name="Ledger API", provider=service)


@pytest.fixture
def consumer_team(db):
    return TeamFactory(slug="checkout", name="Checkout")


@pytest.fixture
def consumer(api, consumer_team):
    """A service of another team consuming v1 of ``api``."""
    version = ApiVersionFactory(api=api, major=1)
    consuming = ServiceFactory(slug="checkout-web", owner=consumer_team)
    DependencyFactory(consumer=consuming, api_version=version)
    return consuming


@pytest.fixture
def make_sla():
    def make(*, service=None, api=None, actor=None, **fields):
        values = {"availability_target": Decimal("99.9"), "tier": "high", **fields}
        severity = values.pop("severity_targets", SEVERITY)
        escalation = values.pop("escalation_levels", ESCALATION)
        return services.sla_create(
            service=service,
            api=api,
            fields=values,
            severity_targets=severity,
            escalation_levels=escalation,
            actor=actor,
        )

    return make
