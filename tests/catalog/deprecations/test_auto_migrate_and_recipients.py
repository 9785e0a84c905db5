"""A consumer switching to the replacement is migrated automatically (through the dependency API);
transitive consumers get an informational notice with the dependency path."""

from __future__ import annotations

import pytest

from catalog.models import ConsumerMigration
from portal.notifications.models import ChangeEvent
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db


def test_switching_dependency_to_replacement_migrates(api_client, world, announced):
    resp = api_client(world.sam).patch(
        f"/api/v1/dependencies/{world.dep_checkout.pk}/",
        {"api_version": world.v2.pk},
        format="json",
    )
    assert resp.status_code == 200, resp.json()
    m = ConsumerMigration.objects.get(deprecation=announced, consumer=world.checkout)
    assert m.state == "migrated" and m.migrated_at is not None
    t = m.transitions.last()
    assert (t.action, t.from_state, t.to_state) == ("auto_migrated", "notified", "migrated")
    # Other consumers are untouched.
    assert (
        ConsumerMigration.objects.get(deprecation=announced, consumer=world.billing).state
        == "notified"
    )


def test_adding_the_replacement_migrates(api_client, world, announced):
    resp = api_client(world.fay).post(
        "/api/v1/dependencies/",
        {"consumer": world.ledger.slug, "api_version": world.v2.pk},
        format="json",
    )
    assert resp.status_code == 201, resp.json()
    assert (
        ConsumerMigration.objects.get(deprecation=announced, consumer=world.ledger).state
        == "migrated"
    )


def test_unrelated_version_does_not_migrate(world, announced):
    from catalog.services.deprecations import migrations_sync_for_dependency

    other = ApiVersionFactory(api=ApiFactory(slug="other-api"), major=1)
    dep = DependencyFactory(consumer=world.checkout, api_version=other)
    assert migrations_sync_for_dependency(dependency=dep) == 0
    assert (
        ConsumerMigration.objects.get(deprecation=announced, consumer=world.checkout).state
        == "notified"
    )


def test_transitive_consumers_get_informational_notice(world, make_draft):
    from catalog.services.deprecations import deprecation_announce

    # storefront (team Web) consumes checkout's API; checkout consumes payments v1.
    web = TeamFactory(slug="web", name="Web")
    storefront = ServiceFactory(slug="storefront", owner=web)
    checkout_api = ApiVersionFactory(api=ApiFactory(slug="checkout-api", provider=world.checkout))
    DependencyFactory(consumer=storefront, api_version=checkout_api)
    d = deprecation_announce(deprecation=make_draft(), actor=world.owner)
    event = ChangeEvent.objects.get(kind="deprecation_announced")
    notices = {n.recipient.slug: n for n in event.notifications.all()}
    assert set(notices) == {"shop", "finance", "web"}
    assert notices["web"].relation == "transitive"
    assert notices["web"].path == ["payments-svc", "checkout", "storefront"]
    # No migration is owed by a transitive consumer.
    assert not ConsumerMigration.objects.filter(deprecation=d, consumer=storefront).exists()


def test_operation_scope_only_reaches_transitives_through_affected_consumers(world, make_draft):
    from catalog.services.deprecations import deprecation_announce

    web = TeamFactory(slug="web", name="Web")
    storefront = ServiceFactory(slug="storefront", owner=web)
    # storefront sits behind billing, which only uses /refunds (not deprecated).
    billing_api = ApiVersionFactory(api=ApiFactory(slug="billing-api", provider=world.billing))
    DependencyFactory(consumer=storefront, api_version=billing_api)
    deprecation_announce(
        deprecation=make_draft(scope="operations", operations=[world.op_charge]), actor=world.owner
    )
    event = ChangeEvent.objects.get(kind="deprecation_announced")
    assert {n.recipient.slug for n in event.notifications.all()} == {"shop", "finance"}
