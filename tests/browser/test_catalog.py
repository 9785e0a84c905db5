"""The catalog in a real browser: log in, search, filter by layer, open a service, see its graph."""

from __future__ import annotations

import os

import pytest

from catalog.models import Membership, Service
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "/tmp/shots")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def build_catalog(user):
    payments = TeamFactory(slug="payments", name="Payments")
    books = TeamFactory(slug="books", name="Books")
    Membership.objects.create(team=payments, user=user, role=Membership.Role.OWNER)
    gateway = ServiceFactory(
        slug="payment-gateway",
        name="Payment Gateway",
        owner=payments,
        layer=Service.Layer.CORE,
        tier=1,
        description="Takes card payments for every shop.",
        onboarding_notes="## Getting started\n\nAsk in **#payments**.",
    )
    ledger = ServiceFactory(
        slug="ledger", name="Ledger", owner=books, layer=Service.Layer.BASE, tier=1
    )
    ServiceFactory(slug="payroll", name="Payroll Runner", owner=books, layer=Service.Layer.ENABLING)
    gw_v1 = ApiVersionFactory(
        api=ApiFactory(slug="gateway-api", name="Gateway API", provider=gateway)
    )
    ledger_v2 = ApiVersionFactory(
        api=ApiFactory(slug="ledger-api", name="Ledger API", provider=ledger), major=2
    )
    DependencyFactory(consumer=gateway, api_version=ledger_v2)
    for i in range(12):
        consumer = ServiceFactory(
            slug=f"shop-{i}",
            name=f"Shop Frontend {i}",
            owner=TeamFactory(slug=f"shop-team-{i % 4}", name=f"Shop Team {i % 4}"),
            layer=Service.Layer.ENABLING,
        )
        DependencyFactory(consumer=consumer, api_version=gw_v1)
    return gateway


def test_search_filter_open_service_and_see_its_graph(page, login, make_user):
    user = make_user("bea")
    build_catalog(user)
    login(user)

    # the home page is the catalog
    assert page.url.endswith("/catalog/")
    page.wait_for_selector("[data-testid=service-table]")
    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"{SHOTS}/catalog-home.png", full_page=True)
    assert page.locator("[data-testid=result-count]").inner_text().startswith("15 services")

    # search: htmx swaps the results in while typing, and the URL follows
    page.fill("#id_search", "pay")
    page.wait_for_function(
        "document.querySelector('[data-testid=result-count]').innerText.startsWith('2 services')"
    )
    names = page.locator(".service-link").all_inner_texts()
    assert names == ["Payment Gateway", "Payroll Runner"]
    assert "search=pay" in page.url

    # filter by layer: only the core service stays; the layer facet shows counts
    page.check("#f-layer-core")
    page.wait_for_function(
        "document.querySelector('[data-testid=result-count]').innerText.startsWith('1 service')"
    )
    assert page.locator(".service-link").all_inner_texts() == ["Payment Gateway"]
    assert "layer=core" in page.url
    assert page.is_checked("#f-layer-core")
    page.screenshot(path=f"{SHOTS}/catalog-filtered.png", full_page=True)

    # open the service page and see its graph
    page.click("text=Payment Gateway")
    page.wait_for_selector("[data-testid=service-graph] svg")
    assert page.locator("h1").first.inner_text().startswith("Payment Gateway")
    svg = page.locator("[data-testid=service-graph] svg")
    assert svg.get_attribute("data-downstream") == "12"
    assert svg.get_attribute("data-upstream") == "1"
    nodes = page.locator("[data-testid=service-graph] .graph-node")
    assert nodes.count() == 14  # the centre, 1 provider, 12 consumers
    box = svg.bounding_box()
    assert box and box["width"] > 500 and box["height"] > 200  # drawn, not collapsed
    assert page.locator("[data-testid=onboarding-notes] h2").inner_text() == "Getting started"
    # the impact summary arrives through htmx after the page
    page.wait_for_selector("[data-testid=impact-loaded]")
    assert page.locator("[data-testid=impact-direct]").inner_text() == "12"
    page.screenshot(path=f"{SHOTS}/service-page.png", full_page=True)

    # a graph node is a link to the neighbour's page
    page.click("[data-testid=service-graph] a[href='/catalog/services/ledger/']")
    page.wait_for_url("**/catalog/services/ledger/")
    assert page.locator("h1").first.inner_text().startswith("Ledger")


def test_keyboard_user_can_skip_to_content_and_search(page, login, make_user):
    user = make_user("kai")
    build_catalog(user)
    login(user)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.focus("#id_search")
    page.keyboard.type("ledger")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "document.querySelector('[data-testid=result-count]').innerText.startsWith('1 service')"
    )
    assert page.locator(".service-link").all_inner_texts() == ["Ledger"]


def test_layers_view_draws_the_platform(page, login, make_user):
    user = make_user("lou")
    build_catalog(user)
    login(user)
    page.goto(page.portal_url("/catalog/layers/"))
    page.wait_for_selector("[data-testid=layers-graph] svg")
    assert page.locator(".layer-box").count() == 3
    flow = page.locator('.layer-flow[data-from="enabling"][data-to="core"]')
    assert flow.get_attribute("data-count") == "12"
    page.set_viewport_size({"width": 1280, "height": 900})
    page.screenshot(path=f"{SHOTS}/layers.png", full_page=True)
