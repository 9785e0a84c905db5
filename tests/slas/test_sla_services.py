"""SLA services: every validation rule, revisions, change events and their recipients."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from portal.api.exceptions import DomainError
from portal.notifications.models import ChangeEvent, Notification
from slas import services
from slas.models import EscalationLevel, SeverityTarget, Sla
from tests.slas.conftest import ESCALATION

pytestmark = pytest.mark.django_db


def refused(make, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as info:
        make(**kwargs)
    assert Sla.objects.count() == 0
    return info.value


def test_create_stores_revision_one_with_children(service, make_sla, admin):
    sla = make_sla(service=service, actor=admin, latency_p95_ms=200, latency_p99_ms=400)
    assert sla.revision == 1 and sla.is_active and sla.change == Sla.Change.CREATED
    assert sla.owner_team == service.owner
    assert sla.created_by == admin
    assert list(sla.escalation_levels.values_list("position", "delay_minutes")) == [(1, 0), (2, 30)]
    assert SeverityTarget.objects.filter(sla=sla).count() == 2


@pytest.mark.parametrize(
    ("fields", "key", "fragment"),
    [
        ({"availability_target": Decimal("100")}, "availability_target", "less than 100"),
        ({"availability_target": Decimal("0")}, "availability_target", "more than 0"),
        ({"availability_target": Decimal("99.9999")}, "availability_target", "3 decimals"),
        ({"availability_target": "abc"}, "availability_target", "not a number"),
        ({"availability_target": None}, "availability_target", "required"),
        ({"latency_p95_ms": 300, "latency_p99_ms": 200}, "latency_p99_ms", "at least latency p95"),
        ({"latency_p95_ms": 0}, "latency_p95_ms", "at least 1"),
        ({"window_days": 0}, "window_days", "between 1 and 366"),
        ({"window_kind": "weekly"}, "window_kind", "Unknown window"),
        ({"tier": "platinum"}, "tier", "Unknown tier"),
        ({"time_zone": "Mars/Olympus"}, "time_zone", "Unknown time zone"),
        ({"support_hours": "sometimes"}, "support_hours", "Unknown support hours"),
        (
            {
                "support_hours": "business",
                "business_days": [1],
                "business_start": time(17),
                "business_end": time(9),
            },
            "business_end",
            "end after they start",
        ),
        (
            {
                "support_hours": "business",
                "business_days": [],
                "business_start": time(9),
                "business_end": time(17),
            },
            "business_days",
            "at least one weekday",
        ),
        (
            {
                "support_hours": "business",
                "business_days": [8],
                "business_start": time(9),
                "business_end": time(17),
            },
            "business_days",
            "ISO weekdays",
        ),
        ({"support_hours": "business", "business_days": [1]}, "business_start", "start time"),
        (
            {"support_hours": "business", "business_days": [1], "business_start": "9am"},
            "business_start",
            "not a time",
        ),
        ({"rto_minutes": -5}, "rto_minutes", "at least 0"),
    ],
)
def test_field_validation_refuses_with_clear_message(service, make_sla, fields, key, fragment):
    error = refused(make_sla, service=service, **fields)
    assert key in error.errors
    assert any(fragment in m for m in error.errors[key]), error.errors


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        ([{"severity": "P5", "response_minutes": 5}], "Unknown severity"),
        (
            [{"severity": "P1", "response_minutes": 5}, {"severity": "P1", "response_minutes": 6}],
            "listed twice",
        ),
        ([{"severity": "P1", "response_minutes": None}], "needs a response time"),
        (
            [{"severity": "P1", "response_minutes": 60, "resolution_minutes": 30}],
            "must not be shorter",
        ),
        (
            [
                {"severity": "P1", "response_minutes": 60},
                {"severity": "P2", "response_minutes": 30},
            ],
            "must not be slower",
        ),
    ],
)
def test_severity_validation(service, make_sla, rows, fragment):
    error = refused(make_sla, service=service, severity_targets=rows)
    assert any(fragment in m for m in error.errors["severity_targets"]), error.errors


@pytest.mark.parametrize(
    ("rows", "fragment"),
    [
        (
            [
                {"delay_minutes": 30, "contact_kind": "email", "contact_email": "a@example.com"},
                {"delay_minutes": 10, "contact_kind": "email", "contact_email": "b@example.com"},
            ],
            "must not decrease",
        ),
        (
            [{"delay_minutes": None, "contact_kind": "email", "contact_email": "a@example.com"}],
            "needs a delay",
        ),
        (
            [{"delay_minutes": 0, "contact_kind": "email", "contact_email": "not-an-email"}],
            "not a valid e-mail",
        ),
        ([{"delay_minutes": 0, "contact_kind": "team"}], "choose the team"),
        (
            [{"delay_minutes": 0, "contact_kind": "oncall", "contact_handle": "pager me"}],
            "on-call handle",
        ),
        ([{"delay_minutes": 0, "contact_kind": "pigeon"}], "unknown contact kind"),
        (
            [
                {
                    "delay_minutes": 0,
                    "contact_kind": "oncall",
                    "contact_handle": "@x",
                    "condition": "maybe",
                }
            ],
            "unknown condition",
        ),
    ],
)
def test_escalation_validation(service, make_sla, rows, fragment):
    error = refused(make_sla, service=service, escalation_levels=rows)
    assert any(fragment in m for m in error.errors["escalation_levels"]), error.errors


def test_escalation_accepts_team_and_paging_url(service, make_sla, consumer_team):
    sla = make_sla(
        service=service,
        escalation_levels=[
            {"delay_minutes": 0, "contact_kind": "team", "contact_team": consumer_team},
            {
                "delay_minutes": 0,
                "contact_kind": "oncall",
                "contact_handle": "https://pager.example.com/p/1",
            },
        ],
    )
    assert [e.contact for e in sla.escalation_levels.all()] == [
        "Checkout",
        "https://pager.example.com/p/1",
    ]


def test_all_problems_are_listed_at_once(service, make_sla):
    error = refused(
        make_sla, service=service, availability_target=Decimal(120), time_zone="Nowhere/X"
    )
    assert set(error.errors) >= {"availability_target", "time_zone"}


def test_exactly_one_subject(service, api, make_sla):
    with pytest.raises(DomainError, match="exactly one subject"):
        make_sla(service=service, api=api)
    with pytest.raises(DomainError, match="exactly one subject"):
        make_sla()


def test_second_create_for_same_subject_conflicts(service, make_sla):
    first = make_sla(service=service)
    with pytest.raises(DomainError) as info:
        make_sla(service=service)
    assert info.value.kind == "conflict" and info.value.extra["active_sla_id"] == first.pk
    assert Sla.objects.count() == 1


def test_database_refuses_two_subjects_and_two_active(service, api, make_sla):
    sla = make_sla(service=service)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sla.objects.create(service=service, api=api, availability_target=Decimal("99"), revision=9)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sla.objects.create(service=service, availability_target=Decimal("99"), revision=2)
    with pytest.raises(IntegrityError), transaction.atomic():
        Sla.objects.filter(pk=sla.pk).update(availability_target=Decimal("100"))


def test_revise_keeps_history_and_one_active(service, make_sla, admin, owner):
    first = make_sla(service=service, actor=owner)
    second = services.sla_revise(
        sla=first, fields={"availability_target": Decimal("99.95")}, actor=admin
    )
    first.refresh_from_db()
    assert (first.is_active, second.is_active) == (False, True)
    assert second.revision == 2
    assert first.superseded_by == admin and first.superseded_at is not None
    assert first.created_by == owner and second.created_by == admin
    # Unchanged parts are copied to the new revision; the old one keeps its own rows.
    assert second.escalation_levels.count() == 2 and first.escalation_levels.count() == 2
    assert second.change == Sla.Change.STRENGTHENED
    assert Sla.objects.filter(service=service, is_active=True).count() == 1


def test_revising_a_superseded_revision_is_refused(service, make_sla):
    first = make_sla(service=service)
    services.sla_revise(sla=first, fields={"notes": "x"})
    with pytest.raises(DomainError) as info:
        services.sla_revise(sla=first, fields={"notes": "y"})
    assert info.value.kind == "conflict"
    assert Sla.objects.filter(service=service).count() == 2


def test_invalid_revision_writes_nothing(service, make_sla):
    first = make_sla(service=service)
    with pytest.raises(DomainError):
        services.sla_revise(sla=first, fields={"latency_p95_ms": 500, "latency_p99_ms": 100})
    first.refresh_from_db()
    assert first.is_active and Sla.objects.count() == 1


def test_weakening_notifies_consumer_owners_and_sla_owner(
    api, consumer, consumer_team, team, make_sla, admin
):
    sla = make_sla(api=api)
    new = services.sla_revise(sla=sla, fields={"availability_target": Decimal("99.5")}, actor=admin)
    assert new.change == Sla.Change.WEAKENED
    event = ChangeEvent.objects.get(kind="sla_weakened")
    assert event.dedupe_key == f"sla:{new.pk}:weakened"
    assert "99.9 % to 99.5 %" in event.body
    assert event.actor == admin
    relations = dict(
        Notification.objects.filter(event=event).values_list("recipient_id", "relation")
    )
    assert relations == {consumer_team.pk: "direct", team.pk: "owner"}
    assert not ChangeEvent.objects.filter(kind="sla_strengthened").exists()


def test_service_subject_notifies_consumers_of_its_apis(
    service, api, consumer, consumer_team, make_sla
):
    sla = make_sla(service=service)
    services.sla_revise(sla=sla, fields={"latency_p95_ms": 900})  # latency now promised: stronger
    event = ChangeEvent.objects.get(kind="sla_strengthened")
    assert Notification.objects.filter(
        event=event, recipient=consumer_team, relation="direct"
    ).exists()


def test_escalation_level_removed_is_weakening_and_escalation_change(api, consumer, make_sla):
    sla = make_sla(api=api)
    new = services.sla_revise(sla=sla, escalation_levels=ESCALATION[:1])
    assert new.change == Sla.Change.WEAKENED
    kinds = set(ChangeEvent.objects.values_list("kind", flat=True))
    assert kinds == {"sla_weakened", "escalation_changed"}
    assert "Escalation level 2" in ChangeEvent.objects.get(kind="escalation_changed").body


def test_contact_change_is_escalation_change_only(api, consumer, make_sla):
    sla = make_sla(api=api)
    rows = [dict(ESCALATION[0], contact_handle="@ledger-oncall"), ESCALATION[1]]
    new = services.sla_revise(sla=sla, escalation_levels=rows)
    assert new.change == Sla.Change.UNCHANGED
    assert list(ChangeEvent.objects.values_list("kind", flat=True)) == ["escalation_changed"]


def test_mixed_change_records_both(api, consumer, make_sla):
    sla = make_sla(api=api)
    new = services.sla_revise(
        sla=sla,
        fields={"availability_target": Decimal("99.95")},
        severity_targets=[
            {"severity": "P1", "response_minutes": 30, "resolution_minutes": 240},
            {"severity": "P2", "response_minutes": 60, "resolution_minutes": 480},
        ],
    )
    assert new.change == Sla.Change.MIXED
    assert set(ChangeEvent.objects.values_list("kind", flat=True)) == {
        "sla_weakened",
        "sla_strengthened",
    }
    weakened = ChangeEvent.objects.get(kind="sla_weakened")
    assert "P1 response time raised from 15 to 30 min" in weakened.body


def test_support_hours_reduction_is_weakening(service, make_sla):
    sla = make_sla(service=service)
    new = services.sla_revise(
        sla=sla,
        fields={
            "support_hours": "business",
            "business_days": [1, 2, 3, 4, 5],
            "business_start": time(9),
            "business_end": time(17),
            "time_zone": "Europe/Berlin",
        },
    )
    assert new.change == Sla.Change.WEAKENED
    assert any("Support hours reduced" in line for line in new.change_summary["weakened"])


def test_change_events_are_deduplicated_per_revision(api, consumer, make_sla):
    sla = make_sla(api=api)
    new = services.sla_revise(sla=sla, fields={"availability_target": Decimal("99")})
    services._record_change_events(sla=new, summary=new.change_summary, actor=None)
    assert ChangeEvent.objects.filter(kind="sla_weakened").count() == 1


def test_escalation_levels_protect_contact_team(service, make_sla, consumer_team):
    make_sla(
        service=service,
        escalation_levels=[
            {"delay_minutes": 0, "contact_kind": "team", "contact_team": consumer_team}
        ],
    )
    assert EscalationLevel.objects.filter(contact_team=consumer_team).exists()


def test_daily_refresh_task_moves_the_window(service, make_sla):
    from datetime import timedelta

    from django.utils import timezone

    from slas.tasks import compliance_refresh

    sla = make_sla(service=service)
    today = timezone.localdate()
    services.measurement_push(sla=sla, rows=[{"day": today, "good": 0, "total": 10}])
    sla.refresh_from_db()
    assert sla.is_breached
    # 28 days later the bad day has left the rolling window.
    later = (today + timedelta(days=28)).isoformat()
    assert compliance_refresh.delay(later) is not None
    sla.refresh_from_db()
    assert not sla.is_breached and sla.attained_availability is None
