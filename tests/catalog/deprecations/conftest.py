"""A small world for the deprecation tests: a provider team with an API in two versions and
consumers in two other teams."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from catalog.models import Membership
from tests.catalog.factories import (
    ApiFactory,
    ApiOperationFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)


@pytest.fixture
def today() -> dt.date:
    return timezone.localdate()


@pytest.fixture
def world(db, team, owner, member, make_user):
    """``team`` (Payments, owned by ``owner``) provides ``payments-api`` v1 (stable, consumed)
    and v2 (stable, the replacement). Consumers: ``checkout`` and ``billing`` of team Shop
    (member ``sam``), ``ledger`` of team Finance (member ``fay``)."""
    provider = ServiceFactory(slug="payments-svc", name="Payments Service", owner=team)
    api = ApiFactory(slug="payments-api", name="Payments API", provider=provider)
    v1 = ApiVersionFactory(api=api, major=1)
    v2 = ApiVersionFactory(api=api, major=2)
    op_charge = ApiOperationFactory(api_version=v1, method="post", path="/charges")
    op_refund = ApiOperationFactory(api_version=v1, method="post", path="/refunds")
    shop = TeamFactory(slug="shop", name="Shop")
    finance = TeamFactory(slug="finance", name="Finance")
    sam = make_user("sam")
    fay = make_user("fay")
    Membership.objects.create(team=shop, user=sam, role=Membership.Role.MEMBER)
    Membership.objects.create(team=finance, user=fay, role=Membership.Role.OWNER)
    checkout = ServiceFactory(slug="checkout", name="Checkout", owner=shop)
    billing = ServiceFactory(slug="billing", name="Billing", owner=shop)
    ledger = ServiceFactory(slug="ledger", name="Ledger", owner=finance)
    dep_checkout = DependencyFactory(consumer=checkout, api_version=v1)
    dep_checkout.operations.set([op_charge])
    dep_billing = DependencyFactory(consumer=billing, api_version=v1)
    dep_billing.operations.set([op_refund])
    dep_ledger = DependencyFactory(consumer=ledger, api_version=v1)  # declared no operations
    return SimpleNamespace(
        team=team,
        owner=owner,
        member=member,
        provider=provider,
        api=api,
        v1=v1,
        v2=v2,
        op_charge=op_charge,
        op_refund=op_refund,
        shop=shop,
        finance=finance,
        sam=sam,
        fay=fay,
        checkout=checkout,
        billing=billing,
        ledger=ledger,
        dep_checkout=dep_checkout,
        dep_billing=dep_billing,
        dep_ledger=dep_ledger,
    )


@pytest.fixture
def draft_payload(world, today):
    def make(**overrides):
        data = {
            "api_version": world.v1.pk,
            "reason": "v2 has idempotency keys; v1 is going away.",
            "replacement_version": world.v2.pk,
            "migration_guide_url": "https://docs.example.com/payments/v1-to-v2",
            "sunset_date": (today + dt.timedelta(days=200)).isoformat(),
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def make_draft(world, today):
    """Create a draft through the service (owner as actor)."""
    from catalog.services.deprecations import deprecation_create

    def make(**overrides):
        kwargs = {
            "actor": world.owner,
            "api_version": world.v1,
            "reason": "v2 has idempotency keys.",
            "replacement_version": world.v2,
            "migration_guide_url": "https://docs.example.com/payments/v1-to-v2",
            "sunset_date": today + dt.timedelta(days=200),
        }
        kwargs.update(overrides)
        return deprecation_create(**kwargs)

    return make


@pytest.fixture
def announced(make_draft, world, today):
    from catalog.services.deprecations import deprecation_announce

    deprecation = make_draft()
    return deprecation_announce(deprecation=deprecation, actor=world.owner, today=today)
