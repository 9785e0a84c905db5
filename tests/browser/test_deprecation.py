"""The deprecation workflow in a real browser: the owner opens the form from the version page,
watches the impact preview update live, announces, and sees the migration board; a consumer
sees it under "what is changing under me" and acknowledges."""

from __future__ import annotations

import datetime as dt
import os

import pytest

from catalog.models import ConsumerMigration, Deprecation, Membership
from tests.catalog.factories import (
    ApiFactory,
    ApiOperationFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "/tmp/shots")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def build(owner, consumer_user):
    payments = TeamFactory(slug="payments", name="Payments")
    Membership.objects.create(team=payments, user=owner, role=Membership.Role.OWNER)
    provider = ServiceFactory(slug="payment-gateway", name="Payment Gateway", owner=payments)
    api = ApiFactory(slug="gateway-api", name="Gateway API", provider=provider)
    v1 = ApiVersionFactory(api=api, major=1)
    ApiVersionFactory(api=api, major=2)
    charges = ApiOperationFactory(api_version=v1, method="post", path="/charges")
    refunds = ApiOperationFactory(api_version=v1, method="post", path="/refunds")
    shop = TeamFactory(slug="shop", name="Shop")
    Membership.objects.create(team=shop, user=consumer_user, role=Membership.Role.MEMBER)
    for i in range(4):
        team = shop if i < 2 else TeamFactory(slug=f"team-{i}", name=f"Team {i}")
        dep = DependencyFactory(
            consumer=ServiceFactory(slug=f"consumer-{i}", name=f"Consumer {i}", owner=team),
            api_version=v1,
        )
        dep.operations.set([charges if i % 2 == 0 else refunds])
    return v1, shop


def test_owner_previews_impact_and_announces(page, login, make_user):
    owner = make_user("olga")
    consumer = make_user("carl")
    v1, shop = build(owner, consumer)
    login(owner)
    page.goto(page.portal_url(v1.get_absolute_url()))
    page.get_by_role("link", name="Deprecate…").click()
    page.wait_for_load_state()
    preview = page.get_by_test_id("impact-preview")
    assert page.get_by_test_id("impact-direct-services").inner_text() == "4"
    assert page.get_by_test_id("impact-direct-teams").inner_text() == "3"

    # Live: narrowing the scope to /refunds updates the preview without a reload.
    page.get_by_label("Single operations").check()
    page.get_by_label("POST /refunds").check()
    page.wait_for_function(
        "document.querySelector('[data-testid=impact-direct-services]').innerText === '2'"
    )
    assert "Consumer 1" in preview.inner_text() and "Consumer 0" not in preview.inner_text()

    page.get_by_label("Reason").fill("Refunds move to the v2 refunds resource.")
    page.get_by_label("Replacement version").select_option(
        label="Gateway API 1.0.0".replace("1.0.0", "2.0.0")
    )
    page.get_by_label("Migration guide url").fill("https://docs.example.com/refunds-v2")
    sunset = dt.date.today() + dt.timedelta(days=200)
    page.get_by_label("Sunset date").fill(sunset.isoformat())
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/deprecation-form.png", full_page=True)
    page.get_by_role("button", name="Announce now").click()
    page.wait_for_load_state()

    assert page.get_by_test_id("deprecation-state").inner_text() == "Announced"
    board = page.get_by_test_id("migration-board")
    assert "Consumer 1" in board.inner_text() and "Consumer 3" in board.inner_text()
    page.screenshot(path=f"{SHOTS}/deprecation-board.png", full_page=True)
    d = Deprecation.objects.get()
    assert d.state == "announced" and d.scope == "operations"
    assert ConsumerMigration.objects.filter(deprecation=d).count() == 2

    # The consumer sees it on its team page and acknowledges from the board.
    page.get_by_role("button", name="Log out").click()
    login(consumer)
    page.goto(page.portal_url(shop.get_absolute_url()))
    panel = page.get_by_test_id("team-changes-panel")
    assert "Gateway API 1.0.0" in panel.inner_text()
    panel.get_by_role("link", name="Gateway API 1.0.0").click()
    page.wait_for_load_state()
    page.locator("[data-consumer=consumer-1]").get_by_role("button", name="Acknowledge").click()
    page.wait_for_load_state()
    assert "acknowledged by carl" in page.get_by_test_id("migration-board").inner_text()
    assert ConsumerMigration.objects.get(consumer__slug="consumer-1").state == "acknowledged"
