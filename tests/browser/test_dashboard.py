"""The health dashboard and the roadmap in a real browser: open the dashboard, click through a
number to its rows, open the roadmap, select an item and see what it unlocks and what breaks."""

from __future__ import annotations

import datetime as dt

import pytest

from portal.health.models import RoadmapItem
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def build():
    prov = TeamFactory(slug="prov", name="Prov")
    api = ApiFactory(slug="pay", name="Pay", provider=ServiceFactory(slug="p", owner=prov))
    version = ApiVersionFactory(api=api, major=1)
    for i, days in enumerate([4, 10, 30]):
        DependencyFactory(
            consumer=ServiceFactory(slug=f"c{i}"),
            api_version=version,
            requested_at=dt.date(2025, 1, 1),
            live_at=dt.date(2025, 1, 1) + dt.timedelta(days=days),
        )
    mesh = RoadmapItem.objects.create(title="Service mesh", layer="base", target_quarter="2025-Q2")
    gateway = RoadmapItem.objects.create(
        title="API gateway", layer="core", target_quarter="2025-Q3"
    )
    gateway.depends_on.add(mesh)
    portal = RoadmapItem.objects.create(
        title="Self-service portal", layer="enabling", target_quarter="2026-Q1"
    )
    portal.depends_on.add(gateway)
    RoadmapItem.objects.create(title="Unrelated", layer="core", target_quarter="2025-Q4")
    return mesh, gateway, portal


def test_dashboard_and_roadmap(page, login, make_user):
    mesh, gateway, _portal = build()
    login(make_user("eng"))
    page.goto(page.portal_url("/"))
    page.click("nav >> text=Health")
    page.wait_for_selector("h1:has-text('Platform health')")
    velocity = page.locator("[data-testid=kpi-velocity] .big a")
    assert velocity.inner_text() == "10.0 d"  # median of 4, 10, 30
    assert "no ratings yet" in page.locator("[data-testid=kpi-satisfaction]").inner_text()
    velocity.click()
    page.wait_for_selector("[data-testid=rows]")
    assert page.locator("[data-testid=rows] tbody tr").count() == 3

    page.click("nav >> text=Roadmap")
    page.wait_for_selector("[data-testid=roadmap] svg")
    assert page.locator("svg.roadmap a.card").count() == 4
    page.locator(f"svg.roadmap a[data-item='{mesh.pk}']").click()
    page.wait_for_selector("[data-testid=unlocks]")
    unlocks = page.locator("[data-testid=unlocks]").inner_text()
    assert "API gateway" in unlocks and "Self-service portal" in unlocks
    assert "Unrelated" not in unlocks
    cls = page.locator(f"svg.roadmap a[data-item='{gateway.pk}']").get_attribute("class")
    assert "unlocks" in cls
    # Slip the mesh to 2026-Q1: the gateway (2025-Q3) breaks, the portal (2026-Q1) does not.
    page.fill("input[name=slip_to]", "2026-Q1")
    page.click("text=Recompute")
    page.wait_for_selector("[data-testid=breaks]")
    breaks = page.locator("[data-testid=breaks]").inner_text()
    assert "API gateway" in breaks and "Self-service portal" not in breaks
    cls = page.locator(f"svg.roadmap a[data-item='{gateway.pk}']").get_attribute("class")
    assert "breaks" in cls
