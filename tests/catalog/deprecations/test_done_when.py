"""The issue's "Done when", end to end through the API: an owner announces, every affected
consumer team gets one notice, reminders follow on schedule, consumers mark their migration and
the owner retires the version once the board is green."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import ApiVersion, ConsumerMigration
from catalog.services.deprecations import deprecations_daily
from portal.notifications.models import ChangeEvent, Notification

pytestmark = pytest.mark.django_db


def test_announce_remind_migrate_retire(api_client, world, draft_payload, today):
    owner = api_client(world.owner)
    # 1. The owner drafts and announces.
    resp = owner.post("/api/v1/deprecations/", draft_payload(), format="json")
    assert resp.status_code == 201
    pk = resp.json()["id"]
    assert owner.post(f"/api/v1/deprecations/{pk}/announce/").status_code == 200
    sunset = dt.date.fromisoformat(resp.json()["sunset_date"])

    # 2. One notice per affected team and channel.
    announce = ChangeEvent.objects.get(kind="deprecation_announced")
    per_key = list(announce.notifications.values_list("recipient__slug", "channel"))
    assert len(per_key) == len(set(per_key))
    assert {slug for slug, _ in per_key} == {"shop", "finance"}
    # Consumers see it in their inbox.
    inbox = api_client(world.sam).get("/api/v1/notifications/")
    if inbox.status_code == 200:
        titles = [
            n.get("title") or n.get("event", {}).get("title") for n in inbox.json()["results"]
        ]
        assert any("deprecated" in (t or "") for t in titles)

    # 3. Reminders at the policy's offsets.
    for left in (90, 30):
        assert deprecations_daily(today=sunset - dt.timedelta(days=left))["reminder"] == 1
    assert ChangeEvent.objects.filter(kind="sunset_reminder").count() == 2

    # 4. Consumers mark their migrations.
    sam, fay = api_client(world.sam), api_client(world.fay)
    migrations = {
        r["consumer_slug"]: r["id"]
        for r in sam.get(f"/api/v1/migrations/?deprecation={pk}").json()["results"]
    }
    assert sam.post(f"/api/v1/migrations/{migrations['checkout']}/acknowledge/").status_code == 200
    assert sam.post(f"/api/v1/migrations/{migrations['checkout']}/start/").status_code == 200
    assert sam.post(f"/api/v1/migrations/{migrations['checkout']}/complete/").status_code == 200
    # billing switches its dependency to v2 → migrated automatically.
    assert (
        sam.patch(
            f"/api/v1/dependencies/{world.dep_billing.pk}/",
            {"api_version": world.v2.pk},
            format="json",
        ).status_code
        == 200
    )
    # ledger objects first, then completes.
    assert (
        fay.post(
            f"/api/v1/migrations/{migrations['ledger']}/object/", {"reason": "need a bulk endpoint"}
        ).status_code
        == 200
    )
    objection = ChangeEvent.objects.get(kind="migration_objected")
    assert objection.notifications.filter(recipient=world.team, relation="owner").exists()

    # 5. Sunset with a blocker: blocked and escalated; retiring is refused.
    assert deprecations_daily(today=sunset)["blocked"] == 1
    from catalog.services.deprecations import deprecation_retire
    from portal.api.exceptions import DomainError

    with pytest.raises(DomainError) as exc:
        deprecation_retire(
            deprecation=ConsumerMigration.objects.get(pk=migrations["ledger"]).deprecation,
            actor=world.owner,
            today=sunset,
        )
    assert exc.value.extra["blockers"] == ["ledger"]
    assert fay.post(f"/api/v1/migrations/{migrations['ledger']}/complete/").status_code == 200

    # 6. The board is green: the clock says so and the owner retires.
    assert deprecations_daily(today=sunset + dt.timedelta(days=1))["unblocked"] == 1
    board = sam.get(f"/api/v1/migrations/?deprecation={pk}").json()["results"]
    assert {r["state"] for r in board} == {"migrated"}
    deprecation = ConsumerMigration.objects.get(pk=migrations["ledger"]).deprecation
    deprecation_retire(
        deprecation=deprecation, actor=world.owner, today=sunset + dt.timedelta(days=1)
    )
    detail = owner.get(f"/api/v1/deprecations/{pk}/").json()
    assert detail["state"] == "retired"
    assert detail["migrated_count"] == detail["consumer_count"] == 3
    assert ApiVersion.objects.get(pk=world.v1.pk).status == "retired"
    kinds = list(ChangeEvent.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        "deprecation_announced",
        "sunset_reminder",
        "sunset_reminder",
        "migration_objected",
        "sunset_blocked",
        "sunset_ready",
        "version_retired",
    ]
    # Never two notices for the same (team, event, channel).
    rows = list(Notification.objects.values_list("recipient_id", "event_id", "channel"))
    assert len(rows) == len(set(rows))
