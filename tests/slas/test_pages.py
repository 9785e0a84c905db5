"""SLA pages and the panel on the catalog's service and API pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from slas import services
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def push_month(sla, *, bad_per_day=50):
    today = timezone.localdate()
    rows = [
        {"day": today - timedelta(days=i), "good": 100_000 - bad_per_day, "total": 100_000}
        for i in range(30)
    ]
    services.measurement_push(sla=sla, rows=rows)


def test_pages_need_login(web_client, service, make_sla):
    sla = make_sla(service=service)
    for url in ("/slas/", f"/slas/{sla.pk}/", "/slas/policies/"):
        response = web_client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]


def test_service_page_shows_compliance_escalation_and_chart(
    web_client, engineer, service, make_sla
):
    sla = make_sla(service=service)
    push_month(sla)
    html = web_client(engineer).get(f"/catalog/services/{service.slug}/").content.decode()
    assert 'data-testid="sla-panel"' in html
    assert "99.900 %" in html
    assert 'data-testid="sla-status">met' in html
    assert "50.0 %" in html  # error budget left
    assert "@payments-oncall" in html and "lead@example.com" in html
    assert "<svg" in html and html.count('class="day-met"') == 28
    assert "<polyline" in html


def test_breached_sla_shows_breached(web_client, engineer, api, make_sla):
    sla = make_sla(api=api)
    push_month(sla, bad_per_day=500)
    html = web_client(engineer).get(f"/catalog/apis/{api.slug}/").content.decode()
    assert 'data-testid="sla-status">breached' in html
    assert 'class="day-missed"' in html
    assert "already" in html  # budget exhausted


def test_panel_empty_states(web_client, engineer, admin, service, make_sla):
    html = web_client(engineer).get(f"/catalog/services/{service.slug}/").content.decode()
    assert 'data-testid="sla-empty"' in html and "Create one from a preset" not in html
    html = web_client(admin).get(f"/catalog/services/{service.slug}/").content.decode()
    assert "Create one from a preset" in html
    make_sla(service=service)
    html = web_client(engineer).get(f"/catalog/services/{service.slug}/").content.decode()
    assert 'data-testid="sla-no-data"' in html


def test_detail_shows_history_and_read_only_notice(web_client, engineer, service, make_sla):
    from decimal import Decimal

    first = make_sla(service=service)
    second = services.sla_revise(sla=first, fields={"availability_target": Decimal("99.5")})
    html = web_client(engineer).get(f"/slas/{first.pk}/").content.decode()
    assert "read-only history" in html and f"/slas/{second.pk}/" in html
    assert "Availability target lowered from 99.9 % to 99.5 %" in html
    html = web_client(engineer).get(f"/slas/{second.pk}/").content.decode()
    assert "read-only history" not in html
    assert web_client(engineer).get("/slas/999999/").status_code == 404


def test_list_filters_and_query_count(web_client, engineer, make_sla):
    client = web_client(engineer)

    def seed(n, start):
        for i in range(start, start + n):
            make_sla(service=ServiceFactory(slug=f"svc-{i}"), tier="critical" if i % 2 else "high")

    seed(5, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/slas/").status_code == 200
    seed(45, 5)
    with CaptureQueriesContext(connection) as large:
        html = client.get("/slas/").content.decode()
    assert html.count("<tr>") == 51
    assert len(small) == len(large)
    html = client.get("/slas/?tier=critical").content.decode()
    assert html.count("<tr>") == 26
    html = client.get("/slas/?subject=svc-3").content.decode()
    assert html.count("<tr>") == 2
    assert "No SLAs match" in client.get("/slas/?subject=nope").content.decode()


def test_policy_pages(web_client, engineer):
    policy = services.policy_create(fields={"name": "Company", "is_default": True})
    html = web_client(engineer).get("/slas/policies/").content.decode()
    assert "Company" in html and "default" in html
    html = web_client(engineer).get(f"/slas/policies/{policy.pk}/").content.decode()
    assert "stable: 180 days" in html and "90, 30, 14, 7, 1" in html
    assert "The previous supported version" in html
    services.policy_update(policy=policy, fields={"compare_against": "all_supported"})
    html = web_client(engineer).get(f"/slas/policies/{policy.pk}/").content.decode()
    assert "Every supported version" in html
