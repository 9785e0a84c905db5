"""Redis down: a write that plans notifications still commits, through the real HTTP API path
(deprecation announce), with Celery pointed at a dead broker port and not eager; the beat
sweeper delivers once the broker is back."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.utils import timezone

from catalog.models import ConsumerMigration, Deprecation, Membership
from portal.celery import app
from portal.notifications import tasks
from portal.notifications.models import ChangeEvent, Notification, NotificationEndpoint
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)
from tests.portal.ops._procutil import free_port

pytestmark = pytest.mark.django_db


def _reset_producer_pools() -> None:
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def dead_broker(settings):
    """Celery publishes for real (not eager) to a Redis port where nothing listens."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    url = f"redis://127.0.0.1:{free_port()}/14"
    settings.REDIS_URL = url
    app.conf.task_always_eager = False
    app.conf.broker_url = url
    _reset_producer_pools()
    yield url
    app.conf.update(saved)
    _reset_producer_pools()


@pytest.fixture
def world(team, owner, make_user):
    provider = ServiceFactory(slug="payments-svc", owner=team)
    api = ApiFactory(slug="payments-api", provider=provider)
    v1 = ApiVersionFactory(api=api, major=1)
    v2 = ApiVersionFactory(api=api, major=2)
    shop = TeamFactory(slug="shop", name="Shop")
    Membership.objects.create(team=shop, user=make_user("sam"), role=Membership.Role.OWNER)
    NotificationEndpoint.objects.create(
        recipient=shop, channel=NotificationEndpoint.Channel.EMAIL, target="shop@example.com"
    )
    DependencyFactory(consumer=ServiceFactory(slug="checkout", owner=shop), api_version=v1)
    return {"owner": owner, "v1": v1, "v2": v2, "shop": shop}


def test_announce_commits_with_the_broker_down_and_the_sweeper_delivers_later(
    world, dead_broker, api_client, django_capture_on_commit_callbacks, caplog
):
    client = api_client(world["owner"])
    today = timezone.localdate()
    created = client.post(
        "/api/v1/deprecations/",
        {
            "api_version": world["v1"].pk,
            "reason": "v2 has idempotency keys; v1 is going away.",
            "replacement_version": world["v2"].pk,
            "migration_guide_url": "https://docs.example.com/payments/v1-to-v2",
            "sunset_date": (today + dt.timedelta(days=200)).isoformat(),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    deprecation_id = created.json()["id"]

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(f"/api/v1/deprecations/{deprecation_id}/announce/")
    elapsed = time.monotonic() - started

    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "announced"
    assert callbacks  # the enqueue really ran after commit, against the dead broker
    assert elapsed < 10
    assert "broker unavailable" in caplog.text
    # The change and its outbox rows are committed.
    assert Deprecation.objects.get(pk=deprecation_id).state == "announced"
    assert ConsumerMigration.objects.filter(deprecation_id=deprecation_id).count() == 1
    event = ChangeEvent.objects.get(kind="deprecation_announced")
    email = Notification.objects.get(event=event, channel="email")
    assert email.state == "pending"
    assert email.recipient_id == world["shop"].pk
    assert Notification.objects.get(event=event, channel="inbox").state == "delivered"
    assert mail.outbox == []

    # The broker comes back (eager here); the beat sweeper picks the pending row up.
    app.conf.task_always_eager = True
    tasks.sweep()
    email.refresh_from_db()
    assert email.state == "delivered"
    assert [m.to for m in mail.outbox] == [["shop@example.com"]]
