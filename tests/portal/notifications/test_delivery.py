"""Delivery: signed webhooks, chat, e-mail, retries with backoff, dead letters, replay, leases."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from portal.notifications import netguard, services, tasks
from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
    WebhookAllowedHost,
)
from portal.notifications.services import Recipient, event_record
from portal.notifications.signing import verify

pytestmark = pytest.mark.django_db


def announce(teams, *, key="evt-1", title="Payments API v1 is deprecated"):
    return event_record(
        kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
        dedupe_key=key,
        title=title,
        body="Sunset on 2027-06-30. Migrate to v2.",
        url="http://portal/deprecations/1/",
        payload={"deprecation": 1},
        recipients=[Recipient(team_id=t.id, relation="direct") for t in teams],
    )


def make_due():
    Notification.objects.exclude(state="delivered").update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def test_a_committed_event_is_delivered_as_a_signed_webhook(
    make_team, receiver, allow_loopback, django_capture_on_commit_callbacks
):
    team = make_team(webhook=receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        event = announce([team])
    row = Notification.objects.get(event=event, channel="webhook")
    assert row.state == "delivered" and row.delivered_at and row.attempts == 1
    (request,) = receiver.requests
    assert request["headers"]["webhook-id"] == f"msg_{row.pk}"
    secret = NotificationEndpoint.objects.get(recipient=team).secret
    verify(headers=request["headers"], body=request["body"], secret=secret)
    body = json.loads(request["body"])
    assert body["type"] == "deprecation_announced"
    assert body["data"]["title"] == "Payments API v1 is deprecated"
    assert body["data"]["recipient"]["relation"] == "direct"


def test_a_failure_is_retried_later_with_the_same_webhook_id(make_team, receiver, allow_loopback):
    team = make_team(webhook=receiver.url())
    announce([team])
    receiver.status = 500
    before = timezone.now()
    report = services.delivery_run()
    assert report.failed == 1
    row = Notification.objects.get(channel="webhook")
    assert row.state == "failed" and row.attempts == 1 and "HTTP 500" in row.last_error
    # exponential backoff with jitter: between half and all of the 30 s base
    assert before + timedelta(seconds=14) <= row.next_attempt_at <= before + timedelta(seconds=31)
    assert services.delivery_run().claimed == 0  # not due yet: the wait lives in the database
    receiver.status = 204
    make_due()
    assert services.delivery_run().delivered == 1
    assert receiver.ids() == [f"msg_{row.pk}", f"msg_{row.pk}"]
    row.refresh_from_db()
    assert row.state == "delivered" and row.attempts == 2 and row.last_error == ""


def test_backoff_grows_exponentially_and_is_capped(settings):
    settings.PORTAL_NOTIFICATION_BACKOFF_BASE_SECONDS = 10
    settings.PORTAL_NOTIFICATION_BACKOFF_MAX_SECONDS = 100
    for attempts, ceiling in [(1, 10), (2, 20), (3, 40), (4, 80), (5, 100), (12, 100)]:
        samples = [services.backoff_seconds(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= s <= ceiling for s in samples)
    assert len({round(services.backoff_seconds(3), 6) for _ in range(20)}) > 1  # jittered


def test_after_max_attempts_the_notification_is_dead_and_an_admin_can_replay_it(
    make_team, receiver, allow_loopback, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_NOTIFICATION_MAX_ATTEMPTS = 3
    team = make_team(webhook=receiver.url())
    announce([team])
    receiver.status = 503
    for _ in range(3):
        services.delivery_run()
        make_due()
    row = Notification.objects.get(channel="webhook")
    assert row.state == "dead" and row.attempts == 3
    assert services.delivery_run().claimed == 0
    receiver.status = 204
    with django_capture_on_commit_callbacks(execute=True):
        assert services.notification_replay(notifications=[row]) == 1
    row.refresh_from_db()
    assert row.state == "delivered" and row.attempts == 1
    assert len(receiver.requests) == 4 and len(receiver.unique_ids()) == 1


def test_replay_never_resends_a_delivered_notification(make_team, receiver, allow_loopback):
    team = make_team(webhook=receiver.url())
    announce([team])
    services.delivery_run()
    row = Notification.objects.get(channel="webhook")
    assert services.notification_replay(notifications=[row]) == 0
    assert services.deliver_claimed([row.pk]).delivered == 0
    assert len(receiver.requests) == 1


def test_http_410_disables_the_endpoint_and_later_notices_are_skipped(
    make_team, receiver, allow_loopback
):
    team = make_team(webhook=receiver.url())
    announce([team], key="a")
    announce([team], key="b")
    receiver.status = 410
    report = services.delivery_run()
    assert report.dead == 1 and report.skipped == 1
    endpoint = NotificationEndpoint.objects.get(recipient=team)
    assert not endpoint.enabled and "410" in endpoint.disabled_reason
    assert len(receiver.requests) == 1
    announce([team], key="c")
    assert not Notification.objects.filter(event__dedupe_key="c", channel="webhook").exists()


def test_redirects_are_not_followed(make_team, receiver, allow_loopback):
    team = make_team(webhook=receiver.url())
    announce([team])
    receiver.status = 302
    assert services.delivery_run().failed == 1
    row = Notification.objects.get(channel="webhook")
    assert "redirects are not followed" in row.last_error
    assert len(receiver.requests) == 1


def test_a_loopback_webhook_is_refused_before_delivery_unless_allow_listed(make_team, receiver):
    team = make_team(webhook=receiver.url())
    announce([team])
    assert services.delivery_run().dead == 1
    row = Notification.objects.get(channel="webhook")
    assert row.state == "dead" and "loopback" in row.last_error
    assert receiver.requests == []
    # an admin allow-lists the host, then replays
    WebhookAllowedHost.objects.create(host="127.0.0.1", note="test receiver")
    services.notification_replay(notifications=[row])
    assert services.delivery_run().delivered == 1
    assert len(receiver.requests) == 1


def test_the_request_goes_to_the_pinned_address_with_the_original_host(
    make_team, receiver, settings, monkeypatch
):
    """hooks.internal.test exists only in our resolver: the request can only arrive pinned."""
    settings.PORTAL_WEBHOOK_ALLOWED_HOSTS = ["hooks.internal.test"]
    calls = []

    def fake_resolver(host, port):
        calls.append(host)
        return ["127.0.0.1"]

    monkeypatch.setattr(netguard, "system_resolver", fake_resolver)
    team = make_team(webhook=f"http://hooks.internal.test:{receiver.port}/in")
    announce([team])
    assert services.delivery_run().delivered == 1
    (request,) = receiver.requests
    assert request["headers"]["host"] == f"hooks.internal.test:{receiver.port}"
    assert request["path"] == "/in" and calls == ["hooks.internal.test"]  # resolved once


def test_chat_webhooks_get_slack_compatible_json(make_team, receiver, allow_loopback):
    team = make_team(chat=receiver.url("/chat"))
    announce([team])
    assert services.delivery_run().delivered == 1
    (body,) = receiver.json_bodies()
    assert "Payments API v1 is deprecated" in body["text"]
    assert body["blocks"][0]["type"] == "header"
    assert any(
        "you consume this directly" in b.get("text", {}).get("text", "") for b in body["blocks"]
    )
    assert "webhook-signature" not in receiver.requests[0]["headers"]


def test_email_goes_out_as_plain_text_and_html(make_team):
    team = make_team(email="a@example.com, b@example.com")
    announce([team])
    assert services.delivery_run().delivered == 1
    (message,) = mail.outbox
    assert message.to == ["a@example.com", "b@example.com"]
    assert message.subject == "[Platform Portal] Payments API v1 is deprecated"
    assert "Sunset on 2027-06-30" in message.body and "You consume this directly" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and '<a href="http://portal/deprecations/1/">' in html


def test_a_digest_team_gets_one_message_per_channel(make_team, receiver, allow_loopback):
    team = make_team(webhook=receiver.url(), email="team@example.com")
    RecipientPreference.objects.create(recipient=team, delivery_mode="digest", digest_hour=9)
    for key in ("a", "b", "c"):
        announce([team], key=key, title=f"Change {key}")
    assert services.delivery_run().claimed == 0  # not before the digest hour
    make_due()
    report = tasks.send_digests()
    assert report["delivered"] == 6
    (request,) = receiver.requests
    body = json.loads(request["body"])
    assert body["type"] == "digest"
    assert [i["title"] for i in body["data"]["items"]] == ["Change a", "Change b", "Change c"]
    assert request["headers"]["webhook-id"].startswith("digest_")
    (message,) = mail.outbox
    assert "3 changes" in message.subject and "Change b" in message.body


def test_a_removed_endpoint_skips_queued_notices(make_team):
    team = make_team(webhook="https://93.184.216.34/x")
    announce([team])
    NotificationEndpoint.objects.filter(recipient=team).delete()
    assert services.delivery_run().skipped == 1
    assert Notification.objects.get(channel="webhook").state == "skipped"


def test_claimed_rows_belong_to_one_worker_until_the_lease_expires(
    make_team, receiver, allow_loopback
):
    team = make_team(webhook=receiver.url())
    announce([team])
    ids = services.delivery_claim(limit=10)  # a worker claims, then dies
    assert len(ids) == 1 and services.delivery_claim(limit=10) == []
    assert services.sweep() == 0
    Notification.objects.filter(id__in=ids).update(lease_expires_at=timezone.now() - timedelta(1))
    assert services.sweep() == 1  # re-dispatched; eager in tests, so delivered now
    row = Notification.objects.get(pk=ids[0])
    assert row.state == "delivered" and row.attempts == 2
    assert receiver.ids() == [f"msg_{row.pk}"]


def test_the_sweeper_buries_a_stuck_row_on_its_last_attempt(make_team, settings):
    settings.PORTAL_NOTIFICATION_MAX_ATTEMPTS = 1
    team = make_team(webhook="https://93.184.216.34/x")
    announce([team])
    (row_id,) = services.delivery_claim(limit=10)
    Notification.objects.filter(pk=row_id).update(lease_expires_at=timezone.now() - timedelta(1))
    services.sweep()
    row = Notification.objects.get(pk=row_id)
    assert row.state == "dead" and "lease expired" in row.last_error


def test_dispatch_enqueues_batches_not_one_task_per_notification(
    make_team, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.PORTAL_NOTIFICATION_BATCH_SIZE = 10
    calls = []
    monkeypatch.setattr(tasks.deliver_due, "apply_async", lambda **kw: calls.append(kw))
    teams = [make_team(webhook="https://93.184.216.34/x") for _ in range(25)]
    with django_capture_on_commit_callbacks(execute=True):
        announce(teams)
    assert len(calls) == 3  # ceil(25 / 10), capped at PORTAL_NOTIFICATION_PARALLEL_TASKS


def test_a_broker_outage_does_not_fail_the_change_and_the_sweeper_delivers_later(
    make_team, receiver, allow_loopback, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    team = make_team(webhook=receiver.url())
    original = tasks.deliver_due.apply_async

    def broker_down(**kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(tasks.deliver_due, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        event = announce([team])
    assert ChangeEvent.objects.filter(pk=event.pk).exists()
    assert Notification.objects.get(channel="webhook").state == "pending"
    monkeypatch.setattr(tasks.deliver_due, "apply_async", original)
    assert tasks.sweep() == 1
    assert Notification.objects.get(channel="webhook").state == "delivered"
    assert len(receiver.requests) == 1


def test_a_slow_batch_gives_back_what_it_cannot_send_within_its_lease(
    make_team, settings, monkeypatch
):
    settings.PORTAL_NOTIFICATION_LEASE_SECONDS = 10
    teams = [make_team(webhook="https://93.184.216.34/x") for _ in range(3)]
    announce(teams)
    clock = {"now": 0.0}

    def slow_send(*args, **kwargs):
        clock["now"] += 20.0  # each send takes longer than the lease allows

    monkeypatch.setattr(services.time, "monotonic", lambda: clock["now"])
    monkeypatch.setattr(services.channels, "send", slow_send)
    ids = services.delivery_claim(limit=10)
    report = services.deliver_claimed(ids)
    assert report.delivered == 1 and report.released == 2
    states = sorted(Notification.objects.filter(id__in=ids).values_list("state", "attempts"))
    assert states == [("delivered", 1), ("pending", 0), ("pending", 0)]
