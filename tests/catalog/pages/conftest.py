"""A small catalog for the page tests: a chain checkout → gateway → ledger, plus a cycle."""

from __future__ import annotations

import pytest

from catalog.models import Service
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)


@pytest.fixture
def catalog(team):
    """``team`` (payments) owns gateway; ledger and checkout belong to other teams.

    checkout → gateway-api 1.0.0 (gateway) → ledger-api 2.1.0 (ledger); ledger → risk-api → gateway
    makes a cycle.
    """
    books = TeamFactory(slug="books", name="Books")
    shop = TeamFactory(slug="shop", name="Shop")
    gateway = ServiceFactory(
        slug="gateway",
        name="Payment Gateway",
        owner=team,
        layer=Service.Layer.CORE,
        tier=1,
        description="Takes card payments.",
        onboarding_notes="# Start here\n\nRead **this**. <script>alert('x')</script>",
    )
    ledger = ServiceFactory(
        slug="ledger", name="Ledger", owner=books, layer=Service.Layer.BASE, tier=2
    )
    checkout = ServiceFactory(
        slug="checkout", name="Checkout", owner=shop, layer=Service.Layer.ENABLING, tier=2
    )
    risk = ServiceFactory(slug="risk", name="Risk Scoring", owner=books, layer=Service.Layer.CORE)
    gateway_api = ApiFactory(slug="gateway-api", name="Gateway API", provider=gateway)
    ledger_api = ApiFactory(slug="ledger-api", name="Ledger API", provider=ledger)
    risk_api = ApiFactory(slug="risk-api", name="Risk API", provider=risk)
    gw_v1 = ApiVersionFactory(api=gateway_api, major=1, minor=0, patch=0)
    ledger_v2 = ApiVersionFactory(api=ledger_api, major=2, minor=1, patch=0)
    risk_v1 = ApiVersionFactory(api=risk_api, major=1, minor=0, patch=0)
    DependencyFactory(consumer=checkout, api_version=gw_v1)
    DependencyFactory(consumer=gateway, api_version=ledger_v2)
    DependencyFactory(consumer=ledger, api_version=risk_v1)
    DependencyFactory(consumer=risk, api_version=gw_v1)
    return {
        "gateway": gateway,
        "ledger": ledger,
        "checkout": checkout,
        "risk": risk,
        "gateway_api": gateway_api,
        "ledger_api": ledger_api,
        "gw_v1": gw_v1,
        "ledger_v2": ledger_v2,
        "books": books,
        "shop": shop,
    }
