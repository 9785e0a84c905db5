"""Deprecations through the API: create, announce, reschedule, approve, cancel, retire — every
transition and every refusal, checking the response and the database."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import (
    ApiVersion,
    ConsumerMigration,
    Deprecation,
    DeprecationTransition,
    MigrationTransition,
)
from portal.notifications.models import ChangeEvent, Notification
from slas.models import VersioningPolicy

URL = "/api/v1/deprecations/"
pytestmark = pytest.mark.django_db


def _action(pk, verb):
    return f"{URL}{pk}/{verb}/"


def _snapshot(deprecation_id):
    d = Deprecation.objects.get(pk=deprecation_id)
    return (
        d.state,
        d.sunset_date,
        d.proposed_sunset_date,
        d.api_version.status,
        ConsumerMigration.objects.count(),
        ChangeEvent.objects.count(),
        DeprecationTransition.objects.filter(deprecation_id=deprecation_id).count(),
    )


# --- create --------------------------------------------------------------------------------


def test_owner_creates_a_draft(api_client, world, draft_payload):
    resp = api_client(world.owner).post(URL, draft_payload(), format="json")
    assert resp.status_code == 201, resp.json()
    body = resp.json()
    assert body["state"] == "draft"
    d = Deprecation.objects.get(pk=body["id"])
    assert d.created_by == world.owner
    assert d.replacement_version == world.v2
    assert d.transitions.get().action == "created"
    # Nobody is told about a draft.
    assert ChangeEvent.objects.count() == 0
    assert ConsumerMigration.objects.count() == 0


@pytest.mark.parametrize("who", ["engineer", "member", "sam"])
def test_non_owners_cannot_create(api_client, world, draft_payload, engineer, who):
    user = {"engineer": engineer, "member": world.member, "sam": world.sam}[who]
    resp = api_client(user).post(URL, draft_payload(), format="json")
    assert resp.status_code == 403
    assert resp.json()["rule"] == "owner-or-staff"
    assert Deprecation.objects.count() == 0


def test_anonymous_cannot_read_or_create(api_client, world, draft_payload):
    for response in (api_client().get(URL), api_client().post(URL, draft_payload(), format="json")):
        assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]
    assert Deprecation.objects.count() == 0


def test_staff_creates_for_any_api(api_client, world, draft_payload, admin):
    assert api_client(admin).post(URL, draft_payload(), format="json").status_code == 201


@pytest.mark.parametrize(
    "overrides,field",
    [
        ({"reason": ""}, "reason"),
        ({"sunset_date": "not-a-date"}, "sunset_date"),
        ({"scope": "operations"}, "operations"),
        ({"deprecation_date": "2099-01-02", "sunset_date": "2099-01-01"}, "deprecation_date"),
        ({"replacement_version": "SELF"}, "replacement_version"),
        ({"migration_guide_url": "not a url"}, "migration_guide_url"),
    ],
)
def test_create_rejects_bad_input(api_client, world, draft_payload, overrides, field):
    if overrides.get("replacement_version") == "SELF":
        overrides["replacement_version"] = world.v1.pk
    resp = api_client(world.owner).post(URL, draft_payload(**overrides), format="json")
    assert resp.status_code == 400, resp.json()
    assert field in resp.json()["errors"]
    assert Deprecation.objects.count() == 0


def test_create_rejects_operations_of_another_version(api_client, world, draft_payload):
    from tests.catalog.factories import ApiOperationFactory

    foreign = ApiOperationFactory(api_version=world.v2)
    resp = api_client(world.owner).post(
        URL, draft_payload(scope="operations", operations=[foreign.pk]), format="json"
    )
    assert resp.status_code == 400
    assert "operations" in resp.json()["errors"]
    assert Deprecation.objects.count() == 0


def test_create_refuses_retired_version(api_client, world, draft_payload):
    ApiVersion.objects.filter(pk=world.v1.pk).update(status="retired")
    resp = api_client(world.owner).post(URL, draft_payload(), format="json")
    assert resp.status_code == 409
    assert resp.json()["rule"] == "version-retired"


def test_owner_edits_a_draft_but_not_an_announced_one(api_client, world, make_draft, today):
    d = make_draft()
    new_sunset = (today + dt.timedelta(days=300)).isoformat()
    resp = api_client(world.owner).patch(f"{URL}{d.pk}/", {"sunset_date": new_sunset})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["sunset_date"] == new_sunset
    api_client(world.owner).post(_action(d.pk, "announce"))
    resp = api_client(world.owner).patch(f"{URL}{d.pk}/", {"reason": "changed"})
    assert resp.status_code == 409
    assert Deprecation.objects.get(pk=d.pk).reason != "changed"


# --- announce ------------------------------------------------------------------------------


def test_announce_creates_migrations_and_one_notice_per_team(api_client, world, make_draft):
    d = make_draft()
    resp = api_client(world.owner).post(_action(d.pk, "announce"))
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["state"] == "announced"
    assert body["consumer_count"] == 3
    d.refresh_from_db()
    assert d.published_by == world.owner
    assert d.announced_at is not None
    assert d.deprecation_date is not None
    assert ApiVersion.objects.get(pk=world.v1.pk).status == "deprecated"
    migrations = ConsumerMigration.objects.filter(deprecation=d)
    assert {m.consumer.slug for m in migrations} == {"checkout", "billing", "ledger"}
    assert {m.state for m in migrations} == {"notified"}
    assert MigrationTransition.objects.filter(migration__deprecation=d).count() == 3
    event = ChangeEvent.objects.get()
    assert event.kind == "deprecation_announced"
    assert event.dedupe_key == f"deprecation:{d.pk}:announced"
    assert event.payload["sunset_date"] == d.sunset_date.isoformat()
    notices = Notification.objects.filter(event=event, channel="inbox")
    # One per team: Shop (two consumers) and Finance; never the provider itself.
    assert sorted(n.recipient.slug for n in notices) == ["finance", "shop"]
    shop_notice = notices.get(recipient=world.shop)
    assert shop_notice.relation == "direct"
    assert shop_notice.detail["consumer_count"] == 2
    assert shop_notice.path[-1] == "payments-svc"
    assert list(d.transitions.values_list("action", flat=True)) == ["created", "announced"]


def test_announce_operation_scope_hits_only_users_of_those_operations(
    api_client, world, make_draft
):
    d = make_draft(scope="operations", operations=[world.op_charge])
    resp = api_client(world.owner).post(_action(d.pk, "announce"))
    assert resp.status_code == 200, resp.json()
    consumers = set(
        ConsumerMigration.objects.filter(deprecation=d).values_list("consumer__slug", flat=True)
    )
    # checkout uses /charges; ledger declared no operations; billing only uses /refunds.
    assert consumers == {"checkout", "ledger"}
    # The version itself stays active for an operation-scoped deprecation.
    assert ApiVersion.objects.get(pk=world.v1.pk).status == "active"


def _refused(api_client, user, d, status, rule):
    before = _snapshot(d.pk)
    resp = api_client(user).post(_action(d.pk, "announce"))
    assert resp.status_code == status, resp.json()
    assert resp.json()["rule"] == rule
    assert _snapshot(d.pk) == before
    return resp.json()


def test_announce_refused_for_non_owner(api_client, world, make_draft, engineer):
    d = make_draft()
    _refused(api_client, engineer, d, 403, "owner-or-staff")
    _refused(api_client, world.member, d, 403, "owner-or-staff")


def test_announce_refused_without_minimum_notice(api_client, world, make_draft, today):
    d = make_draft(sunset_date=today + dt.timedelta(days=179))
    body = _refused(api_client, world.owner, d, 422, "minimum-notice")
    assert body["notice_days"] == 180
    assert "sunset_date" in body["errors"]


def test_notice_counts_from_a_future_deprecation_date(api_client, world, make_draft, today):
    d = make_draft(
        deprecation_date=today + dt.timedelta(days=30),
        sunset_date=today + dt.timedelta(days=200),
    )
    _refused(api_client, world.owner, d, 422, "minimum-notice")


def test_notice_follows_stability_and_frozen_snapshot(api_client, world, make_draft, today):
    ApiVersion.objects.filter(pk=world.v1.pk).update(stability="beta")
    world.v1.refresh_from_db()
    d = make_draft(sunset_date=today + dt.timedelta(days=95))
    assert api_client(world.owner).post(_action(d.pk, "announce")).status_code == 200
    # A frozen snapshot wins over the live policy.
    VersioningPolicy.objects.create(name="Strict", is_default=True, min_notice_days_beta=365)
    other = ApiVersion.objects.create(
        api=world.api,
        version="3.0.0",
        major=3,
        stability="beta",
        policy_snapshot={
            "name": "Frozen",
            "scheme": "semver",
            "min_notice_days": {"draft": 0, "alpha": 0, "beta": 10, "stable": 180},
            "max_supported_majors": 2,
            "breaking_requires_major": True,
            "migration_guide_required": False,
            "successor_required": False,
            "consent_mode": "all_consumers",
            "reminder_offsets": [7],
        },
    )
    d2 = make_draft(
        api_version=other,
        replacement_version=None,
        migration_guide_url="",
        sunset_date=today + dt.timedelta(days=10),
    )
    assert api_client(world.owner).post(_action(d2.pk, "announce")).status_code == 200


def test_announce_refused_without_migration_guide(api_client, world, make_draft):
    d = make_draft(migration_guide_url="")
    _refused(api_client, world.owner, d, 422, "migration-guide-required")


def test_announce_refused_without_successor_for_stable(api_client, world, make_draft):
    d = make_draft(replacement_version=None)
    _refused(api_client, world.owner, d, 422, "successor-required")


def test_announce_refused_with_less_stable_successor(api_client, world, make_draft):
    ApiVersion.objects.filter(pk=world.v2.pk).update(stability="beta")
    d = make_draft()
    _refused(api_client, world.owner, d, 422, "successor-less-stable")


def test_policy_may_waive_guide_and_successor(api_client, world, make_draft):
    VersioningPolicy.objects.create(
        name="Lenient", is_default=True, migration_guide_required=False, successor_required=False
    )
    d = make_draft(replacement_version=None, migration_guide_url="")
    assert api_client(world.owner).post(_action(d.pk, "announce")).status_code == 200


def test_announce_twice_is_a_conflict(api_client, world, make_draft):
    d = make_draft()
    assert api_client(world.owner).post(_action(d.pk, "announce")).status_code == 200
    _refused(api_client, world.owner, d, 409, "state-transition")
    assert ChangeEvent.objects.count() == 1


def test_second_version_wide_deprecation_is_a_conflict(api_client, world, make_draft):
    first = make_draft()
    api_client(world.owner).post(_action(first.pk, "announce"))
    second = make_draft()
    _refused(api_client, world.owner, second, 409, "already-deprecated")


def test_deprecation_date_after_sunset_is_invalid(world, make_draft, today):
    from catalog.services.deprecations import deprecation_update
    from portal.api.exceptions import DomainError

    d = make_draft()
    with pytest.raises(DomainError) as exc:
        deprecation_update(
            deprecation=d, actor=world.owner, deprecation_date=d.sunset_date + dt.timedelta(days=1)
        )
    assert exc.value.rule == "deprecation-before-sunset"
    assert exc.value.status_code == 400


# --- reschedule and approval ---------------------------------------------------------------


def test_reschedule_later_notifies_everyone_not_migrated(api_client, world, announced):
    m = ConsumerMigration.objects.get(deprecation=announced, consumer=world.ledger)
    m.state, m.migrated_at = "migrated", dt.datetime.now(dt.UTC)
    m.save()
    new = announced.sunset_date + dt.timedelta(days=30)
    resp = api_client(world.owner).post(
        _action(announced.pk, "reschedule"), {"sunset_date": new.isoformat(), "note": "more time"}
    )
    assert resp.status_code == 200, resp.json()
    assert resp.json()["sunset_date"] == new.isoformat()
    event = ChangeEvent.objects.get(kind="deprecation_rescheduled")
    assert event.dedupe_key.startswith(f"deprecation:{announced.pk}:rescheduled:{new.isoformat()}")
    # Finance's only consumer migrated: Shop is told, Finance is not.
    assert [n.recipient.slug for n in event.notifications.all()] == ["shop"]
    t = announced.transitions.get(action="rescheduled")
    assert t.actor == world.owner and t.data["to_sunset"] == new.isoformat()


def test_reschedule_earlier_by_owner_waits_for_staff(api_client, world, announced, admin, today):
    earlier = announced.sunset_date - dt.timedelta(days=10)  # still ≥ 180 days from today
    resp = api_client(world.owner).post(
        _action(announced.pk, "reschedule"), {"sunset_date": earlier.isoformat()}
    )
    assert resp.status_code == 200, resp.json()
    body = resp.json()
    assert body["state"] == "pending_approval"
    assert body["proposed_sunset_date"] == earlier.isoformat()
    assert body["sunset_date"] == announced.sunset_date.isoformat()
    assert not ChangeEvent.objects.filter(kind="deprecation_rescheduled").exists()
    # The owner cannot approve their own request.
    resp = api_client(world.owner).post(_action(announced.pk, "approve"))
    assert resp.status_code == 403 and resp.json()["rule"] == "staff-approval-required"
    resp = api_client(admin).post(_action(announced.pk, "approve"), {"note": "ok"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "announced"
    assert resp.json()["sunset_date"] == earlier.isoformat()
    assert resp.json()["proposed_sunset_date"] is None
    assert ChangeEvent.objects.filter(kind="deprecation_rescheduled").count() == 1


def test_approval_rechecks_notice_from_today(api_client, world, announced, admin, today):
    from catalog.services.deprecations import deprecation_approve
    from portal.api.exceptions import DomainError

    earlier = today + dt.timedelta(days=185)
    api_client(world.owner).post(
        _action(announced.pk, "reschedule"), {"sunset_date": earlier.isoformat()}
    )
    with pytest.raises(DomainError) as exc:
        deprecation_approve(deprecation=announced, actor=admin, today=today + dt.timedelta(days=10))
    assert exc.value.rule == "minimum-notice"
    announced.refresh_from_db()
    assert announced.state == "pending_approval"


def test_reject_returns_to_announced(api_client, world, announced, admin):
    earlier = announced.sunset_date - dt.timedelta(days=5)
    api_client(world.owner).post(
        _action(announced.pk, "reschedule"), {"sunset_date": earlier.isoformat()}
    )
    resp = api_client(admin).post(_action(announced.pk, "reject"), {"note": "no"})
    assert resp.status_code == 200
    assert resp.json()["state"] == "announced"
    assert resp.json()["proposed_sunset_date"] is None
    assert resp.json()["sunset_date"] == announced.sunset_date.isoformat()


def test_staff_moves_sunset_earlier_directly(api_client, world, announced, admin):
    earlier = announced.sunset_date - dt.timedelta(days=5)
    resp = api_client(admin).post(
        _action(announced.pk, "reschedule"), {"sunset_date": earlier.isoformat()}
    )
    assert resp.status_code == 200
    assert resp.json()["state"] == "announced"
    assert resp.json()["sunset_date"] == earlier.isoformat()


@pytest.mark.parametrize(
    "delta,status,rule",
    [(-30, 422, "minimum-notice"), (0, 400, "sunset-unchanged")],
)
def test_reschedule_refusals(api_client, world, announced, admin, delta, status, rule):
    new = announced.sunset_date + dt.timedelta(days=delta)
    for user in (world.owner, admin):
        before = _snapshot(announced.pk)
        resp = api_client(user).post(
            _action(announced.pk, "reschedule"), {"sunset_date": new.isoformat()}
        )
        assert resp.status_code == status, resp.json()
        assert resp.json()["rule"] == rule
        assert _snapshot(announced.pk) == before


def test_reschedule_refused_for_draft_and_outsiders(api_client, world, make_draft, engineer):
    d = make_draft()
    new = (d.sunset_date + dt.timedelta(days=1)).isoformat()
    resp = api_client(world.owner).post(_action(d.pk, "reschedule"), {"sunset_date": new})
    assert resp.status_code == 409 and resp.json()["rule"] == "state-transition"
    resp = api_client(engineer).post(_action(d.pk, "reschedule"), {"sunset_date": new})
    assert resp.status_code == 403


def test_reschedule_rejects_deprecation_date_after_sunset(api_client, world, announced):
    new = announced.sunset_date + dt.timedelta(days=10)
    resp = api_client(world.owner).post(
        _action(announced.pk, "reschedule"),
        {
            "sunset_date": new.isoformat(),
            "deprecation_date": (new + dt.timedelta(days=1)).isoformat(),
        },
    )
    assert resp.status_code == 400 and resp.json()["rule"] == "deprecation-before-sunset"


# --- cancel --------------------------------------------------------------------------------


def test_cancel_draft_tells_nobody(api_client, world, make_draft):
    d = make_draft()
    resp = api_client(world.owner).post(_action(d.pk, "cancel"))
    assert resp.status_code == 200 and resp.json()["state"] == "cancelled"
    assert ChangeEvent.objects.count() == 0


def test_cancel_announced_restores_version_and_tells_consumers(api_client, world, announced):
    resp = api_client(world.owner).post(_action(announced.pk, "cancel"), {"note": "changed plans"})
    assert resp.status_code == 200
    assert ApiVersion.objects.get(pk=world.v1.pk).status == "active"
    event = ChangeEvent.objects.get(kind="deprecation_cancelled")
    assert sorted(n.recipient.slug for n in event.notifications.all()) == ["finance", "shop"]
    # Terminal: nothing more.
    for verb in ("cancel", "announce", "retire"):
        resp = api_client(world.owner).post(_action(announced.pk, verb))
        assert resp.status_code == 409, verb


def test_cancel_pending_approval(api_client, world, announced):
    earlier = announced.sunset_date - dt.timedelta(days=5)
    api_client(world.owner).post(
        _action(announced.pk, "reschedule"), {"sunset_date": earlier.isoformat()}
    )
    resp = api_client(world.owner).post(_action(announced.pk, "cancel"))
    assert resp.status_code == 200
    d = Deprecation.objects.get(pk=announced.pk)
    assert d.state == "cancelled" and d.proposed_sunset_date is None


def test_cancel_refused_for_outsider(api_client, announced, engineer):
    resp = api_client(engineer).post(_action(announced.pk, "cancel"))
    assert resp.status_code == 403
    assert Deprecation.objects.get(pk=announced.pk).state == "announced"


# --- retire --------------------------------------------------------------------------------


def _retire(api_client, user, d, today, **data):
    from catalog.services.deprecations import deprecation_retire
    from portal.api.exceptions import DomainError

    try:
        return deprecation_retire(deprecation=d, actor=user, today=today, **data), None
    except DomainError as exc:
        return None, exc


def test_retire_refused_before_sunset(api_client, world, announced):
    resp = api_client(world.owner).post(_action(announced.pk, "retire"))
    assert resp.status_code == 422 and resp.json()["rule"] == "sunset-not-reached"
    assert Deprecation.objects.get(pk=announced.pk).state == "announced"


def test_retire_refused_with_blockers_then_allowed_when_green(api_client, world, announced, admin):
    after = announced.sunset_date
    _, exc = _retire(api_client, world.owner, announced, after)
    assert exc.rule == "open-blockers" and exc.status_code == 422
    assert exc.extra["blocker_count"] == 3
    assert Deprecation.objects.get(pk=announced.pk).state == "announced"
    for m in ConsumerMigration.objects.filter(deprecation=announced):
        if m.consumer == world.ledger:
            m.state, m.reason = "exempted", "batch job, switched off next week"
        else:
            m.state, m.migrated_at = "migrated", dt.datetime.now(dt.UTC)
        m.save()
    d, exc = _retire(api_client, world.owner, announced, after)
    assert exc is None
    d.refresh_from_db()
    assert d.state == "retired" and d.retired_at and d.override_reason == ""
    assert ApiVersion.objects.get(pk=world.v1.pk).status == "retired"
    event = ChangeEvent.objects.get(kind="version_retired")
    assert [n.relation for n in event.notifications.all()] == ["owner"]


def test_override_needs_staff_and_is_audited(api_client, world, announced, admin):
    after = announced.sunset_date
    _, exc = _retire(api_client, world.owner, announced, after, override_reason="ship it")
    assert exc.rule == "override-staff-only" and exc.status_code == 403
    d, exc = _retire(api_client, admin, announced, after, override_reason="contract ended")
    assert exc is None
    d.refresh_from_db()
    assert d.state == "retired" and d.override_reason == "contract ended"
    t = d.transitions.get(action="retired_with_override")
    assert t.actor == admin and t.note == "contract ended" and t.data["blockers"] == 3


def test_notice_only_policy_retires_unless_objection(api_client, world, make_draft, today):
    from catalog.services.deprecations import deprecation_announce, migration_object

    VersioningPolicy.objects.create(name="Notice", is_default=True, consent_mode="notice_only")
    d = deprecation_announce(deprecation=make_draft(), actor=world.owner, today=today)
    m = ConsumerMigration.objects.get(deprecation=d, consumer=world.ledger)
    migration_object(migration=m, actor=world.fay, reason="we need 2 more months")
    _, exc = _retire(api_client, world.owner, d, d.sunset_date)
    assert exc.rule == "open-blockers" and exc.extra["blockers"] == ["ledger"]


def test_retire_refused_for_draft_and_pending(api_client, world, make_draft):
    d = make_draft()
    resp = api_client(world.owner).post(_action(d.pk, "retire"))
    assert resp.status_code == 409


# --- lists ---------------------------------------------------------------------------------


def test_list_filters(api_client, world, announced, make_draft, today):
    draft = make_draft(sunset_date=today + dt.timedelta(days=400))
    client = api_client(world.sam)

    def ids(query):
        resp = client.get(URL + query)
        assert resp.status_code == 200, resp.json()
        return [r["id"] for r in resp.json()["results"]]

    assert ids("") == [announced.pk, draft.pk]
    assert ids("?state=announced") == [announced.pk]
    assert ids("?state=draft") == [draft.pk]
    assert ids("?api=payments-api") == [announced.pk, draft.pk]
    assert ids(f"?api={world.api.pk}") == [announced.pk, draft.pk]
    assert ids("?api=other") == []
    assert ids(f"?api_version={world.v1.pk}") == [announced.pk, draft.pk]
    cut = (today + dt.timedelta(days=300)).isoformat()
    assert ids(f"?sunset_before={cut}") == [announced.pk]
    assert ids(f"?sunset_after={cut}") == [draft.pk]
    assert ids("?affecting_team=shop") == [announced.pk]
    assert ids(f"?affecting_team={world.finance.pk}") == [announced.pk]
    assert ids("?affecting_team=payments") == []
    assert client.get(URL + "?sunset_before=bad").status_code == 400


def test_list_query_count_is_constant(
    api_client, world, make_draft, today, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(world.sam)
    make_draft()
    with CaptureQueriesContext(connection) as one:
        assert client.get(URL).status_code == 200
    for i in range(8):
        make_draft(sunset_date=today + dt.timedelta(days=250 + i))
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()["results"]) == 9
    assert len(many) == len(one)


def test_transitions_and_impact_endpoints(api_client, world, announced):
    client = api_client(world.sam)
    resp = client.get(f"{URL}{announced.pk}/transitions/")
    assert resp.status_code == 200
    assert [t["action"] for t in resp.json()] == ["created", "announced"]
    assert resp.json()[1]["actor"] == "olivia"
    resp = client.get(f"{URL}{announced.pk}/impact/")
    assert resp.status_code == 200
    body = resp.json()
    assert body["direct_services"] == 3 and body["direct_teams"] == 2
    assert {t["slug"] for t in body["teams"]} == {"shop", "finance"}
