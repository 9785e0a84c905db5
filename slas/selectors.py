"""Reads of SLAs and versioning policies."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import semver
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone

from portal.api.exceptions import DomainError
from slas import budget
from slas.models import (
    EscalationLevel,
    Incident,
    Measurement,
    SeverityTarget,
    Sla,
    VersioningPolicy,
)

BUILTIN_POLICY = VersioningPolicy(name="Built-in default")


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy that governs one API version, as plain values.

    ``source`` says where it came from: ``snapshot`` (frozen on the version), ``api`` (the API's own
    policy), ``default`` (the default policy) or ``builtin`` (no policy configured at all).
    """

    source: str
    name: str
    scheme: str
    min_notice_days: dict[str, int]
    max_supported_majors: int
    breaking_requires_major: bool
    migration_guide_required: bool
    successor_required: bool
    consent_mode: str
    reminder_offsets: list[int] = field(default_factory=list)
    policy_id: int | None = None
    # Snapshots frozen before the field existed compared with the previous version only.
    compare_against: str = "previous"

    def notice_days(self, stability: str) -> int:
        return int(self.min_notice_days.get(stability, 0))

    @classmethod
    def from_snapshot(cls, snapshot: dict, *, source: str) -> EffectivePolicy:
        return cls(
            source=source,
            name=snapshot["name"],
            scheme=snapshot["scheme"],
            min_notice_days=dict(snapshot["min_notice_days"]),
            max_supported_majors=int(snapshot["max_supported_majors"]),
            breaking_requires_major=bool(snapshot["breaking_requires_major"]),
            migration_guide_required=bool(snapshot["migration_guide_required"]),
            successor_required=bool(snapshot["successor_required"]),
            consent_mode=snapshot["consent_mode"],
            reminder_offsets=[int(d) for d in snapshot.get("reminder_offsets") or []],
            policy_id=snapshot.get("policy_id"),
            compare_against=snapshot.get("compare_against") or "previous",
        )


def policy_default() -> VersioningPolicy | None:
    return VersioningPolicy.objects.filter(is_default=True).first()


def policy_for_api(*, api) -> tuple[VersioningPolicy, str]:
    """The live policy of an API: its own, else the default, else the built-in defaults."""
    if api.policy_id:
        return api.policy, "api"
    default = policy_default()
    if default is not None:
        return default, "default"
    return BUILTIN_POLICY, "builtin"


def policy_effective(*, api_version) -> EffectivePolicy:
    """The policy governing ``api_version``.

    A snapshot frozen on the version (when it became beta or stable) wins, so later policy edits
    never shorten a promise already made.
    """
    if api_version.policy_snapshot:
        return EffectivePolicy.from_snapshot(api_version.policy_snapshot, source="snapshot")
    policy, source = policy_for_api(api=api_version.api)
    return EffectivePolicy.from_snapshot(policy.as_snapshot(), source=source)


# --- Version strings -------------------------------------------------------------------------

_CALVER = re.compile(r"^v?(\d{4})-(\d{2})-(\d{2})$")
_MAJOR = re.compile(r"^[vV]?(\d+)$")


def version_validate_scheme(*, policy, version: str) -> None:
    """Check ``version`` against the scheme of ``policy`` (a VersioningPolicy or EffectivePolicy).

    semver: MAJOR.MINOR.PATCH with optional pre-release/build (a leading ``v`` is tolerated);
    calver: a real date written YYYY-MM-DD; major: ``v`` and a number (``v3``) or just ``3``.
    Raises DomainError (400, rule ``version-scheme``) with a message that names the scheme.
    """
    text = (version or "").strip()
    scheme = getattr(policy, "scheme", None) or VersioningPolicy.Scheme.SEMVER
    name = getattr(policy, "name", "the policy")

    def refuse(expected: str, example: str) -> None:
        message = (
            f"'{version}' does not follow {expected}, the scheme of '{name}' (e.g. {example})."
        )
        raise DomainError(message, rule="version-scheme", errors={"version": [message]})

    if scheme == VersioningPolicy.Scheme.CALVER:
        match = _CALVER.match(text)
        if not match:
            refuse("calendar versioning YYYY-MM-DD", "2025-03-01")
        try:
            date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            message = f"'{version}' is not a real calendar date (YYYY-MM-DD)."
            raise DomainError(
                message, rule="version-scheme", errors={"version": [message]}
            ) from None
        return
    if scheme == VersioningPolicy.Scheme.MAJOR:
        if not _MAJOR.match(text):
            refuse("major-only versioning", "v3")
        return
    candidate = text[1:] if text[:1] in {"v", "V"} else text
    try:
        semver.Version.parse(candidate)
    except (ValueError, TypeError):
        refuse("semantic versioning MAJOR.MINOR.PATCH", "1.4.0 or 2.0.0-rc.1")


def policy_list() -> QuerySet[VersioningPolicy]:
    return VersioningPolicy.objects.annotate(api_count=Count("apis")).order_by("name")


# --- SLAs ------------------------------------------------------------------------------------


def sla_queryset() -> QuerySet[Sla]:
    """SLAs with everything a list or detail shows, in a constant number of queries."""
    return Sla.objects.select_related(
        "service", "service__owner", "api", "api__provider", "owner_team", "created_by"
    ).prefetch_related(
        Prefetch("severity_targets", queryset=SeverityTarget.objects.order_by("severity")),
        Prefetch(
            "escalation_levels",
            queryset=EscalationLevel.objects.select_related("contact_team").order_by("position"),
        ),
    )


def sla_list(*, active_only: bool = True) -> QuerySet[Sla]:
    qs = sla_queryset()
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("-created_at", "-id")


def sla_active_for(*, subject) -> Sla | None:
    """The active SLA of a Service or an Api (or None)."""
    from catalog.models import Service

    key = "service" if isinstance(subject, Service) else "api"
    return sla_queryset().filter(**{key: subject, "is_active": True}).first()


def sla_history(*, sla: Sla) -> QuerySet[Sla]:
    """Every revision of the SLA's subject, newest first."""
    key = {"service_id": sla.service_id} if sla.service_id else {"api_id": sla.api_id}
    return (
        Sla.objects.filter(**key)
        .select_related("created_by", "superseded_by")
        .order_by("-revision")
    )


def sla_as_data(sla: Sla, *, with_objects: bool = False) -> dict:
    """The promise of one revision as plain values (objects kept when ``with_objects``)."""
    data = {
        "tier": sla.tier,
        "owner_team": sla.owner_team if with_objects else sla.owner_team_id,
        "availability_target": sla.availability_target,
        "latency_p95_ms": sla.latency_p95_ms,
        "latency_p99_ms": sla.latency_p99_ms,
        "window_kind": sla.window_kind,
        "window_days": sla.window_days,
        "support_hours": sla.support_hours,
        "business_days": list(sla.business_days or []),
        "business_start": sla.business_start,
        "business_end": sla.business_end,
        "time_zone": sla.time_zone,
        "rto_minutes": sla.rto_minutes,
        "rpo_minutes": sla.rpo_minutes,
        "notes": sla.notes,
    }
    data["severity_targets"] = [
        {
            "severity": t.severity,
            "response_minutes": t.response_minutes,
            "resolution_minutes": t.resolution_minutes,
        }
        for t in sorted(sla.severity_targets.all(), key=lambda t: t.severity)
    ]
    data["escalation_levels"] = [
        {
            "position": e.position,
            "delay_minutes": e.delay_minutes,
            "contact_kind": e.contact_kind,
            "contact_team": e.contact_team if with_objects else e.contact_team_id,
            "contact_email": e.contact_email,
            "contact_handle": e.contact_handle,
            "condition": e.condition,
        }
        for e in sorted(sla.escalation_levels.all(), key=lambda e: e.position)
    ]
    return data


def _weekly_support_minutes(data: dict) -> int:
    if data.get("support_hours") != "business":
        return 7 * 24 * 60
    start, end = data.get("business_start"), data.get("business_end")
    if not start or not end:
        return 0
    per_day = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
    return max(per_day, 0) * len(data.get("business_days") or [])


def _contact(level: dict) -> str:
    team = level.get("contact_team")
    if level.get("contact_kind") == "team":
        return f"team {getattr(team, 'pk', team)}"
    if level.get("contact_kind") == "email":
        return level.get("contact_email") or ""
    return level.get("contact_handle") or ""


def _contact_label(level: dict) -> str:
    team = level.get("contact_team")
    if level.get("contact_kind") == "team" and hasattr(team, "name"):
        return f"team {team.name}"
    return _contact(level)


def sla_diff(*, old: dict, new: dict) -> dict:
    """Compare two promises. Returns ``{"change", "weakened", "strengthened",
    "escalation_changed", "escalation"}`` with one readable line per difference.

    Lower availability, higher (or dropped) latency, response, resolution, RTO and RPO targets,
    fewer support hours, a later or removed escalation level weaken a promise; the opposite
    strengthens it.
    """
    weakened: list[str] = []
    strengthened: list[str] = []

    def lower_is_better(label: str, a, b, unit: str) -> None:
        if a == b:
            return
        if b is None:
            weakened.append(f"{label} no longer promised (was {a} {unit})")
        elif a is None:
            strengthened.append(f"{label} now promised: {b} {unit}")
        elif b > a:
            weakened.append(f"{label} raised from {a} to {b} {unit}")
        else:
            strengthened.append(f"{label} lowered from {a} to {b} {unit}")

    a, b = Decimal(old["availability_target"]), Decimal(new["availability_target"])
    if b < a:
        weakened.append(f"Availability target lowered from {a.normalize()} % to {b.normalize()} %")
    elif b > a:
        strengthened.append(
            f"Availability target raised from {a.normalize()} % to {b.normalize()} %"
        )
    lower_is_better("Latency p95", old.get("latency_p95_ms"), new.get("latency_p95_ms"), "ms")
    lower_is_better("Latency p99", old.get("latency_p99_ms"), new.get("latency_p99_ms"), "ms")
    lower_is_better("RTO", old.get("rto_minutes"), new.get("rto_minutes"), "min")
    lower_is_better("RPO", old.get("rpo_minutes"), new.get("rpo_minutes"), "min")

    old_hours, new_hours = _weekly_support_minutes(old), _weekly_support_minutes(new)
    if new_hours < old_hours:
        weakened.append(f"Support hours reduced from {old_hours // 60} to {new_hours // 60} h/week")
    elif new_hours > old_hours:
        strengthened.append(
            f"Support hours extended from {old_hours // 60} to {new_hours // 60} h/week"
        )

    old_sev = {t["severity"]: t for t in old.get("severity_targets", [])}
    new_sev = {t["severity"]: t for t in new.get("severity_targets", [])}
    for sev in sorted(set(old_sev) | set(new_sev)):
        o, n = old_sev.get(sev, {}), new_sev.get(sev, {})
        lower_is_better(
            f"{sev} response time", o.get("response_minutes"), n.get("response_minutes"), "min"
        )
        lower_is_better(
            f"{sev} resolution time",
            o.get("resolution_minutes"),
            n.get("resolution_minutes"),
            "min",
        )

    escalation: list[str] = []
    old_esc, new_esc = old.get("escalation_levels", []), new.get("escalation_levels", [])
    for index in range(max(len(old_esc), len(new_esc))):
        level = index + 1
        o = old_esc[index] if index < len(old_esc) else None
        n = new_esc[index] if index < len(new_esc) else None
        if n is None:
            line = f"Escalation level {level} ({_contact_label(o)}) removed"
            escalation.append(line)
            weakened.append(line)
            continue
        if o is None:
            line = (
                f"Escalation level {level} added: {_contact_label(n)} after "
                f"{n['delay_minutes']} min"
            )
            escalation.append(line)
            strengthened.append(line)
            continue
        if o["delay_minutes"] != n["delay_minutes"]:
            line = (
                f"Escalation level {level} delay changed from {o['delay_minutes']} to "
                f"{n['delay_minutes']} min"
            )
            escalation.append(line)
            (weakened if n["delay_minutes"] > o["delay_minutes"] else strengthened).append(line)
        if (o["contact_kind"], _contact(o)) != (n["contact_kind"], _contact(n)):
            escalation.append(
                f"Escalation level {level} contact changed from {_contact_label(o)} to "
                f"{_contact_label(n)}"
            )
        if o.get("condition") != n.get("condition"):
            escalation.append(
                f"Escalation level {level} condition changed from {o.get('condition')} to "
                f"{n.get('condition')}"
            )

    if weakened and strengthened:
        change = "mixed"
    elif weakened:
        change = "weakened"
    elif strengthened:
        change = "strengthened"
    else:
        change = "unchanged"
    return {
        "change": change,
        "weakened": weakened,
        "strengthened": strengthened,
        "escalation_changed": bool(escalation),
        "escalation": escalation,
    }


def sla_recipients(*, sla: Sla) -> list:
    """Who hears about a change to ``sla``: the owner teams of the subject's consumers
    (``direct``; for a Service, consumers of any version of any of its APIs) and the SLA's owner
    team (``owner``)."""
    from catalog.models import Dependency
    from portal.notifications.services import Recipient

    if sla.api_id:
        deps = Dependency.objects.filter(api_version__api_id=sla.api_id)
        subject_slug = sla.api.slug
    else:
        deps = Dependency.objects.filter(provider_id=sla.service_id)
        subject_slug = sla.service.slug
    rows = deps.values_list("consumer__owner_id", "consumer__slug").order_by(
        "consumer__owner_id", "consumer__slug"
    )
    recipients: list = []
    seen: set[int] = set()
    for team_id, consumer_slug in rows:
        if team_id in seen:
            continue
        seen.add(team_id)
        recipients.append(
            Recipient(
                team_id=team_id,
                relation="direct",
                path=[consumer_slug, subject_slug],
                detail={"consumer": consumer_slug},
            )
        )
    owner_id = sla.owner_team_id
    if owner_id is None:
        owner_id = sla.service.owner_id if sla.service_id else sla.api.provider.owner_id
    recipients.append(Recipient(team_id=owner_id, relation="owner", path=[subject_slug]))
    return recipients


def sla_support_hours(sla: Sla) -> budget.SupportHours:
    if sla.support_hours != Sla.SupportHours.BUSINESS:
        return budget.SupportHours(always=True, tz=sla.time_zone)
    return budget.SupportHours(
        always=False,
        days=frozenset(int(d) for d in sla.business_days or []),
        start=sla.business_start,
        end=sla.business_end,
        tz=sla.time_zone,
    )


def sla_compliance(*, sla: Sla, today: date | None = None) -> budget.Compliance:
    """Compliance of ``sla`` over the window that contains ``today`` (default: today)."""
    today = today or timezone.localdate()
    start, end, _ = budget.window_bounds(kind=sla.window_kind, days=sla.window_days, today=today)
    subject = {"service_id": sla.service_id} if sla.service_id else {"api_id": sla.api_id}
    days = [
        budget.DayCount(day=d, good=g, total=t)
        for d, g, t in Measurement.objects.filter(**subject, day__range=(start, end))
        .order_by("day")
        .values_list("day", "good", "total")
    ]
    window_open = datetime.combine(start, time.min, tzinfo=UTC)
    window_close = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    now = timezone.now()
    incidents = [
        budget.IncidentSpan(
            start=i.started_at,
            end=i.ended_at or now,
            impact=i.impact,
            excluded=i.excluded,
        )
        for i in Incident.objects.filter(**subject, started_at__lt=window_close).filter(
            Q(ended_at__isnull=True) | Q(ended_at__gte=window_open)
        )
    ]
    return budget.compliance(
        target=sla.availability_target,
        days=days,
        today=today,
        window_kind=sla.window_kind,
        window_days=sla.window_days,
        incidents=incidents,
        hours=sla_support_hours(sla),
        now=now,
    )


def sla_incidents(*, sla: Sla, limit: int = 20) -> QuerySet[Incident]:
    subject = {"service_id": sla.service_id} if sla.service_id else {"api_id": sla.api_id}
    return Incident.objects.filter(**subject).order_by("-started_at")[:limit]


def sla_measurements(*, sla: Sla, today: date | None = None) -> QuerySet[Measurement]:
    """The daily counts of the SLA's subject inside its current window, oldest first."""
    today = today or timezone.localdate()
    start, end, _ = budget.window_bounds(kind=sla.window_kind, days=sla.window_days, today=today)
    subject = {"service_id": sla.service_id} if sla.service_id else {"api_id": sla.api_id}
    return Measurement.objects.filter(**subject, day__range=(start, end)).order_by("day")
