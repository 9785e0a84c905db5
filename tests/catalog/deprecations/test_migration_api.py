"""Consumer migrations through the API: every transition, who may do it, every refusal."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import ConsumerMigration, MigrationTransition
from portal.notifications.models import ChangeEvent
from slas.models import VersioningPolicy

URL = "/api/v1/migrations/"
pytestmark = pytest.mark.django_db


def _m(deprecation, consumer):
    return ConsumerMigration.objects.get(deprecation=deprecation, consumer=consumer)


def _post(client, m, verb, data=None):
    return client.post(f"{URL}{m.pk}/{verb}/", data or {}, format="json")


def test_consumer_team_walks_the_happy_path(api_client, world, announced):
    m = _m(announced, world.checkout)
    client = api_client(world.sam)
    resp = _post(client, m, "acknowledge")
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "acknowledged"
    assert resp.json()["acknowledged_by"] == "sam"
    assert _post(client, m, "start").json()["state"] == "migrating"
    resp = _post(client, m, "complete")
    assert resp.json()["state"] == "migrated"
    m.refresh_from_db()
    assert m.migrated_at is not None and m.acknowledged_by == world.sam
    assert list(m.transitions.values_list("action", "to_state")) == [
        ("announced", "notified"),
        ("acknowledge", "acknowledged"),
        ("start", "migrating"),
        ("complete", "migrated"),
    ]
    assert m.transitions.last().actor == world.sam


def test_complete_directly_from_notified(api_client, world, announced):
    m = _m(announced, world.ledger)
    assert _post(api_client(world.fay), m, "complete").json()["state"] == "migrated"


@pytest.mark.parametrize("who", ["engineer", "owner", "other_team"])
def test_only_consumer_team_may_mark_progress(api_client, world, announced, engineer, who):
    user = {"engineer": engineer, "owner": world.owner, "other_team": world.fay}[who]
    m = _m(announced, world.checkout)  # Shop's service
    for verb in ("acknowledge", "start", "complete"):
        resp = _post(api_client(user), m, verb)
        assert resp.status_code == 403, verb
        assert resp.json()["rule"] == "consumer-team-only"
    resp = _post(api_client(user), m, "object", {"reason": "no"})
    assert resp.status_code == 403
    m.refresh_from_db()
    assert m.state == "notified"
    assert MigrationTransition.objects.filter(migration=m).count() == 1


def test_staff_may_mark_progress(api_client, world, announced, admin):
    m = _m(announced, world.checkout)
    assert _post(api_client(admin), m, "acknowledge").status_code == 200


def test_anonymous_gets_nothing(api_client, announced, world):
    m = _m(announced, world.checkout)
    for response in (api_client().get(URL), _post(api_client(), m, "acknowledge")):
        assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]


@pytest.mark.parametrize(
    "path,verb",
    [
        (["complete"], "acknowledge"),
        (["complete"], "start"),
        (["complete"], "complete"),
        (["complete"], "object"),
        (["start"], "acknowledge"),
    ],
)
def test_wrong_state_is_a_conflict(api_client, world, announced, path, verb):
    m = _m(announced, world.checkout)
    client = api_client(world.sam)
    for step in path:
        assert _post(client, m, step).status_code == 200
    m.refresh_from_db()
    before = (m.state, m.transitions.count())
    resp = _post(client, m, verb, {"reason": "x"})
    assert resp.status_code == 409, resp.json()
    assert resp.json()["rule"] == "migration-transition"
    m.refresh_from_db()
    assert (m.state, m.transitions.count()) == before


def test_object_notifies_owner_and_needs_reason(api_client, world, announced):
    m = _m(announced, world.checkout)
    client = api_client(world.sam)
    resp = _post(client, m, "object", {"reason": ""})
    assert resp.status_code == 400
    assert _m(announced, world.checkout).state == "notified"
    resp = _post(client, m, "object", {"reason": "v2 lacks partial refunds"})
    assert resp.status_code == 200, resp.json()
    assert resp.json()["state"] == "objected"
    assert resp.json()["reason"] == "v2 lacks partial refunds"
    event = ChangeEvent.objects.get(kind="migration_objected")
    notices = list(event.notifications.all())
    assert [(n.recipient, n.relation) for n in notices] == [(world.team, "owner")]
    assert event.payload["consumer"] == "checkout"
    # Resolving: the consumer moves on after all.
    resp = _post(client, m, "acknowledge")
    assert resp.json()["state"] == "acknowledged" and resp.json()["reason"] == ""


def test_exempt_by_api_owner_or_staff_with_reason(api_client, world, announced, admin):
    m = _m(announced, world.checkout)
    # The consumer's own team cannot exempt itself.
    resp = _post(api_client(world.sam), m, "exempt", {"reason": "please"})
    assert resp.status_code == 403 and resp.json()["rule"] == "exempt-staff-or-owner"
    resp = _post(api_client(world.owner), m, "exempt", {"reason": ""})
    assert resp.status_code == 400
    assert _m(announced, world.checkout).state == "notified"
    resp = _post(api_client(world.owner), m, "exempt", {"reason": "internal batch, retired soon"})
    assert resp.status_code == 200 and resp.json()["state"] == "exempted"
    resp = _post(api_client(admin), _m(announced, world.ledger), "exempt", {"reason": "legal hold"})
    assert resp.status_code == 200
    # Exempted is final.
    resp = _post(api_client(world.sam), m, "start")
    assert resp.status_code == 409


def test_migrations_closed_once_deprecation_ends(api_client, world, announced):
    api_client(world.owner).post(f"/api/v1/deprecations/{announced.pk}/cancel/")
    m = _m(announced, world.checkout)
    resp = _post(api_client(world.sam), m, "acknowledge")
    assert resp.status_code == 409 and resp.json()["rule"] == "deprecation-not-live"
    assert _m(announced, world.checkout).state == "notified"


def test_list_filters_and_constant_queries(api_client, world, announced, make_draft):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_client(world.fay)
    resp = client.get(URL + "?team=shop")
    assert sorted(r["consumer_slug"] for r in resp.json()["results"]) == ["billing", "checkout"]
    resp = client.get(URL + f"?consumer=ledger&deprecation={announced.pk}")
    assert [r["team"] for r in resp.json()["results"]] == ["finance"]
    assert client.get(URL + "?state=migrated").json()["count"] == 0
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    from tests.catalog.factories import DependencyFactory, ServiceFactory

    for i in range(10):
        DependencyFactory(consumer=ServiceFactory(slug=f"extra-{i}"), api_version=world.v2)
    from catalog.services.deprecations import deprecation_announce

    VersioningPolicy.objects.create(
        name="lenient", is_default=True, successor_required=False, migration_guide_required=False
    )
    d2 = make_draft(
        api_version=world.v2,
        replacement_version=None,
        sunset_date=announced.sunset_date + dt.timedelta(days=1),
    )
    deprecation_announce(deprecation=d2, actor=world.owner)
    with CaptureQueriesContext(connection) as many:
        assert client.get(URL).json()["count"] == 13
    assert len(many) == len(few)
