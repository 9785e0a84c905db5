"""The SLA API: each role, filters, revisions, measurements, incidents and query counts."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from slas.models import Incident, Measurement, Sla
from tests.catalog.factories import ApiFactory, ServiceFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/slas/"

BODY = {
    "service": "ledger",
    "tier": "high",
    "availability_target": "99.9",
    "latency_p95_ms": 200,
    "latency_p99_ms": 400,
    "severity_targets": [{"severity": "P1", "response_minutes": 15, "resolution_minutes": 240}],
    "escalation_levels": [
        {"delay_minutes": 0, "contact_kind": "oncall", "contact_handle": "@ledger-oncall"},
        {"delay_minutes": 30, "contact_kind": "team", "contact_team": "payments"},
    ],
}


def test_anonymous_gets_401(api_client, service):
    assert api_client().get(LIST).status_code == 401
    response = api_client().post(LIST, BODY, format="json")
    assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]
    assert Sla.objects.count() == 0


@pytest.mark.parametrize("role", ["engineer", "owner"])
def test_non_staff_read_but_cannot_write(request, api_client, service, make_sla, role):
    user = request.getfixturevalue(role)
    sla = make_sla(service=service)
    client = api_client(user)
    assert client.get(LIST).status_code == 200
    assert client.get(f"{LIST}{sla.pk}/").status_code == 200
    assert client.post(LIST, BODY, format="json").status_code == 403
    response = client.patch(f"{LIST}{sla.pk}/", {"availability_target": "90"}, format="json")
    assert response.status_code == 403
    assert response.json()["title"] == "Permission denied"
    assert Sla.objects.count() == 1
    assert (
        client.post(
            f"{LIST}{sla.pk}/measurements/",
            {"day": "2025-01-01", "good": 1, "total": 1},
            format="json",
        ).status_code
        == 403
    )
    assert Measurement.objects.count() == 0


def test_staff_creates_with_escalation_path(api_client, admin, service, team):
    response = api_client(admin).post(LIST, BODY, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["service"] == "ledger" and body["revision"] == 1 and body["is_active"]
    assert body["availability_target"] == "99.900"
    assert [e["contact"] for e in body["escalation_levels"]] == ["@ledger-oncall", "Payments"]
    sla = Sla.objects.get(pk=body["id"])
    assert sla.escalation_levels.get(position=2).contact_team == team
    assert sla.created_by == admin


def test_create_from_preset(api_client, admin, api):
    response = api_client(admin).post(
        LIST, {"api": "ledger-api", "preset": "critical"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["tier"] == "critical" and body["availability_target"] == "99.990"
    assert [t["severity"] for t in body["severity_targets"]] == ["P1", "P2", "P3", "P4"]


def test_unknown_preset_is_400(api_client, admin, api):
    response = api_client(admin).post(LIST, {"api": "ledger-api", "preset": "gold"}, format="json")
    assert response.status_code == 400
    assert "Unknown preset" in response.json()["detail"]


def test_invalid_body_lists_every_problem_and_writes_nothing(api_client, admin, service):
    body = dict(
        BODY,
        availability_target="100",
        latency_p95_ms=500,
        latency_p99_ms=100,
        time_zone="Moon/Base",
    )
    response = api_client(admin).post(LIST, body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) >= {"availability_target", "latency_p99_ms", "time_zone"}
    assert Sla.objects.count() == 0


def test_second_active_sla_is_409(api_client, admin, service, make_sla):
    make_sla(service=service)
    response = api_client(admin).post(LIST, BODY, format="json")
    assert response.status_code == 409
    assert response.json()["rule"] == "sla-already-active"


def test_patch_creates_revision_and_history(api_client, admin, service, make_sla):
    sla = make_sla(service=service)
    client = api_client(admin)
    response = client.patch(f"{LIST}{sla.pk}/", {"availability_target": "99.5"}, format="json")
    assert response.status_code == 200, response.json()
    new = response.json()
    assert new["revision"] == 2 and new["change"] == "weakened"
    assert new["id"] != sla.pk
    history = client.get(f"{LIST}{new['id']}/history/").json()
    assert [(r["revision"], r["is_active"]) for r in history] == [(2, True), (1, False)]
    # The old revision is read-only now.
    stale = client.patch(f"{LIST}{sla.pk}/", {"availability_target": "99.0"}, format="json")
    assert stale.status_code == 409
    assert Sla.objects.filter(service=service).count() == 2
    # The subject cannot be moved.
    moved = client.patch(f"{LIST}{new['id']}/", {"api": "x"}, format="json")
    assert moved.status_code == 400


def test_list_shows_active_only_and_filters(api_client, engineer, make_sla, service, api):
    other = ServiceFactory(slug="search")
    s1 = make_sla(service=service, tier="critical", availability_target=Decimal("99.99"))
    from slas import services

    services.sla_revise(sla=s1, fields={"notes": "v2"})
    make_sla(api=api, tier="standard", availability_target=Decimal("99.5"))
    s3 = make_sla(service=other, tier="standard", availability_target=Decimal("99.5"))
    Sla.objects.filter(pk=s3.pk).update(is_breached=True)
    client = api_client(engineer)

    def ids(query: str = "") -> list[tuple]:
        rows = client.get(LIST + query).json()["results"]
        return sorted((r["service"] or r["api"], r["revision"]) for r in rows)

    assert ids() == [("ledger", 2), ("ledger-api", 1), ("search", 1)]
    assert ids("?subject_kind=api") == [("ledger-api", 1)]
    assert ids("?subject=ledger") == [("ledger", 2)]
    assert ids("?service=search") == [("search", 1)]
    assert ids("?tier=standard") == [("ledger-api", 1), ("search", 1)]
    assert ids("?breached=true") == [("search", 1)]
    assert ids("?active=false") == [("ledger", 1)]
    assert ids("?active=all&subject=ledger") == [("ledger", 1), ("ledger", 2)]
    assert client.get(LIST + "?tier=gold").status_code == 400


def _month(today: date, *, bad_per_day: int = 50, total: int = 100_000) -> list[dict]:
    return [
        {
            "day": (today - timedelta(days=i)).isoformat(),
            "good": total - bad_per_day,
            "total": total,
        }
        for i in range(30)
    ]


def test_monitoring_pushes_a_month_and_compliance_follows(api_client, admin, service, make_sla):
    sla = make_sla(service=service)
    client = api_client(admin)
    today = timezone.localdate()
    response = client.post(
        f"{LIST}{sla.pk}/measurements/", {"measurements": _month(today)}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert len(response.json()) == 30
    assert Measurement.objects.filter(service=service).count() == 30
    compliance = client.get(f"{LIST}{sla.pk}/compliance/").json()
    assert compliance["total"] == 2_800_000 and compliance["bad"] == 1_400
    assert Decimal(compliance["budget"]) == Decimal(2800)
    assert Decimal(compliance["consumed"]) == Decimal("0.5")
    assert compliance["met"] is True
    sla.refresh_from_db()
    assert sla.attained_availability == Decimal("99.95") and not sla.is_breached
    assert sla.budget_remaining == Decimal("0.5")
    # Re-pushing a day replaces it (idempotent per day), here breaching the SLA.
    bad_day = {"day": today.isoformat(), "good": 90_000, "total": 100_000}
    assert client.post(f"{LIST}{sla.pk}/measurements/", bad_day, format="json").status_code == 200
    assert client.post(f"{LIST}{sla.pk}/measurements/", bad_day, format="json").status_code == 200
    assert Measurement.objects.filter(service=service).count() == 30
    assert Measurement.objects.get(service=service, day=today).good == 90_000
    sla.refresh_from_db()
    assert sla.is_breached
    assert client.get(f"{LIST}?breached=true").json()["count"] == 1
    listed = client.get(f"{LIST}{sla.pk}/measurements/").json()
    assert len(listed) == 28


def test_measurements_survive_a_revision(api_client, admin, service, make_sla):
    sla = make_sla(service=service)
    client = api_client(admin)
    client.post(f"{LIST}{sla.pk}/measurements/", _month(timezone.localdate()), format="json")
    new = client.patch(f"{LIST}{sla.pk}/", {"availability_target": "99.99"}, format="json").json()
    assert new["compliance"]["breached"] is True  # 99.95 attained < 99.99
    assert client.get(f"{LIST}{new['id']}/compliance/").json()["total"] == 2_800_000


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"day": "2999-01-01", "good": 1, "total": 1}, "in the future"),
        ({"day": "2024-01-01", "good": 5, "total": 1}, "cannot exceed"),
        ({"day": "2024-01-01", "good": -1, "total": 1}, "greater than or equal to 0"),
        ({"day": "yesterday", "good": 1, "total": 1}, "Date has wrong format"),
    ],
)
def test_bad_measurements_are_refused(api_client, admin, service, make_sla, row, fragment):
    sla = make_sla(service=service)
    response = api_client(admin).post(f"{LIST}{sla.pk}/measurements/", row, format="json")
    assert response.status_code == 400
    assert fragment in str(response.json()), response.json()
    assert Measurement.objects.count() == 0


def test_duplicate_day_in_one_push_is_refused(api_client, admin, service, make_sla):
    sla = make_sla(service=service)
    rows = [{"day": "2024-01-01", "good": 1, "total": 1}] * 2
    response = api_client(admin).post(f"{LIST}{sla.pk}/measurements/", rows, format="json")
    assert response.status_code == 400 and "twice" in response.json()["detail"]
    assert Measurement.objects.count() == 0


def test_service_account_token_with_permission_pushes(make_user, service, make_sla):
    sla = make_sla(service=service)
    robot = make_user("monitoring-bot")
    token = Token.objects.create(user=robot)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    row = {"day": "2024-01-01", "good": 10, "total": 10}
    assert client.post(f"{LIST}{sla.pk}/measurements/", row, format="json").status_code == 403
    robot.user_permissions.add(Permission.objects.get(codename="push_measurements"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.post(f"{LIST}{sla.pk}/measurements/", row, format="json").status_code == 200
    # ...but it still cannot change the SLA itself.
    assert client.patch(f"{LIST}{sla.pk}/", {"notes": "x"}, format="json").status_code == 403
    assert Measurement.objects.count() == 1


def test_incidents_recorded_and_counted(api_client, admin, engineer, service, make_sla):
    sla = make_sla(service=service)
    start = timezone.now() - timedelta(hours=2)
    body = {
        "title": "DB failover",
        "started_at": start.isoformat(),
        "ended_at": (start + timedelta(minutes=45)).isoformat(),
        "severity": "P1",
        "impact": "0.5",
    }
    response = api_client(admin).post(f"{LIST}{sla.pk}/incidents/", body, format="json")
    assert response.status_code == 201, response.json()
    excluded = dict(body, title="Planned", excluded=True)
    assert (
        api_client(admin).post(f"{LIST}{sla.pk}/incidents/", excluded, format="json").status_code
        == 201
    )
    assert (
        api_client(engineer).post(f"{LIST}{sla.pk}/incidents/", body, format="json").status_code
        == 403
    )
    assert Incident.objects.filter(service=service).count() == 2
    compliance = api_client(engineer).get(f"{LIST}{sla.pk}/compliance/").json()
    assert compliance["incident_minutes"] == 45
    backwards = dict(body, ended_at=(start - timedelta(minutes=1)).isoformat())
    response = api_client(admin).post(f"{LIST}{sla.pk}/incidents/", backwards, format="json")
    assert response.status_code == 400 and "before it starts" in response.json()["detail"]
    assert len(api_client(engineer).get(f"{LIST}{sla.pk}/incidents/").json()) == 2


def test_list_query_count_is_constant(api_client, engineer, make_sla):
    def seed(n: int, start: int) -> None:
        for i in range(start, start + n):
            make_sla(service=ServiceFactory(slug=f"svc-{i}"))
            make_sla(api=ApiFactory(slug=f"api-{i}"))

    client = api_client(engineer)
    seed(3, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get(LIST).json()["count"] == 6
    seed(22, 3)
    with CaptureQueriesContext(connection) as large:
        assert client.get(LIST).json()["count"] == 50
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
