"""The notifications API: inbox, endpoints and preferences, per role; refusals change nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Membership
from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
)
from portal.notifications.services import Recipient, event_record
from portal.notifications.signing import SECRET_PREFIX

pytestmark = pytest.mark.django_db

INBOX = "/api/v1/notifications/"
ENDPOINTS = "/api/v1/notification-endpoints/"
PREFS = "/api/v1/notification-preferences/"


def notify(team_ids, *, key, kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED):
    return event_record(
        kind=kind,
        dedupe_key=key,
        title=f"Event {key}",
        recipients=[Recipient(team_id=t) for t in team_ids],
    )


# --- inbox --------------------------------------------------------------------------------------


def test_anonymous_is_refused(api_client):
    for url in (INBOX, ENDPOINTS, PREFS):
        response = api_client().get(url)
        assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]


def test_the_inbox_lists_only_the_users_teams(api_client, member, team, make_team):
    other = make_team()
    notify([team.id, other.id], key="a")
    notify([other.id], key="b")
    response = api_client(member).get(INBOX)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["title"] for r in results] == ["Event a"]
    assert results[0]["team"] == {"id": team.id, "name": "Payments"} and results[0]["unread"]
    other_row = Notification.objects.get(recipient=other, event__dedupe_key="b")
    assert api_client(member).get(f"{INBOX}{other_row.pk}/").status_code == 404


def test_an_engineer_without_teams_sees_an_empty_inbox(api_client, engineer, team):
    notify([team.id], key="a")
    assert api_client(engineer).get(INBOX).json()["results"] == []


def test_inbox_filters_by_unread_and_kind(api_client, member, team):
    notify([team.id], key="a")
    notify([team.id], key="b", kind=ChangeEvent.Kind.SLA_WEAKENED)
    client = api_client(member)
    first = Notification.objects.get(event__dedupe_key="a")
    assert client.post(f"{INBOX}{first.pk}/read/").json()["unread"] is False
    assert [r["title"] for r in client.get(INBOX, {"unread": "true"}).json()["results"]] == [
        "Event b"
    ]
    assert [r["title"] for r in client.get(INBOX, {"kind": "sla_weakened"}).json()["results"]] == [
        "Event b"
    ]
    assert client.get(INBOX, {"kind": "nope"}).status_code == 400
    assert client.get(f"{INBOX}unread-count/").json() == {"unread": 1}


def test_mark_read_all_or_some(api_client, member, team, make_team):
    other = make_team()
    notify([team.id, other.id], key="a")
    notify([team.id], key="b")
    client = api_client(member)
    a = Notification.objects.get(event__dedupe_key="a", recipient=team)
    other_row = Notification.objects.get(recipient=other)
    # ids of another team's notifications are ignored, not marked
    response = client.post(f"{INBOX}read-all/", {"ids": [a.pk, other_row.pk]}, format="json")
    assert response.json() == {"marked": 1}
    other_row.refresh_from_db()
    assert other_row.read_at is None
    assert client.post(f"{INBOX}read-all/", {}, format="json").json() == {"marked": 1}
    assert client.post(f"{INBOX}read-all/", {"ids": ["x"]}, format="json").status_code == 400
    assert Notification.objects.filter(recipient=team, read_at__isnull=True).count() == 0


def test_inbox_list_queries_are_constant(api_client, member, team):
    client = api_client(member)
    notify([team.id], key="first")
    with CaptureQueriesContext(connection) as few:
        assert client.get(INBOX).status_code == 200
    for i in range(25):
        notify([team.id], key=f"k{i}")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(INBOX).json()["results"]) == 26
    assert len(few) == len(many)


# --- endpoints -----------------------------------------------------------------------------------


def test_an_owner_adds_a_signed_webhook_and_sees_the_secret_once(api_client, owner, team):
    client = api_client(owner)
    response = client.post(
        ENDPOINTS,
        {"team": team.id, "channel": "webhook", "target": "https://93.184.216.34/hooks/portal"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["secret"].startswith(SECRET_PREFIX) and body["has_secret"]
    endpoint = NotificationEndpoint.objects.get(recipient=team, channel="webhook")
    assert endpoint.secret == body["secret"]
    listed = client.get(ENDPOINTS).json()["results"]
    assert listed[0]["id"] == endpoint.pk and "secret" not in listed[0]
    assert "secret" not in client.get(f"{ENDPOINTS}{endpoint.pk}/").json()
    rotated = client.post(f"{ENDPOINTS}{endpoint.pk}/rotate-secret/").json()["secret"]
    endpoint.refresh_from_db()
    assert rotated != body["secret"] and endpoint.secret == rotated


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://127.0.0.1:8080/hook", "loopback"),
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest", "metadata"),
        ("http://[::ffff:127.0.0.1]/", "127.0.0.1"),
        ("ftp://93.184.216.34/", "Only http"),
    ],
)
def test_an_unsafe_webhook_url_is_refused_on_save(api_client, owner, team, target, message):
    response = api_client(owner).post(
        ENDPOINTS, {"team": team.id, "channel": "chat", "target": target}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert message in body["detail"] and body["rule"] == "webhook-url-refused"
    assert "target" in body["errors"]
    assert not NotificationEndpoint.objects.exists()


def test_an_allow_listed_host_may_be_saved(api_client, owner, team, settings):
    settings.PORTAL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    response = api_client(owner).post(
        ENDPOINTS,
        {"team": team.id, "channel": "chat", "target": "http://127.0.0.1:9/hook"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["secret"] is None


def test_email_endpoints_validate_addresses(api_client, owner, team):
    client = api_client(owner)
    bad = client.post(
        ENDPOINTS, {"team": team.id, "channel": "email", "target": "a@example.com, nope"}
    )
    assert bad.status_code == 400 and "'nope' is not a valid" in bad.json()["detail"]
    good = client.post(
        ENDPOINTS, {"team": team.id, "channel": "email", "target": "a@example.com;b@example.com"}
    )
    assert good.status_code == 201 and good.json()["target"] == "a@example.com, b@example.com"


def test_one_endpoint_per_channel(api_client, owner, team):
    client = api_client(owner)
    payload = {"team": team.id, "channel": "email", "target": "a@example.com"}
    assert client.post(ENDPOINTS, payload).status_code == 201
    again = client.post(ENDPOINTS, payload)
    assert again.status_code == 409 and again.json()["rule"] == "endpoint-one-per-channel"
    assert NotificationEndpoint.objects.count() == 1


def test_members_and_strangers_may_not_manage_endpoints(api_client, member, engineer, team):
    for user in (member, engineer):
        response = api_client(user).post(
            ENDPOINTS, {"team": team.id, "channel": "email", "target": "x@example.com"}
        )
        assert response.status_code == 403 and response.json()["rule"] == "team-owner-required"
    endpoint = NotificationEndpoint.objects.create(
        recipient=team, channel="email", target="x@example.com"
    )
    # a member does not see the endpoint at all (404), and cannot change or delete it
    client = api_client(member)
    assert client.get(ENDPOINTS).json()["results"] == []
    assert client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"enabled": False}).status_code == 404
    assert client.delete(f"{ENDPOINTS}{endpoint.pk}/").status_code == 404
    endpoint.refresh_from_db()
    assert endpoint.enabled


def test_staff_manage_any_team_and_an_unknown_team_is_a_400(api_client, admin, team):
    client = api_client(admin)
    ok = client.post(ENDPOINTS, {"team": team.id, "channel": "email", "target": "x@example.com"})
    assert ok.status_code == 201
    missing = client.post(ENDPOINTS, {"team": 999999, "channel": "email", "target": "x@e.com"})
    assert missing.status_code == 400 and "team" in missing.json()["errors"]


def test_disable_reenable_and_delete(api_client, owner, team):
    client = api_client(owner)
    endpoint = NotificationEndpoint.objects.create(
        recipient=team,
        channel="email",
        target="x@example.com",
        enabled=False,
        disabled_reason="The endpoint answered 410 Gone",
    )
    response = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"enabled": True}, format="json")
    assert response.status_code == 200 and response.json()["disabled_reason"] == ""
    response = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"target": "bad"}, format="json")
    assert response.status_code == 400
    endpoint.refresh_from_db()
    assert endpoint.target == "x@example.com" and endpoint.enabled
    assert client.delete(f"{ENDPOINTS}{endpoint.pk}/").status_code == 204
    assert not NotificationEndpoint.objects.exists()


def test_rotate_secret_is_refused_for_non_webhooks(api_client, owner, team):
    endpoint = NotificationEndpoint.objects.create(
        recipient=team, channel="email", target="x@example.com"
    )
    response = api_client(owner).post(f"{ENDPOINTS}{endpoint.pk}/rotate-secret/")
    assert response.status_code == 409


# --- preferences --------------------------------------------------------------------------------


def test_an_owner_sets_digest_mode_and_transitive_notices(api_client, owner, team):
    client = api_client(owner)
    assert client.get(f"{PREFS}{team.id}/").json() == {
        "team": team.id,
        "team_name": "Payments",
        "delivery_mode": "immediate",
        "digest_hour": 8,
        "transitive_notices": True,
    }
    response = client.patch(
        f"{PREFS}{team.id}/",
        {"delivery_mode": "digest", "digest_hour": 6, "transitive_notices": False},
        format="json",
    )
    assert response.status_code == 200
    pref = RecipientPreference.objects.get(recipient=team)
    assert (pref.delivery_mode, pref.digest_hour, pref.transitive_notices) == ("digest", 6, False)
    assert [p["team"] for p in client.get(PREFS).json()["results"]] == [team.id]


def test_preferences_refusals_change_nothing(api_client, owner, member, team):
    bad = api_client(owner).patch(f"{PREFS}{team.id}/", {"digest_hour": 24}, format="json")
    assert bad.status_code == 400 and "digest_hour" in bad.json()["errors"]
    assert (
        api_client(owner).patch(f"{PREFS}{team.id}/", {"delivery_mode": "weekly"}).status_code
        == 400
    )
    assert api_client(member).patch(f"{PREFS}{team.id}/", {"digest_hour": 5}).status_code == 403
    assert api_client(member).get(f"{PREFS}{team.id}/").status_code == 403
    assert api_client(owner).get(f"{PREFS}999999/").status_code == 404
    assert not RecipientPreference.objects.exists()


def test_ownership_is_read_through_the_recipients_memberships(api_client, make_user, team):
    user = make_user("newowner")
    client = api_client(user)
    assert client.patch(f"{PREFS}{team.id}/", {"digest_hour": 5}).status_code == 403
    Membership.objects.create(team=team, user=user, role=Membership.Role.OWNER)
    assert client.patch(f"{PREFS}{team.id}/", {"digest_hour": 5}).status_code == 200


def test_an_endpoint_whose_host_now_points_inside_can_still_be_disabled(
    api_client, owner, team, monkeypatch
):
    """Disabling with the target unchanged skips the URL guard; enabling it again runs it."""
    from portal.notifications import netguard

    endpoint = NotificationEndpoint.objects.create(
        recipient=team, channel="webhook", target="https://hooks.example.com/portal", secret="s"
    )
    monkeypatch.setattr(netguard, "system_resolver", lambda host, port: ["10.1.2.3"])
    client = api_client(owner)
    response = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"enabled": False}, format="json")
    assert response.status_code == 200, response.json()
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.disabled_reason
    again = client.patch(f"{ENDPOINTS}{endpoint.pk}/", {"enabled": True}, format="json")
    assert again.status_code == 400 and "10.1.2.3" in str(again.json())
    endpoint.refresh_from_db()
    assert not endpoint.enabled
    moved = client.patch(
        f"{ENDPOINTS}{endpoint.pk}/",
        {"enabled": False, "target": "https://other.example.com/x"},
        format="json",
    )
    assert moved.status_code == 400  # a new target is always checked
    endpoint.refresh_from_db()
    assert endpoint.target == "https://hooks.example.com/portal"
