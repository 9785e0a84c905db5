"""Planning: event_record writes one event and one notification per (team, event, channel)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, transaction

from portal.notifications.models import ChangeEvent, Notification, RecipientPreference
from portal.notifications.services import Recipient, event_record, next_digest_at

pytestmark = pytest.mark.django_db


def record(recipients, *, key="evt-1", **kw):
    return event_record(
        kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
        dedupe_key=key,
        title="Payments API v1 is deprecated",
        body="Sunset on 2027-06-30.",
        url="http://portal/deprecations/1/",
        payload={"deprecation": 1},
        recipients=recipients,
        **kw,
    )


def test_one_notification_per_team_and_channel(make_team):
    a = make_team(webhook="https://93.184.216.34/a", email="a@example.com")
    b = make_team(chat="https://93.184.216.34/b")
    c = make_team()
    event = record([Recipient(team_id=t.id) for t in (a, b, c)])
    rows = set(Notification.objects.filter(event=event).values_list("recipient_id", "channel"))
    assert rows == {
        (a.id, "inbox"),
        (a.id, "email"),
        (a.id, "webhook"),
        (b.id, "inbox"),
        (b.id, "chat"),
        (c.id, "inbox"),
    }


def test_a_repeated_dedupe_key_returns_the_event_and_writes_nothing(make_team):
    a = make_team(webhook="https://93.184.216.34/a")
    first = record([Recipient(team_id=a.id)])
    before = Notification.objects.count()
    again = record([Recipient(team_id=a.id), Recipient(team_id=make_team().id)])
    assert again.pk == first.pk
    assert ChangeEvent.objects.count() == 1 and Notification.objects.count() == before


def test_the_database_refuses_a_second_notification_for_the_same_thing(make_team):
    a = make_team()
    event = record([Recipient(team_id=a.id)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(event=event, recipient=a, channel="inbox")


def test_a_team_listed_several_times_keeps_its_strongest_relation(make_team):
    a = make_team()
    event = record(
        [
            Recipient(team_id=a.id, relation="transitive", path=["x", "y"]),
            Recipient(team_id=a.id, relation="direct", detail={"services": ["checkout"]}),
            Recipient(team_id=a.id, relation="transitive", path=["z"]),
        ]
    )
    (row,) = Notification.objects.filter(event=event)
    assert row.relation == "direct" and row.detail == {"services": ["checkout"]}


def test_transitive_notices_respect_the_team_setting(make_team):
    on, off = make_team(), make_team()
    RecipientPreference.objects.create(recipient=off, transitive_notices=False)
    event = record(
        [
            Recipient(team_id=on.id, relation="transitive", path=["a", "b"]),
            Recipient(team_id=off.id, relation="transitive", path=["a", "c"]),
        ]
    )
    rows = Notification.objects.filter(event=event)
    assert [(r.recipient_id, r.path) for r in rows] == [(on.id, ["a", "b"])]
    # a direct notice still reaches the opted-out team
    event2 = record([Recipient(team_id=off.id, relation="direct")], key="evt-2")
    assert Notification.objects.filter(event=event2, recipient=off).count() == 1


def test_inbox_rows_are_delivered_at_creation_and_others_are_due_now(make_team):
    a = make_team(webhook="https://93.184.216.34/a")
    event = record([Recipient(team_id=a.id)])
    inbox = Notification.objects.get(event=event, channel="inbox")
    hook = Notification.objects.get(event=event, channel="webhook")
    assert inbox.state == "delivered" and inbox.delivered_at is not None and inbox.read_at is None
    assert hook.state == "pending" and hook.next_attempt_at is not None and not hook.digest


def test_digest_teams_get_rows_due_at_their_next_digest_hour(make_team):
    a = make_team(webhook="https://93.184.216.34/a")
    RecipientPreference.objects.create(recipient=a, delivery_mode="digest", digest_hour=7)
    event = record([Recipient(team_id=a.id)])
    hook = Notification.objects.get(event=event, channel="webhook")
    assert hook.digest and hook.next_attempt_at.hour == 7 and hook.next_attempt_at.minute == 0
    assert Notification.objects.get(event=event, channel="inbox").state == "delivered"


def test_next_digest_at():
    now = datetime(2026, 3, 1, 6, 30, tzinfo=UTC)
    assert next_digest_at(hour=7, now=now) == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    assert next_digest_at(hour=6, now=now) == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_disabled_endpoints_get_no_rows(make_team):
    a = make_team(webhook="https://93.184.216.34/a")
    a.notification_endpoints.update(enabled=False)
    event = record([Recipient(team_id=a.id)])
    assert list(Notification.objects.filter(event=event).values_list("channel", flat=True)) == [
        "inbox"
    ]


def test_nothing_is_dispatched_until_commit_and_a_rollback_leaves_nothing(
    make_team, django_capture_on_commit_callbacks
):
    a = make_team(webhook="https://93.184.216.34/a")
    with django_capture_on_commit_callbacks() as callbacks:
        record([Recipient(team_id=a.id)])
    assert len(callbacks) == 1  # one dispatch for the whole event, not one per notification

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        record([Recipient(team_id=a.id)], key="evt-rolled-back")
        raise Boom
    assert not ChangeEvent.objects.filter(dedupe_key="evt-rolled-back").exists()


def test_planning_queries_do_not_grow_with_recipients(make_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    teams = [make_team(webhook="https://93.184.216.34/x") for _ in range(30)]
    with CaptureQueriesContext(connection) as small:
        record([Recipient(team_id=t.id) for t in teams[:3]], key="small")
    with CaptureQueriesContext(connection) as large:
        record([Recipient(team_id=t.id) for t in teams], key="large")
    assert len(small) == len(large) <= 10
    assert Notification.objects.filter(event__dedupe_key="large").count() == 60
