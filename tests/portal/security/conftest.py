"""A minimal organisation with one row of every kind a detail route needs, built through the
areas' own services (factories only for the plain catalog rows).

Roles: ``admin`` (staff), ``engineer`` (signed in, no team), ``owner`` (owner of ``team``,
which provides ``sec-api``), ``consumer_member`` (member of ``shop``, whose ``sec-consumer``
uses ``sec-api`` v1).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.apps import apps
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

ESCALATION = [{"delay_minutes": 0, "contact_kind": "oncall", "contact_handle": "@sec-oncall"}]
SEVERITY = [{"severity": "P1", "response_minutes": 15, "resolution_minutes": 240}]


def row_counts() -> dict[str, int]:
    """Rows per model, for every installed model (auto-created M2M tables included)."""
    counts = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        counts[model._meta.label] = model._base_manager.count()
    return counts


def table_snapshot() -> dict[str, list]:
    """Every row of the tables a refused write could touch in place (not only add or delete)."""
    from catalog.models import (
        Api,
        ApiVersion,
        ConsumerMigration,
        Dependency,
        Deprecation,
        Service,
        Team,
    )
    from portal.health.models import Feedback, RoadmapItem
    from portal.notifications.models import Notification, NotificationEndpoint
    from slas.models import Sla, VersioningPolicy

    out = {}
    for model in (
        Team,
        Service,
        Api,
        ApiVersion,
        Dependency,
        Deprecation,
        ConsumerMigration,
        Sla,
        VersioningPolicy,
        Feedback,
        RoadmapItem,
        NotificationEndpoint,
        Notification,
    ):
        out[model._meta.label] = list(model._base_manager.order_by("pk").values())
    return out


@pytest.fixture
def world(db, team, owner, admin, engineer, make_user):
    from catalog.services.deprecations import deprecation_announce, deprecation_create
    from portal.health.services import feedback_submit, roadmap_item_save
    from portal.notifications.models import Notification, NotificationEndpoint
    from portal.notifications.signing import generate_secret
    from slas import services as sla_services

    today = timezone.localdate()
    shop = TeamFactory(slug="shop", name="Shop")
    consumer_member = make_user("sam")
    Membership.objects.create(team=shop, user=consumer_member, role=Membership.Role.MEMBER)
    provider = ServiceFactory(slug="sec-provider", name="Sec Provider", owner=team)
    consumer = ServiceFactory(slug="sec-consumer", name="Sec Consumer", owner=shop)
    api = ApiFactory(slug="sec-api", name="Sec API", provider=provider)
    v1 = ApiVersionFactory(api=api, major=1)
    v2 = ApiVersionFactory(api=api, major=2)
    operation = ApiOperationFactory(api_version=v1, method="get", path="/things")
    dependency = DependencyFactory(consumer=consumer, api_version=v1)
    policy = sla_services.policy_create(fields={"name": "Security sweep policy"}, actor=admin)
    deprecation = deprecation_create(
        actor=owner,
        api_version=v1,
        reason="v2 replaces v1.",
        replacement_version=v2,
        migration_guide_url="https://docs.example.com/v1-to-v2",
        sunset_date=today + dt.timedelta(days=400),
    )
    deprecation = deprecation_announce(deprecation=deprecation, actor=owner, today=today)
    migration = deprecation.migrations.get()
    sla = sla_services.sla_create(
        service=provider,
        fields={"availability_target": Decimal("99.9"), "tier": "high"},
        severity_targets=SEVERITY,
        escalation_levels=ESCALATION,
        actor=admin,
    )
    feedback = feedback_submit(actor=consumer_member, team=shop, api=api, rating=4, comment="ok")
    roadmap_item = roadmap_item_save(
        actor=admin, title="Sec item", layer="core", target_quarter="2030-Q1", service=provider
    )
    endpoint = NotificationEndpoint.objects.create(
        recipient=team,
        channel="webhook",
        target="https://93.184.216.34/sec",
        secret=generate_secret(),
    )
    notification = Notification.objects.filter(recipient=shop).order_by("pk").first()
    assert notification is not None, "announcing should have put a notice in shop's inbox"
    from catalog.models import ImportJob

    import_job = ImportJob.objects.create(
        source="sec.yaml", payload_kind="yaml", payload=b"", created_by=admin
    )
    return SimpleNamespace(
        today=today,
        team=team,
        shop=shop,
        owner=owner,
        admin=admin,
        engineer=engineer,
        consumer_member=consumer_member,
        provider=provider,
        consumer=consumer,
        api=api,
        v1=v1,
        v2=v2,
        operation=operation,
        dependency=dependency,
        policy=policy,
        deprecation=deprecation,
        migration=migration,
        sla=sla,
        feedback=feedback,
        roadmap_item=roadmap_item,
        endpoint=endpoint,
        notification=notification,
        import_job=import_job,
    )
