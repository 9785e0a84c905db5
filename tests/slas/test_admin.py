"""The SLA admin: add with inlines, change (new revision), read-only history, preset flow,
CSV export, filters, policies through the services, and the changelist's query count."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.notifications.models import ChangeEvent
from slas import services
from slas.models import Sla, VersioningPolicy
from tests.catalog.factories import ApiFactory, ServiceFactory

pytestmark = pytest.mark.django_db

ADD = "/admin/slas/sla/add/"


def formset(prefix: str, rows: list[dict], *, initial: int = 0, total: int | None = None) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(total if total is not None else len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{i}-{key}"] = value
    return data


def sla_post(**fields) -> dict:
    data = {
        "tier": "high",
        "availability_target": "99.9",
        "window_kind": "rolling",
        "window_days": "28",
        "support_hours": "24x7",
        "time_zone": "UTC",
        "notes": "",
    }
    data.update(fields)
    return data


def test_add_with_inlines_goes_through_the_service(web_client, admin, service, team):
    data = sla_post(service=str(service.pk), latency_p95_ms="200", latency_p99_ms="400")
    data |= formset(
        "severity_targets",
        [
            {"severity": "P1", "response_minutes": "15", "resolution_minutes": "240"},
            {"severity": "P2", "response_minutes": "60", "resolution_minutes": ""},
        ],
    )
    data |= formset(
        "escalation_levels",
        [
            {
                "delay_minutes": "0",
                "condition": "not_acknowledged",
                "contact_kind": "oncall",
                "contact_handle": "@ledger-oncall",
            },
            {
                "delay_minutes": "30",
                "condition": "not_resolved",
                "contact_kind": "team",
                "contact_team": str(team.pk),
            },
        ],
    )
    response = web_client(admin).post(ADD, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors if response.context else response
    )
    sla = Sla.objects.get(service=service)
    assert sla.revision == 1 and sla.is_active and sla.created_by == admin
    assert sla.owner_team == team
    assert list(sla.severity_targets.values_list("severity", "response_minutes")) == [
        ("P1", 15),
        ("P2", 60),
    ]
    assert [e.contact for e in sla.escalation_levels.order_by("position")] == [
        "@ledger-oncall",
        "Payments",
    ]


@pytest.mark.parametrize(
    ("fields", "severity", "escalation", "message"),
    [
        (
            {"latency_p95_ms": "500", "latency_p99_ms": "100"},
            [],
            [],
            "must be at least latency p95",
        ),
        ({"time_zone": "Atlantis/Capital"}, [], [], "Unknown time zone"),
        (
            {
                "support_hours": "business",
                "business_days": ["1"],
                "business_start": "17:00",
                "business_end": "09:00",
            },
            [],
            [],
            "must end after they start",
        ),
        (
            {},
            [{"severity": "P1", "response_minutes": "60", "resolution_minutes": "10"}],
            [],
            "must not be shorter",
        ),
        (
            {},
            [],
            [
                {
                    "delay_minutes": "30",
                    "condition": "not_acknowledged",
                    "contact_kind": "email",
                    "contact_email": "a@example.com",
                },
                {
                    "delay_minutes": "5",
                    "condition": "not_acknowledged",
                    "contact_kind": "email",
                    "contact_email": "b@example.com",
                },
            ],
            "must not decrease",
        ),
    ],
)
def test_add_refusals_show_messages_and_write_nothing(
    web_client, admin, service, fields, severity, escalation, message
):
    data = sla_post(service=str(service.pk), **fields)
    data |= formset("severity_targets", severity) | formset("escalation_levels", escalation)
    response = web_client(admin).post(ADD, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Sla.objects.count() == 0


def test_add_needs_exactly_one_subject(web_client, admin, service, api):
    data = sla_post(service=str(service.pk), api=str(api.pk))
    data |= formset("severity_targets", []) | formset("escalation_levels", [])
    response = web_client(admin).post(ADD, data)
    assert "exactly one subject" in response.content.decode()
    assert Sla.objects.count() == 0


def test_change_writes_a_new_revision_and_events(web_client, admin, api, consumer, make_sla):
    sla = make_sla(api=api)
    levels = list(sla.escalation_levels.order_by("position"))
    targets = list(sla.severity_targets.order_by("severity"))
    data = sla_post(availability_target="99.5")
    data |= formset(
        "severity_targets",
        [
            {
                "id": str(t.pk),
                "sla": str(sla.pk),
                "severity": t.severity,
                "response_minutes": str(t.response_minutes),
                "resolution_minutes": str(t.resolution_minutes),
            }
            for t in targets
        ],
        initial=len(targets),
    )
    rows = [
        {
            "id": str(e.pk),
            "sla": str(sla.pk),
            "delay_minutes": str(e.delay_minutes),
            "condition": e.condition,
            "contact_kind": e.contact_kind,
            "contact_email": e.contact_email,
            "contact_handle": e.contact_handle,
        }
        for e in levels
    ]
    rows[1]["DELETE"] = "on"  # remove the second escalation level
    data |= formset("escalation_levels", rows, initial=len(levels))
    response = web_client(admin).post(f"/admin/slas/sla/{sla.pk}/change/", data)
    assert response.status_code == 302
    sla.refresh_from_db()
    assert not sla.is_active and sla.superseded_by == admin
    new = Sla.objects.get(api=api, is_active=True)
    assert new.revision == 2 and new.availability_target == Decimal("99.5")
    assert new.escalation_levels.count() == 1 and sla.escalation_levels.count() == 2
    assert set(ChangeEvent.objects.values_list("kind", flat=True)) == {
        "sla_weakened",
        "escalation_changed",
    }


def test_history_revision_is_read_only(web_client, admin, service, make_sla):
    first = make_sla(service=service)
    services.sla_revise(sla=first, fields={"notes": "v2"})
    client = web_client(admin)
    page = client.get(f"/admin/slas/sla/{first.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="availability_target"' not in html  # view-only
    assert "Revision" in html and "(active)" in html
    response = client.post(f"/admin/slas/sla/{first.pk}/change/", sla_post())
    assert response.status_code == 403
    assert Sla.objects.filter(service=service).count() == 2
    assert client.post(f"/admin/slas/sla/{first.pk}/delete/").status_code == 403


def test_preset_flow_prefills_and_saves_untouched_rows(web_client, admin, service):
    client = web_client(admin)
    listing = client.get("/admin/slas/sla/presets/").content.decode()
    assert "?preset=critical" in listing and "Best effort" in listing
    form = client.get(f"{ADD}?preset=standard").content.decode()
    assert 'value="99.500"' in form
    assert 'name="severity_targets-3-response_minutes" value="4320"' in form
    # Submit the preset unchanged (rows left as pre-filled) with one escalation level.
    data = sla_post(
        service=str(service.pk),
        tier="standard",
        availability_target="99.500",
        support_hours="business",
        business_days=["1", "2", "3", "4", "5"],
        business_start="09:00",
        business_end="17:00",
        preset="standard",
    )
    data |= formset(
        "severity_targets",
        [
            {"severity": "P1", "response_minutes": "60", "resolution_minutes": "1440"},
            {"severity": "P2", "response_minutes": "240", "resolution_minutes": "2880"},
            {"severity": "P3", "response_minutes": "1440", "resolution_minutes": "7200"},
            {"severity": "P4", "response_minutes": "4320", "resolution_minutes": "20160"},
        ],
    )
    data |= formset(
        "escalation_levels",
        [
            {
                "delay_minutes": "0",
                "condition": "not_acknowledged",
                "contact_kind": "oncall",
                "contact_handle": "@ledger",
            }
        ],
    )
    response = client.post(f"{ADD}?preset=standard", data)
    assert response.status_code == 302
    sla = Sla.objects.get(service=service)
    assert (
        sla.tier == "standard"
        and sla.support_hours == "business"
        and sla.business_days == [1, 2, 3, 4, 5]
    )
    assert sla.severity_targets.count() == 4


def test_non_staff_cannot_reach_admin(web_client, engineer):
    response = web_client(engineer).get("/admin/slas/sla/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert web_client(engineer).get("/admin/slas/sla/presets/").status_code == 302


def test_changelist_filters_search_and_query_count(web_client, admin, make_sla):
    client = web_client(admin)

    def seed(n, start):
        for i in range(start, start + n):
            if i % 2:
                make_sla(service=ServiceFactory(slug=f"svc-{i}", name=f"Svc {i}"), tier="critical")
            else:
                make_sla(api=ApiFactory(slug=f"api-{i}", name=f"Api {i}"))

    seed(5, 0)
    with CaptureQueriesContext(connection) as small:
        assert client.get("/admin/slas/sla/").status_code == 200
    seed(45, 5)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/admin/slas/sla/")
    assert response.context["cl"].result_count == 50
    assert len(small) == len(large), [q["sql"] for q in large.captured_queries]
    assert client.get("/admin/slas/sla/?subject_kind=api").context["cl"].result_count == 25
    assert client.get("/admin/slas/sla/?tier__exact=critical").context["cl"].result_count == 25
    assert client.get("/admin/slas/sla/?q=svc-7").context["cl"].result_count == 1
    assert client.get("/admin/slas/sla/?is_breached__exact=1").context["cl"].result_count == 0
    assert client.get("/admin/slas/sla/?revision=history").context["cl"].result_count == 0


def test_csv_export(web_client, admin, service, api, make_sla):
    a = make_sla(service=service, notes="=cmd|' /C calc'!A0")
    b = make_sla(api=api)
    response = web_client(admin).post(
        "/admin/slas/sla/", {"action": "export_csv", "_selected_action": [a.pk, b.pk]}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["id", "subject_kind", "subject_slug", "subject_name"]
    assert {(r[1], r[2]) for r in rows[1:]} == {("service", "ledger"), ("api", "ledger-api")}
    line = next(r for r in rows[1:] if r[2] == "ledger")
    assert "@payments-oncall" in line[16] and line[7] == "99.900"


def test_policy_admin_uses_the_services(web_client, admin):
    client = web_client(admin)
    old = services.policy_create(fields={"name": "Old", "is_default": True})
    data = {
        "name": "New",
        "description": "",
        "is_default": "on",
        "scheme": "semver",
        "min_notice_days_draft": "0",
        "min_notice_days_alpha": "0",
        "min_notice_days_beta": "90",
        "min_notice_days_stable": "180",
        "max_supported_majors": "2",
        "breaking_requires_major": "on",
        "migration_guide_required": "on",
        "successor_required": "on",
        "consent_mode": "all_consumers",
        "reminder_offsets": "[7, 90, 30]",
    }
    assert client.post("/admin/slas/versioningpolicy/add/", data).status_code == 302
    new = VersioningPolicy.objects.get(name="New")
    old.refresh_from_db()
    assert new.is_default and not old.is_default and new.reminder_offsets == [90, 30, 7]
    bad = dict(data, name="Bad", is_default="", min_notice_days_stable="10")
    response = client.post("/admin/slas/versioningpolicy/add/", bad)
    assert response.status_code == 200 and "less notice" in response.content.decode()
    ApiFactory(policy=new)
    response = client.post(f"/admin/slas/versioningpolicy/{new.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert VersioningPolicy.objects.filter(pk=new.pk).exists()


def test_admin_post_without_csrf_token_is_refused(web_client, admin, service):
    client = web_client(admin, enforce_csrf=True)
    data = (
        sla_post(service=str(service.pk))
        | formset("severity_targets", [])
        | formset("escalation_levels", [])
    )
    assert client.post(ADD, data).status_code == 403
    assert Sla.objects.count() == 0


def test_active_change_page_shows_compliance_and_history(web_client, admin, service, make_sla):
    sla = make_sla(service=service)
    html = web_client(admin).get(f"/admin/slas/sla/{sla.pk}/change/").content.decode()
    assert 'name="availability_target"' in html
    assert "No measurements in" in html and "(active)" in html
    assert 'name="escalation_levels-0-contact_handle" value="@payments-oncall"' in html
