"""A team's notification settings pages: who may (owners and staff, as the API), the URL guard's
refusals as form errors, secrets shown once, CSRF, preferences, and the links that lead there."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import Membership
from portal.notifications import netguard
from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
)
from portal.notifications.signing import generate_secret
from tests.catalog.factories import TeamFactory

pytestmark = pytest.mark.django_db

PUBLIC_HOOK = "https://93.184.216.34/hook"
CHAT_URL = "https://93.184.216.34/services/T0001/B0002/chatpathsecret"


def snapshot() -> dict:
    """Every row a settings page could write (secrets included)."""
    return {
        "endpoints": list(NotificationEndpoint.objects.order_by("pk").values()),
        "preferences": list(RecipientPreference.objects.order_by("pk").values()),
        "notifications": list(Notification.objects.order_by("pk").values()),
    }


@pytest.fixture
def setup(team):
    """``team`` with a signed webhook and a chat webhook (its URL carries a credential)."""
    webhook = NotificationEndpoint.objects.create(
        recipient=team, channel="webhook", target=PUBLIC_HOOK, secret=generate_secret()
    )
    chat = NotificationEndpoint.objects.create(recipient=team, channel="chat", target=CHAT_URL)
    RecipientPreference.objects.create(recipient=team, delivery_mode="immediate", digest_hour=8)
    return {"team": team, "webhook": webhook, "chat": chat}


@pytest.fixture
def outsider(make_user):
    """A member (even an owner) of another team."""
    other = TeamFactory(slug="elsewhere", name="Elsewhere")
    user = make_user("otto")
    Membership.objects.create(team=other, user=user, role=Membership.Role.OWNER)
    return user


def settings_url(team) -> str:
    return reverse("notifications:settings", args=[team.pk])


def requests_for(setup) -> list[tuple[str, str, dict]]:
    """(method, url, data) of every page and form of the settings, with valid input."""
    t = setup["team"].pk
    w = setup["webhook"].pk
    c = setup["chat"].pk
    return [
        ("get", f"/inbox/teams/{t}/settings/", {}),
        ("post", f"/inbox/teams/{t}/settings/endpoints/", {"channel": "email", "target": "a@x.io"}),
        ("post", f"/inbox/teams/{t}/settings/endpoints/{c}/toggle/", {"enabled": "0"}),
        ("get", f"/inbox/teams/{t}/settings/endpoints/{w}/rotate/", {}),
        ("post", f"/inbox/teams/{t}/settings/endpoints/{w}/rotate/", {}),
        ("get", f"/inbox/teams/{t}/settings/endpoints/{c}/delete/", {}),
        ("post", f"/inbox/teams/{t}/settings/endpoints/{c}/delete/", {}),
        (
            "post",
            f"/inbox/teams/{t}/settings/preferences/",
            {"delivery_mode": "digest", "digest_hour": "17"},
        ),
    ]


REQUEST_IDS = [
    "settings",
    "add",
    "toggle",
    "rotate-confirm",
    "rotate",
    "delete-confirm",
    "delete",
    "preferences",
]


# --- who may ---------------------------------------------------------------------------------


@pytest.mark.parametrize("index", range(8), ids=REQUEST_IDS)
def test_anonymous_is_sent_to_the_login_and_nothing_changes(setup, index):
    method, url, data = requests_for(setup)[index]
    before = snapshot()
    response = getattr(Client(), method)(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")
    assert snapshot() == before


@pytest.mark.parametrize("role", ["engineer", "outsider", "member"])
@pytest.mark.parametrize("index", range(8), ids=REQUEST_IDS)
def test_who_does_not_own_the_team_is_refused_and_nothing_changes(
    request, web_client, setup, role, index
):
    """An engineer in no team, an owner of another team, and a plain member of this team."""
    user = request.getfixturevalue(role)
    method, url, data = requests_for(setup)[index]
    before = snapshot()
    response = getattr(web_client(user), method)(url, data)
    assert response.status_code == 403
    html = response.content.decode()
    assert "Only an owner of Payments, or staff" in html
    assert setup["webhook"].secret not in html and "chatpathsecret" not in html
    assert snapshot() == before


@pytest.mark.parametrize("role", ["owner", "admin"])
@pytest.mark.parametrize("index", range(8), ids=REQUEST_IDS)
def test_owners_and_staff_may(request, web_client, setup, role, index):
    user = request.getfixturevalue(role)
    method, url, data = requests_for(setup)[index]
    response = getattr(web_client(user), method)(url, data)
    assert response.status_code in (200, 302), response.content[:500]


def test_an_unknown_team_or_another_teams_endpoint_is_404_and_changes_nothing(
    web_client, owner, setup, make_team
):
    other = make_team(chat="https://93.184.216.34/theirs")
    theirs = other.notification_endpoints.get()
    client = web_client(owner)
    before = snapshot()
    t = setup["team"].pk
    assert client.get("/inbox/teams/999999/settings/").status_code == 404
    assert client.get(f"/inbox/teams/{2**64}/settings/").status_code == 404
    for verb in ("toggle", "rotate", "delete"):
        url = f"/inbox/teams/{t}/settings/endpoints/{theirs.pk}/{verb}/"
        assert client.post(url, {"enabled": "0"}).status_code == 404, verb
    assert client.post(f"/inbox/teams/{t}/settings/endpoints/{2**64}/delete/").status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "index", [1, 2, 4, 6, 7], ids=["add", "toggle", "rotate", "delete", "prefs"]
)
def test_a_refusal_by_the_service_itself_is_the_403_page(
    web_client, owner, setup, monkeypatch, index
):
    """Ownership lost between the page's check and the service's (or a stricter service rule)."""
    from portal.api.exceptions import DomainError
    from portal.notifications import services

    def refuse(*, actor, recipient_id):
        raise DomainError("No.", kind="forbidden", rule="team-owner-required")

    monkeypatch.setattr(services, "_require_owner", refuse)
    method, url, data = requests_for(setup)[index]
    before = snapshot()
    response = getattr(web_client(owner), method)(url, data)
    assert response.status_code == 403
    assert "Only an owner of Payments, or staff" in response.content.decode()
    assert snapshot() == before


def test_forms_are_post_only(web_client, owner, setup):
    client = web_client(owner)
    t = setup["team"].pk
    c = setup["chat"].pk
    assert client.get(f"/inbox/teams/{t}/settings/endpoints/").status_code == 405
    assert client.get(f"/inbox/teams/{t}/settings/endpoints/{c}/toggle/").status_code == 405
    assert client.get(f"/inbox/teams/{t}/settings/preferences/").status_code == 405
    assert client.post(f"/inbox/teams/{t}/settings/").status_code == 405


POST_INDEXES = [1, 2, 4, 6, 7]


@pytest.mark.parametrize("index", POST_INDEXES, ids=[REQUEST_IDS[i] for i in POST_INDEXES])
def test_every_post_needs_the_csrf_token(web_client, owner, setup, index):
    method, url, data = requests_for(setup)[index]
    assert method == "post"
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code == 403 and b"CSRF verification failed" in response.content
    assert snapshot() == before


def test_every_form_on_the_pages_carries_the_csrf_token(web_client, owner, setup):
    client = web_client(owner)
    t = setup["team"].pk
    w = setup["webhook"].pk
    for url in (
        f"/inbox/teams/{t}/settings/",
        f"/inbox/teams/{t}/settings/endpoints/{w}/rotate/",
        f"/inbox/teams/{t}/settings/endpoints/{w}/delete/",
    ):
        html = client.get(url).content.decode()
        forms = html.count('method="post"')
        assert forms >= 1
        assert html.count('name="csrfmiddlewaretoken"') >= forms, url


# --- the page --------------------------------------------------------------------------------


def test_the_page_lists_endpoints_with_targets_masked_and_no_secret(web_client, owner, setup):
    team = setup["team"]
    NotificationEndpoint.objects.create(recipient=team, channel="email", target="ops@x.io")
    response = web_client(owner).get(settings_url(team))
    html = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "chatpathsecret" not in html and "/services/T0001" not in html
    assert "https://93.184.216.34/…" in html
    assert "ops@x.io" in html  # e-mail addresses are no secret
    assert setup["webhook"].secret not in html
    assert "whsec_" not in html
    assert "Signed (secret hidden)" in html
    assert html.count('badge ok">enabled') == 3
    assert "has an endpoint for every channel" in html  # all three channels set up


def test_the_page_says_why_an_endpoint_is_disabled_and_its_last_delivery(web_client, owner, setup):
    team = setup["team"]
    NotificationEndpoint.objects.filter(pk=setup["chat"].pk).update(
        enabled=False, disabled_reason="The endpoint answered 410 Gone; it has been disabled."
    )
    event = ChangeEvent.objects.create(kind="other", dedupe_key="k1", title="T")
    Notification.objects.create(
        event=event,
        recipient=team,
        channel="chat",
        state="dead",
        attempts=8,
        last_error="Connection failed: ConnectError: https://93.184.216.34:443/services/T0001/B0002/chatpathsecret",
    )
    event2 = ChangeEvent.objects.create(kind="other", dedupe_key="k2", title="T2")
    Notification.objects.create(
        event=event2,
        recipient=team,
        channel="webhook",
        state="delivered",
        delivered_at="2026-01-01T00:00Z",
    )
    html = web_client(owner).get(settings_url(team)).content.decode()
    chat_row = html.split('data-testid="endpoint-chat"')[1].split("</tr>")[0]
    assert "disabled" in chat_row and "410 Gone" in chat_row
    assert ">dead<" in chat_row and "Connection failed" in chat_row
    assert "chatpathsecret" not in html
    webhook_row = html.split('data-testid="endpoint-webhook"')[1].split("</tr>")[0]
    assert ">delivered<" in webhook_row
    assert ">Enable<" in chat_row and ">Disable<" in webhook_row


def test_an_empty_team_says_the_inbox_is_all_it_has(web_client, owner, team):
    html = web_client(owner).get(settings_url(team)).content.decode()
    assert "No endpoints yet" in html and "Add endpoint" in html


def test_the_page_keeps_a_constant_number_of_queries(web_client, owner, team):
    client = web_client(owner)
    client.get(settings_url(team))
    with CaptureQueriesContext(connection) as empty:
        client.get(settings_url(team))
    for channel, target in (("webhook", PUBLIC_HOOK), ("chat", CHAT_URL), ("email", "a@x.io")):
        NotificationEndpoint.objects.create(recipient=team, channel=channel, target=target)
        for n in range(5):
            event = ChangeEvent.objects.create(kind="other", dedupe_key=f"{channel}{n}", title="T")
            Notification.objects.create(event=event, recipient=team, channel=channel, state="dead")
    with CaptureQueriesContext(connection) as full:
        client.get(settings_url(team))
    assert len(full) == len(empty)


# --- adding endpoints and the URL guard ------------------------------------------------------


def test_adding_an_email_endpoint(web_client, owner, team):
    response = web_client(owner).post(
        reverse("notifications:endpoint-add", args=[team.pk]),
        {"channel": "email", "target": " ops@x.io, oncall@x.io "},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == settings_url(team)
    assert "E-mail endpoint added." in response.content.decode()
    endpoint = NotificationEndpoint.objects.get(recipient=team)
    assert endpoint.channel == "email" and endpoint.target == "ops@x.io, oncall@x.io"
    assert endpoint.secret == ""


def test_a_new_signed_webhooks_secret_is_shown_once(web_client, owner, team):
    client = web_client(owner)
    response = client.post(
        reverse("notifications:endpoint-add", args=[team.pk]),
        {"channel": "webhook", "target": PUBLIC_HOOK},
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    endpoint = NotificationEndpoint.objects.get(recipient=team)
    assert endpoint.secret.startswith("whsec_")
    html = response.content.decode()
    assert f'<code data-testid="new-secret">{endpoint.secret}</code>' in html
    again = client.get(settings_url(team)).content.decode()
    assert endpoint.secret not in again and "new-secret" not in again


@pytest.mark.parametrize(
    ("channel", "target", "reason"),
    [
        ("webhook", "http://127.0.0.1/hook", "loopback"),
        ("chat", "http://127.0.0.1/hook", "loopback"),
        ("webhook", "http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("webhook", "http://10.0.0.1/hook", "private"),
        ("webhook", "http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("chat", "file:///etc/passwd", "Only http:// and https://"),
        ("webhook", "gopher://127.0.0.1:6379/_INFO", "Only http:// and https://"),
        ("webhook", "http://user:pw@93.184.216.34/", "Credentials"),
        ("email", "not-an-address", "is not a valid e-mail address"),
    ],
)
def test_refused_targets_are_form_errors_and_nothing_is_saved(
    web_client, owner, team, channel, target, reason
):
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-add", args=[team.pk]),
        {"channel": channel, "target": target},
    )
    assert response.status_code == 400
    html = response.content.decode()
    errors = [e for e in response.context["add_form"].errors["target"]]
    assert errors and reason in errors[0]
    assert 'class="error" role="alert"' in html
    assert snapshot() == before


def test_a_host_resolving_to_a_private_address_is_refused(web_client, owner, team, monkeypatch):
    """The guard resolves the name: a public-looking host pointing inside is refused."""
    looked_up = []

    def resolve(host, port):
        looked_up.append(host)
        return ["10.1.2.3"]

    monkeypatch.setattr(netguard, "system_resolver", resolve)
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-add", args=[team.pk]),
        {"channel": "webhook", "target": "https://hooks.example.com/in"},
    )
    assert looked_up == ["hooks.example.com"]
    assert response.status_code == 400
    (error,) = response.context["add_form"].errors["target"]
    assert "resolves to 10.1.2.3, a private address" in error
    assert snapshot() == before


def test_bad_form_input_is_a_400_and_saves_nothing(web_client, owner, team):
    client = web_client(owner)
    before = snapshot()
    url = reverse("notifications:endpoint-add", args=[team.pk])
    response = client.post(url, {"channel": "pigeon", "target": "x"})
    assert response.status_code == 400 and "channel" in response.context["add_form"].errors
    response = client.post(url, {"channel": "email"})
    assert response.status_code == 400 and "target" in response.context["add_form"].errors
    assert snapshot() == before


def test_a_second_endpoint_for_a_channel_is_a_conflict(web_client, owner, setup):
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-add", args=[setup["team"].pk]),
        {"channel": "webhook", "target": "https://93.184.216.35/other"},
    )
    assert response.status_code == 409
    assert "already has an endpoint for this channel" in response.content.decode()
    assert snapshot() == before


# --- enable / disable, rotate, delete --------------------------------------------------------


def test_disable_then_enable_clears_the_reason(web_client, owner, setup):
    client = web_client(owner)
    team, chat = setup["team"], setup["chat"]
    url = reverse("notifications:endpoint-toggle", args=[team.pk, chat.pk])
    response = client.post(url, {"enabled": "0"}, follow=True)
    assert "Chat webhook endpoint disabled." in response.content.decode()
    chat.refresh_from_db()
    assert not chat.enabled and "Disabled by olivia" in chat.disabled_reason
    client.post(url, {"enabled": "1"})
    chat.refresh_from_db()
    assert chat.enabled and chat.disabled_reason == "" and chat.disabled_at is None
    assert chat.target == CHAT_URL


def test_enabling_an_endpoint_the_guard_now_refuses_fails_and_changes_nothing(
    web_client, owner, team
):
    """Allow-listed once, no longer: re-enabling runs the guard again."""
    endpoint = NotificationEndpoint.objects.create(
        recipient=team,
        channel="webhook",
        target="http://127.0.0.1:9/hook",
        secret=generate_secret(),
        enabled=False,
        disabled_reason="The endpoint answered 410 Gone; it has been disabled.",
    )
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-toggle", args=[team.pk, endpoint.pk]), {"enabled": "1"}
    )
    assert response.status_code == 400
    assert "loopback" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize("value", ["", "yes", "2"])
def test_a_bad_toggle_value_is_a_400(web_client, owner, setup, value):
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-toggle", args=[setup["team"].pk, setup["chat"].pk]),
        {"enabled": value},
    )
    assert response.status_code == 400
    assert "enable or disable" in response.content.decode()
    assert snapshot() == before


def test_rotation_asks_first_then_shows_the_new_secret_once(web_client, owner, setup):
    client = web_client(owner)
    team, webhook = setup["team"], setup["webhook"]
    old = webhook.secret
    url = reverse("notifications:endpoint-rotate", args=[team.pk, webhook.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Rotate the secret" in confirm.content.decode()
    assert old not in confirm.content.decode()
    webhook.refresh_from_db()
    assert webhook.secret == old  # asking changes nothing
    response = client.post(url)
    webhook.refresh_from_db()
    assert webhook.secret != old and webhook.secret.startswith("whsec_")
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert f'<code data-testid="new-secret">{webhook.secret}</code>' in html
    assert old not in html
    reload = client.get(settings_url(team)).content.decode()
    assert webhook.secret not in reload and "new-secret" not in reload


def test_only_signed_webhooks_have_a_secret_to_rotate(web_client, owner, setup):
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:endpoint-rotate", args=[setup["team"].pk, setup["chat"].pk])
    )
    assert response.status_code == 409
    assert "Only signed webhooks have a secret." in response.content.decode()
    assert snapshot() == before


def test_delete_asks_first_then_deletes(web_client, owner, setup):
    client = web_client(owner)
    team, chat = setup["team"], setup["chat"]
    url = reverse("notifications:endpoint-delete", args=[team.pk, chat.pk])
    confirm = client.get(url)
    html = confirm.content.decode()
    assert confirm.status_code == 200 and "Delete the endpoint" in html
    assert "chatpathsecret" not in html
    assert NotificationEndpoint.objects.filter(pk=chat.pk).exists()
    response = client.post(url, follow=True)
    assert "Chat webhook endpoint deleted." in response.content.decode()
    assert not NotificationEndpoint.objects.filter(pk=chat.pk).exists()
    assert NotificationEndpoint.objects.filter(pk=setup["webhook"].pk).exists()


# --- preferences -----------------------------------------------------------------------------


def test_preferences_are_shown_and_saved(web_client, admin, team):
    client = web_client(admin)
    form = client.get(settings_url(team)).context["pref_form"]
    assert form.initial == {
        "delivery_mode": "immediate",
        "digest_hour": 8,
        "transitive_notices": True,
    }
    response = client.post(
        reverse("notifications:preferences", args=[team.pk]),
        {"delivery_mode": "digest", "digest_hour": "17"},  # checkbox unticked: off
        follow=True,
    )
    assert "Notification preferences saved." in response.content.decode()
    pref = RecipientPreference.objects.get(recipient=team)
    assert (pref.delivery_mode, pref.digest_hour, pref.transitive_notices) == ("digest", 17, False)
    client.post(
        reverse("notifications:preferences", args=[team.pk]),
        {"delivery_mode": "immediate", "digest_hour": "3", "transitive_notices": "on"},
    )
    pref.refresh_from_db()
    assert (pref.delivery_mode, pref.digest_hour, pref.transitive_notices) == (
        "immediate",
        3,
        True,
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"delivery_mode": "digest", "digest_hour": "24"}, "digest_hour"),
        ({"delivery_mode": "digest", "digest_hour": "-1"}, "digest_hour"),
        ({"delivery_mode": "digest", "digest_hour": "eight"}, "digest_hour"),
        ({"delivery_mode": "weekly", "digest_hour": "8"}, "delivery_mode"),
        ({"digest_hour": "8"}, "delivery_mode"),
    ],
)
def test_bad_preferences_are_a_400_and_save_nothing(web_client, owner, setup, data, field):
    before = snapshot()
    response = web_client(owner).post(
        reverse("notifications:preferences", args=[setup["team"].pk]), data
    )
    assert response.status_code == 400
    assert field in response.context["pref_form"].errors
    assert snapshot() == before


# --- links -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "shown"),
    [("owner", True), ("admin", True), ("member", False), ("engineer", False)],
)
def test_the_team_page_links_to_the_settings_for_who_may_manage(
    request, web_client, team, role, shown
):
    user = request.getfixturevalue(role)
    html = web_client(user).get(reverse("catalog:team-detail", args=[team.slug])).content.decode()
    link = f'<a href="{settings_url(team)}" data-testid="notification-settings-link">'
    assert (link in html) is shown


def test_the_inbox_links_to_the_settings_of_the_teams_the_user_owns(
    web_client, owner, member, team
):
    TeamFactory(slug="not-mine", name="Not mine")
    html = web_client(owner).get("/inbox/").content.decode()
    assert f'<a href="{settings_url(team)}">Payments</a>' in html
    assert "Not mine" not in html
    assert 'data-testid="settings-links"' not in web_client(member).get("/inbox/").content.decode()


# --- in a real browser -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_owner_sets_up_a_signed_webhook_from_the_team_page(page, login, make_user):
    team = TeamFactory(slug="browser-team", name="Browser Team")
    user = make_user("bo")
    Membership.objects.create(team=team, user=user, role=Membership.Role.OWNER)
    login(user)
    page.goto(page.portal_url(f"/catalog/teams/{team.slug}/"))
    page.click("[data-testid=notification-settings-link]")
    page.wait_for_selector("h1:has-text('Notification settings')")
    assert "No endpoints yet" in page.content()

    page.select_option("#id_channel", "webhook")
    page.fill("#id_target", "http://127.0.0.1/hook")
    page.click("text=Add endpoint")
    page.wait_for_selector(".has-error")
    assert "loopback" in page.locator(".has-error .error").inner_text()
    assert not NotificationEndpoint.objects.exists()

    page.fill("#id_target", PUBLIC_HOOK)
    page.click("text=Add endpoint")
    secret = page.locator("[data-testid=new-secret]").inner_text()
    assert secret == NotificationEndpoint.objects.get(recipient=team).secret
    page.reload()
    page.wait_for_selector("[data-testid=endpoint-webhook]")
    assert secret not in page.content()

    page.click("[data-testid=endpoint-webhook] >> text=Rotate secret…")
    page.click("text=Rotate the secret")
    rotated = page.locator("[data-testid=new-secret]").inner_text()
    assert rotated != secret
    assert rotated == NotificationEndpoint.objects.get(recipient=team).secret

    page.check("#id_delivery_mode_1")
    page.fill("#id_digest_hour", "6")
    page.click("text=Save preferences")
    page.wait_for_selector("text=Notification preferences saved.")
    pref = RecipientPreference.objects.get(recipient=team)
    assert (pref.delivery_mode, pref.digest_hour) == ("digest", 6)
