"""Outbound webhook URLs: internal addresses are refused on save, through the API, whatever
their spelling, and nothing is stored (the delivery-time guard is tested in notifications)."""

from __future__ import annotations

import pytest

from portal.notifications.models import NotificationEndpoint

INTERNAL = [
    "http://127.0.0.1/hook",
    "http://localhost/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://2130706433/hook",
    "http://0x7f000001/hook",
    "http://0177.0.0.1/hook",
    "http://0/hook",
    "http://10.0.0.1/hook",
    "http://192.168.1.1/hook",
    "http://[fd00::1]/hook",
    "http://100.64.0.1/hook",
    "http://user@127.0.0.1/hook",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_INFO",
    "ftp://93.184.216.34/x",
]


@pytest.mark.parametrize("channel", ["webhook", "chat"])
@pytest.mark.parametrize("target", INTERNAL)
def test_internal_webhook_targets_are_refused(api_client, owner, team, channel, target):
    response = api_client(owner).post(
        "/api/v1/notification-endpoints/",
        {"team": team.pk, "channel": channel, "target": target},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "target" in response.json()["errors"]
    assert not NotificationEndpoint.objects.exists()


def test_a_public_address_is_accepted(api_client, owner, team):
    response = api_client(owner).post(
        "/api/v1/notification-endpoints/",
        {"team": team.pk, "channel": "webhook", "target": "https://93.184.216.34/hook"},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_an_update_to_an_internal_address_is_refused(api_client, owner, team):
    client = api_client(owner)
    created = client.post(
        "/api/v1/notification-endpoints/",
        {"team": team.pk, "channel": "chat", "target": "https://93.184.216.34/hook"},
        format="json",
    ).json()
    response = client.patch(
        f"/api/v1/notification-endpoints/{created['id']}/",
        {"target": "http://169.254.169.254/"},
        format="json",
    )
    assert response.status_code == 400
    assert NotificationEndpoint.objects.get().target == "https://93.184.216.34/hook"
