"""The daily clock: reminders on schedule, sunset blocked with escalation, sunset ready —
with the date injected (no freezegun) and idempotent on re-runs."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import ConsumerMigration, Deprecation
from catalog.services.deprecations import deprecations_daily, migration_complete, migration_exempt
from catalog.tasks.deprecations import deprecations_daily as daily_task
from portal.notifications.models import ChangeEvent

pytestmark = pytest.mark.django_db


def _kinds():
    return list(ChangeEvent.objects.order_by("id").values_list("kind", flat=True))


def test_reminders_follow_policy_offsets(announced, today, world):
    sunset = announced.sunset_date  # 200 days out; offsets 90, 30, 14, 7, 1
    sent = []
    day = today
    while day < sunset:
        result = deprecations_daily(today=day)
        if result.get("reminder"):
            sent.append((sunset - day).days)
        day += dt.timedelta(days=1)
    assert sent == [90, 30, 14, 7, 1]
    reminders = ChangeEvent.objects.filter(kind="sunset_reminder").order_by("id")
    assert [e.payload["offset"] for e in reminders] == [90, 30, 14, 7, 1]
    assert reminders[0].dedupe_key == f"deprecation:{announced.pk}:reminder:{sunset}:90"
    assert sorted(n.recipient.slug for n in reminders[0].notifications.all()) == ["finance", "shop"]


def test_reminders_skip_migrated_consumers_and_are_idempotent(announced, today, world):
    m = ConsumerMigration.objects.get(deprecation=announced, consumer=world.ledger)
    migration_complete(migration=m, actor=world.fay)
    day = announced.sunset_date - dt.timedelta(days=30)
    assert deprecations_daily(today=day)["reminder"] == 1
    assert deprecations_daily(today=day).get("reminder") is None  # same day again: nothing
    event = ChangeEvent.objects.get(kind="sunset_reminder")
    assert [n.recipient.slug for n in event.notifications.all()] == ["shop"]


def test_catch_up_sends_only_the_latest_due_offset(announced, today):
    # The clock was down for two months: one reminder (the 30-day one), not three.
    day = announced.sunset_date - dt.timedelta(days=25)
    deprecations_daily(today=day)
    assert [e.payload["offset"] for e in ChangeEvent.objects.filter(kind="sunset_reminder")] == [30]


def test_offsets_covered_by_the_announcement_are_skipped(world, make_draft, today):
    from catalog.services.deprecations import deprecation_announce
    from slas.models import VersioningPolicy

    VersioningPolicy.objects.create(name="short", is_default=True, min_notice_days_stable=20)
    d = deprecation_announce(
        deprecation=make_draft(sunset_date=today + dt.timedelta(days=20)), actor=world.owner
    )
    deprecations_daily(today=today)
    deprecations_daily(today=today + dt.timedelta(days=6))  # 14 left → the 14-day reminder
    offsets = [e.payload["offset"] for e in ChangeEvent.objects.filter(kind="sunset_reminder")]
    assert offsets == [14]
    assert d.pk


def test_sunset_with_blockers_escalates_then_unblocks(announced, world):
    sunset = announced.sunset_date
    result = deprecations_daily(today=sunset)
    assert result["blocked"] == 1
    d = Deprecation.objects.get(pk=announced.pk)
    assert d.state == "sunset_blocked"
    t = d.transitions.get(action="sunset_blocked")
    assert t.actor is None and t.data["blockers"] == 3
    event = ChangeEvent.objects.get(kind="sunset_blocked")
    relations = {n.recipient.slug: n.relation for n in event.notifications.all()}
    assert relations == {"payments": "owner", "shop": "direct", "finance": "direct"}
    assert event.payload["blockers"] == ["billing", "checkout", "ledger"]
    # Next day: nothing new.
    assert deprecations_daily(today=sunset + dt.timedelta(days=1)).get("blocked") is None
    assert ChangeEvent.objects.filter(kind="sunset_blocked").count() == 1
    # Blockers resolve → announced again, and the owner hears it can retire.
    for m in ConsumerMigration.objects.filter(deprecation=d).exclude(consumer=world.ledger):
        migration_complete(migration=m, actor=world.sam)
    migration_exempt(
        migration=ConsumerMigration.objects.get(deprecation=d, consumer=world.ledger),
        actor=world.owner,
        reason="contract ends",
    )
    assert deprecations_daily(today=sunset + dt.timedelta(days=2))["unblocked"] == 1
    d.refresh_from_db()
    assert d.state == "announced"
    ready = ChangeEvent.objects.get(kind="sunset_ready")
    assert [(n.recipient.slug, n.relation) for n in ready.notifications.all()] == [
        ("payments", "owner")
    ]


def test_sunset_without_blockers_tells_owner_it_can_retire(announced, world):
    for m in ConsumerMigration.objects.filter(deprecation=announced):
        migration_complete(
            migration=m, actor=world.sam if m.consumer.owner == world.shop else world.fay
        )
    assert deprecations_daily(today=announced.sunset_date)["ready"] == 1
    assert deprecations_daily(today=announced.sunset_date)["nothing"] == 1
    assert Deprecation.objects.get(pk=announced.pk).state == "announced"
    assert _kinds() == ["deprecation_announced", "sunset_ready"]


def test_reschedule_later_unblocks_and_restarts_reminders(api_client, announced, world):
    sunset = announced.sunset_date
    deprecations_daily(today=sunset)
    later = sunset + dt.timedelta(days=60)
    from catalog.services.deprecations import deprecation_reschedule

    deprecation_reschedule(
        deprecation=announced, actor=world.owner, sunset_date=later, today=sunset
    )
    d = Deprecation.objects.get(pk=announced.pk)
    assert d.state == "announced" and d.sunset_date == later
    deprecations_daily(today=later - dt.timedelta(days=30))
    assert ChangeEvent.objects.filter(
        kind="sunset_reminder", dedupe_key__contains=f":reminder:{later}:30"
    ).exists()


def test_pending_consumers_become_notified_with_their_reminder(announced, world):
    ConsumerMigration.objects.filter(deprecation=announced).update(state="pending")
    deprecations_daily(today=announced.sunset_date - dt.timedelta(days=90))
    assert set(ConsumerMigration.objects.values_list("state", flat=True)) == {"notified"}


def test_task_takes_an_iso_date(announced):
    result = daily_task.delay(today=(announced.sunset_date - dt.timedelta(days=7)).isoformat())
    assert result.get()["reminder"] == 1


def test_terminal_deprecations_are_ignored(announced, world):
    from catalog.services.deprecations import deprecation_cancel

    deprecation_cancel(deprecation=announced, actor=world.owner)
    assert deprecations_daily(today=announced.sunset_date) == {"deprecations": 0}
