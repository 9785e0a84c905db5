"""In a real browser: an admin creates an SLA with an escalation path from a preset in Django
admin, monitoring pushes a month of measurements through the API, and an engineer sees on the
service page whether the SLA is met and how much error budget is left."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from slas.models import Sla
from tests.catalog.factories import ServiceFactory, TeamFactory

SHOTS = os.environ.get("PORTAL_SCREENSHOTS", "/tmp/shots")

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_creates_sla_from_preset_and_engineer_sees_compliance(page, login, make_user):
    admin = make_user("ada", staff=True)
    engineer = make_user("eve")
    team = TeamFactory(slug="books", name="Books")
    ledger = ServiceFactory(slug="ledger", name="Ledger", owner=team)

    # 1. The admin creates the SLA from the "critical" preset in Django admin.
    login(admin)
    page.goto(page.portal_url("/admin/slas/sla/"))
    page.click("text=Create from preset")
    page.click("a[data-preset=critical]")
    assert page.input_value("#id_availability_target") == "99.990"
    assert page.input_value("#id_severity_targets-0-response_minutes") == "15"
    page.fill("#id_service", str(ledger.pk))
    page.fill("#id_escalation_levels-0-delay_minutes", "0")
    page.select_option("#id_escalation_levels-0-contact_kind", "oncall")
    page.fill("#id_escalation_levels-0-contact_handle", "@ledger-oncall")
    page.fill("#id_escalation_levels-1-delay_minutes", "30")
    page.select_option("#id_escalation_levels-1-contact_kind", "team")
    page.select_option("#id_escalation_levels-1-contact_team", str(team.pk))
    page.select_option("#id_escalation_levels-1-condition", "not_resolved")
    os.makedirs(SHOTS, exist_ok=True)
    page.screenshot(path=f"{SHOTS}/slas-admin-add-from-preset.png", full_page=True)
    page.click("input[name=_save]")
    page.wait_for_selector("text=was added successfully")
    page.screenshot(path=f"{SHOTS}/slas-admin-changelist.png", full_page=True)
    sla = Sla.objects.get(service=ledger, is_active=True)
    assert sla.tier == "critical" and sla.created_by == admin
    assert sla.severity_targets.count() == 4
    assert [e.contact for e in sla.escalation_levels.order_by("position")] == [
        "@ledger-oncall",
        "Books",
    ]

    # 2. Monitoring pushes a month of measurements (0.005 % errors: half the 99.99 % budget).
    today = timezone.localdate()
    rows = [
        {"day": (today - timedelta(days=i)).isoformat(), "good": 999_950, "total": 1_000_000}
        for i in range(30)
    ]
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post(f"/api/v1/slas/{sla.pk}/measurements/", rows, format="json")
    assert response.status_code == 200

    # 3. An engineer opens the service page and sees the SLA met and the budget left.
    context = page.context
    context.clear_cookies()
    login(engineer)
    page.goto(page.portal_url("/catalog/services/ledger/"))
    panel = page.locator("[data-testid=sla-panel]")
    assert "99.990 %" in panel.inner_text()
    assert page.inner_text("[data-testid=sla-status]") == "met"
    assert page.inner_text("[data-testid=sla-budget-remaining]").startswith("50.0 %")
    assert page.locator("[data-testid=sla-chart] rect.day-met").count() == 28
    assert "@ledger-oncall" in page.inner_text("[data-testid=sla-escalation]")
    page.screenshot(path=f"{SHOTS}/slas-service-panel.png", full_page=True)
