"""The pipeline with a real Celery worker on Redis and PostgreSQL (CI sets REDIS_URL, DATABASE_URL).

- 50 consumer teams: exactly one notification per (team, event, channel), all delivered;
- SIGKILL the worker mid-batch, start a new one: everything is still delivered and the receiver,
  deduplicating on webhook-id, sees each notification (redeliveries carry the same id);
- Redis stopped during the change: the change commits, the sweeper delivers once Redis is back.
"""

from __future__ import annotations

import os
import shutil
from collections import Counter

import pytest
from django.db import connection

from portal.celery import app
from portal.notifications.models import ChangeEvent, Notification
from portal.notifications.services import Recipient, event_record
from tests.portal.notifications.workerutil import PrivateRedis, Worker, free_port, wait_for

REDIS_URL = os.environ.get("REDIS_URL", "")

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (a real worker on Redis)"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _needs_a_shared_database():
    if connection.vendor != "postgresql":
        pytest.skip("the worker must share the test database: run with DATABASE_URL=postgres://…")


@pytest.fixture
def broker(settings):
    """Point this process's Celery app at a real broker (the test settings are eager)."""
    saved = {k: app.conf[k] for k in ("task_always_eager", "broker_url")}
    settings.PORTAL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]

    def use(url: str) -> None:
        app.conf.task_always_eager = False
        app.conf.broker_url = url
        app._pool = None
        if "amqp" in app.__dict__:
            app.amqp._producer_pool = None

    yield use
    app.conf.update(saved)
    app._pool = None
    if "amqp" in app.__dict__:
        app.amqp._producer_pool = None


@pytest.fixture
def workers():
    started: list[Worker] = []

    def start(redis_url: str = REDIS_URL, **kwargs) -> Worker:
        worker = Worker(redis_url=redis_url, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def announce(teams, *, key):
    return event_record(
        kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
        dedupe_key=key,
        title="Orders API v1 is deprecated",
        body="Sunset 2027-06-30.",
        recipients=[Recipient(team_id=t.id) for t in teams],
    )


def delivered(event, *, channel=None) -> int:
    qs = Notification.objects.filter(event=event, state="delivered")
    if channel:
        qs = qs.filter(channel=channel)
    return qs.count()


def test_fifty_consumer_teams_get_exactly_one_notice_per_channel(
    make_team, receiver, broker, workers
):
    broker(REDIS_URL)
    teams = [
        make_team(webhook=receiver.url("/hook"), chat=receiver.url("/chat")) for _ in range(50)
    ]
    worker = workers(concurrency=2)
    event = announce(teams, key="w-50")  # commits; dispatch after commit goes to Redis
    try:
        wait_for(lambda: delivered(event) == 150, timeout=90, what="150 deliveries")
    except AssertionError:
        print(worker.output())
        raise
    rows = Notification.objects.filter(event=event)
    per_key = Counter(rows.values_list("recipient_id", "channel"))
    assert len(per_key) == 150 and set(per_key.values()) == {1}
    hook_ids = {f"msg_{pk}" for pk in rows.filter(channel="webhook").values_list("pk", flat=True)}
    webhook_requests = [r for r in receiver.requests if r["path"] == "/hook"]
    assert {r["headers"]["webhook-id"] for r in webhook_requests} == hook_ids
    assert len(webhook_requests) == 50  # no crash, so not a single redelivery
    assert len([r for r in receiver.requests if r["path"] == "/chat"]) == 50


def test_a_worker_killed_mid_batch_loses_nothing(make_team, receiver, broker, workers):
    broker(REDIS_URL)
    receiver.delay = 0.1  # so the batch is still in flight when the worker dies
    teams = [make_team(webhook=receiver.url()) for _ in range(50)]
    first = workers(concurrency=1)
    event = announce(teams, key="w-kill")
    wait_for(lambda: len(receiver.requests) >= 5, timeout=60, what="the first deliveries")
    first.kill()  # SIGKILL the whole worker process group
    at_kill = delivered(event, channel="webhook")
    assert at_kill < 50, "the batch finished before the kill; the scenario proves nothing"
    second = workers(concurrency=1)
    try:
        wait_for(
            lambda: delivered(event, channel="webhook") == 50, timeout=90, what="all 50 delivered"
        )
    except AssertionError:
        print(second.output())
        raise
    expected = {
        f"msg_{pk}"
        for pk in Notification.objects.filter(event=event, channel="webhook").values_list(
            "pk", flat=True
        )
    }
    seen = Counter(receiver.ids())
    assert set(seen) == expected  # every notification arrived, and nothing else
    duplicates = sum(n - 1 for n in seen.values())
    assert duplicates <= 10  # at most the rows in flight when the worker died
    print(f"killed after {at_kill} delivered; redelivered duplicates: {duplicates}")


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_with_redis_down_the_change_commits_and_the_sweeper_delivers_later(
    make_team, receiver, broker, workers
):
    redis = PrivateRedis(free_port(6390))
    redis.start()
    try:
        broker(redis.url)
        teams = [make_team(webhook=receiver.url()) for _ in range(5)]
        redis.stop()  # the broker is down during the change
        event = announce(teams, key="w-down")  # must not raise
        assert ChangeEvent.objects.filter(pk=event.pk).exists()
        assert set(
            Notification.objects.filter(event=event, channel="webhook").values_list(
                "state", flat=True
            )
        ) == {"pending"}
        redis.start()
        worker = workers(redis_url=redis.url)
        try:
            wait_for(lambda: delivered(event, channel="webhook") == 5, timeout=60, what="sweeper")
        except AssertionError:
            print(worker.output())
            raise
        assert Counter(receiver.ids()) == Counter(
            f"msg_{pk}"
            for pk in Notification.objects.filter(event=event, channel="webhook").values_list(
                "pk", flat=True
            )
        )
    finally:
        redis.stop()
