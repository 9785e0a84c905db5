"""The inbox page (with the header's unread count) and the admin (replay, endpoints, allow-list)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    WebhookAllowedHost,
)
from portal.notifications.services import Recipient, event_record

pytestmark = pytest.mark.django_db


def notify(team_ids, *, key, title=None):
    return event_record(
        kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
        dedupe_key=key,
        title=title or f"Event {key}",
        body="Sunset <b>soon</b>.",
        url="/catalog/deprecations/1/",
        recipients=[Recipient(team_id=t) for t in team_ids],
    )


def test_anonymous_is_sent_to_login(client):
    response = client.get("/inbox/")
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_inbox_lists_the_users_teams_and_the_header_counts_unread(
    web_client, member, team, make_team
):
    other = make_team()
    notify([team.id], key="a", title="Payments v1 deprecated")
    notify([other.id], key="b", title="Not for you")
    response = web_client(member).get("/inbox/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Payments v1 deprecated" in html and "Not for you" not in html
    assert "Sunset &lt;b&gt;soon&lt;/b&gt;." in html  # escaped
    assert response.context["portal_unread_count"] == 1
    assert 'data-testid="unread-count"' in html


def test_mark_read_needs_post_and_csrf_and_changes_only_own_rows(
    web_client, member, team, make_team
):
    notify([team.id], key="a")
    mine = Notification.objects.get(recipient=team)
    client = web_client(member, enforce_csrf=True)
    assert client.get(f"/inbox/{mine.pk}/read/").status_code == 405
    assert client.post(f"/inbox/{mine.pk}/read/").status_code == 403  # no CSRF token
    mine.refresh_from_db()
    assert mine.read_at is None
    client = web_client(member)
    response = client.post(f"/inbox/{mine.pk}/read/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == "/inbox/"
    mine.refresh_from_db()
    assert mine.read_at is not None
    other = make_team()
    notify([other.id], key="b")
    theirs = Notification.objects.get(recipient=other)
    client.post(f"/inbox/{theirs.pk}/read/")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.get("/inbox/").context["portal_unread_count"] == 0


def test_mark_all_read_and_filters(web_client, member, team):
    notify([team.id], key="a", title="First")
    notify([team.id], key="b", title="Second")
    client = web_client(member)
    Notification.objects.filter(event__dedupe_key="a").update(read_at="2026-01-01T00:00Z")
    unread = client.get("/inbox/?unread=1").content.decode()
    assert "Second" in unread and "First" not in unread
    response = client.post("/inbox/read-all/", {"next": "/inbox/?unread=1"}, follow=True)
    assert "Marked 1 notification read." in response.content.decode()
    assert not Notification.objects.filter(recipient=team, read_at__isnull=True).exists()


def test_empty_states(web_client, member, engineer):
    assert "Nothing here" in web_client(member).get("/inbox/").content.decode()
    assert "do not belong to any team" in web_client(engineer).get("/inbox/").content.decode()


def test_the_inbox_page_queries_are_constant(web_client, member, team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = web_client(member)
    notify([team.id], key="first")
    with CaptureQueriesContext(connection) as few:
        client.get("/inbox/")
    for i in range(20):
        notify([team.id], key=f"k{i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/inbox/")
    assert len(few) == len(many)


# --- admin ---------------------------------------------------------------------------------------


def test_admin_replays_dead_notifications(
    web_client, admin, team, django_capture_on_commit_callbacks
):
    NotificationEndpoint.objects.create(
        recipient=team, channel="email", target="payments@example.com"
    )
    notify([team.id], key="a")
    row = Notification.objects.get(channel="email")
    Notification.objects.filter(pk=row.pk).update(state="dead", attempts=8, last_error="SMTP down")
    client = web_client(admin)
    url = reverse("admin:notifications_notification_changelist")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"action": "replay", "_selected_action": [row.pk]}, follow=True)
    assert "1 notification(s) queued again" in response.content.decode()
    row.refresh_from_db()
    assert row.state == "delivered" and row.attempts == 1  # eager in tests: delivered at once


def test_admin_endpoint_form_uses_the_url_guard_and_shows_a_new_secret_once(
    web_client, admin, team
):
    client = web_client(admin)
    url = reverse("admin:notifications_notificationendpoint_add")
    refused = client.post(
        url,
        {"recipient": team.pk, "channel": "webhook", "target": "http://10.0.0.8/", "enabled": "on"},
    )
    assert refused.status_code == 200 and "private address" in refused.content.decode()
    assert not NotificationEndpoint.objects.exists()
    response = client.post(
        url,
        {
            "recipient": team.pk,
            "channel": "webhook",
            "target": "https://93.184.216.34/h",
            "enabled": "on",
        },
        follow=True,
    )
    endpoint = NotificationEndpoint.objects.get()
    assert endpoint.secret.startswith("whsec_")
    assert endpoint.secret in response.content.decode()
    change = client.get(
        reverse("admin:notifications_notificationendpoint_change", args=[endpoint.pk])
    )
    assert endpoint.secret not in change.content.decode()


def test_admin_allow_list_normalises_hosts(web_client, admin):
    client = web_client(admin)
    client.post(
        reverse("admin:notifications_webhookallowedhost_add"),
        {"host": "Hooks.Corp.Example.", "note": "internal chat"},
    )
    host = WebhookAllowedHost.objects.get()
    assert host.host == "hooks.corp.example" and host.created_by == admin


def test_admin_lists_render(web_client, admin, team):
    notify([team.id], key="a")
    client = web_client(admin)
    for name in ("changeevent", "notification", "notificationendpoint", "recipientpreference"):
        assert client.get(reverse(f"admin:notifications_{name}_changelist")).status_code == 200


def test_non_staff_cannot_reach_the_admin(web_client, owner):
    response = web_client(owner).get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 302
