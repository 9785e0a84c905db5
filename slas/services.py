"""Writes of the SLA registry: SLA revisions, measurements, incidents and versioning policies.

Every function validates first and raises ``DomainError`` (a clear 4xx through the API, a form
error in the admin) before anything is written. The API, the admin and the commands all come
through here, so the rules hold whichever door a change uses.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from catalog.models import Api, Service, Team
from portal.api.exceptions import DomainError
from slas import selectors
from slas.models import (
    EscalationLevel,
    Incident,
    Measurement,
    SeverityTarget,
    Sla,
    Tier,
    VersioningPolicy,
)

SLA_FIELDS = (
    "tier",
    "owner_team",
    "availability_target",
    "latency_p95_ms",
    "latency_p99_ms",
    "window_kind",
    "window_days",
    "support_hours",
    "business_days",
    "business_start",
    "business_end",
    "time_zone",
    "rto_minutes",
    "rpo_minutes",
    "notes",
)
SEVERITIES = ("P1", "P2", "P3", "P4")
MAX_MEASUREMENTS_PER_PUSH = 400


class _Errors:
    """Collects every problem so one response lists them all."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def raise_if_any(self, detail: str = "", rule: str = "sla-invalid") -> None:
        if not self.errors:
            return
        messages = [m for msgs in self.errors.values() for m in msgs]
        raise DomainError(
            detail or (messages[0] if len(messages) == 1 else "; ".join(messages)),
            rule=rule,
            errors=self.errors,
        )


# --- SLA validation ------------------------------------------------------------------------


def _int_or_none(value, key: str, errs: _Errors, *, minimum: int = 0) -> int | None:
    if value is None or value == "":
        return None
    try:
        number = int(value)
        if isinstance(value, float | Decimal) and number != value:
            raise ValueError
    except (TypeError, ValueError):
        errs.add(key, f"Must be a whole number (got {value!r}).")
        return None
    if number < minimum:
        errs.add(key, f"Must be at least {minimum}.")
        return None
    return number


def _time_or_none(value, key: str, errs: _Errors) -> time | None:
    if value is None or value == "":
        return None
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        errs.add(key, f"'{value}' is not a time of day (HH:MM).")
        return None


def sla_clean_fields(fields: dict, errs: _Errors) -> dict:
    """Normalise and check the scalar fields of an SLA; problems go to ``errs``."""
    out = {name: fields.get(name) for name in SLA_FIELDS}

    tier = out["tier"] or Tier.CUSTOM
    if tier not in Tier.values:
        errs.add("tier", f"Unknown tier '{tier}'; choose one of {', '.join(Tier.values)}.")
    out["tier"] = tier

    team = out["owner_team"]
    if team is not None and not isinstance(team, Team):
        errs.add("owner_team", "Must be a team.")

    raw = out["availability_target"]
    target = None
    if raw is None or raw == "":
        errs.add("availability_target", "An availability target is required (e.g. 99.9).")
    else:
        try:
            target = Decimal(str(raw))
            if not target.is_finite():
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errs.add("availability_target", f"'{raw}' is not a number.")
            target = None
        if target is not None:
            if not (Decimal(0) < target < Decimal(100)):
                errs.add(
                    "availability_target",
                    "Availability must be more than 0 and less than 100 percent.",
                )
            elif target.as_tuple().exponent < -3:
                errs.add("availability_target", "Availability takes at most 3 decimals.")
    out["availability_target"] = target

    p95 = _int_or_none(out["latency_p95_ms"], "latency_p95_ms", errs, minimum=1)
    p99 = _int_or_none(out["latency_p99_ms"], "latency_p99_ms", errs, minimum=1)
    if p95 is not None and p99 is not None and p99 < p95:
        errs.add(
            "latency_p99_ms",
            f"Latency p99 ({p99} ms) must be at least latency p95 ({p95} ms).",
        )
    out["latency_p95_ms"], out["latency_p99_ms"] = p95, p99

    kind = out["window_kind"] or Sla.WindowKind.ROLLING
    if kind not in Sla.WindowKind.values:
        errs.add("window_kind", f"Unknown window '{kind}'; use rolling or calendar_month.")
    out["window_kind"] = kind
    days = _int_or_none(
        28 if out["window_days"] in (None, "") else out["window_days"], "window_days", errs
    )
    if days is not None and not 1 <= days <= 366:
        errs.add("window_days", "The rolling window must be between 1 and 366 days.")
    out["window_days"] = days or 28

    tz = out["time_zone"] or "UTC"
    try:
        ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        errs.add("time_zone", f"Unknown time zone '{tz}'; use an IANA name like Europe/Berlin.")
    out["time_zone"] = str(tz)

    hours = out["support_hours"] or Sla.SupportHours.ALWAYS
    if hours not in Sla.SupportHours.values:
        errs.add("support_hours", f"Unknown support hours '{hours}'; use 24x7 or business.")
    out["support_hours"] = hours
    start = _time_or_none(out["business_start"], "business_start", errs)
    end = _time_or_none(out["business_end"], "business_end", errs)
    weekdays = out["business_days"] or []
    if hours == Sla.SupportHours.BUSINESS:
        if start is None:
            errs.add("business_start", "Business hours need a start time.")
        if end is None:
            errs.add("business_end", "Business hours need an end time.")
        if start is not None and end is not None and end <= start:
            errs.add("business_end", "Business hours must end after they start.")
        try:
            weekdays = sorted({int(d) for d in weekdays})
        except (TypeError, ValueError):
            errs.add("business_days", "Business days are ISO weekdays 1 (Monday) … 7 (Sunday).")
            weekdays = []
        if not weekdays:
            errs.add("business_days", "Business hours need at least one weekday.")
        elif weekdays[0] < 1 or weekdays[-1] > 7:
            errs.add("business_days", "Business days are ISO weekdays 1 (Monday) … 7 (Sunday).")
        out["business_days"] = weekdays
        out["business_start"], out["business_end"] = start, end
    else:
        out["business_days"], out["business_start"], out["business_end"] = [], None, None

    out["rto_minutes"] = _int_or_none(out["rto_minutes"], "rto_minutes", errs)
    out["rpo_minutes"] = _int_or_none(out["rpo_minutes"], "rpo_minutes", errs)
    out["notes"] = out["notes"] or ""
    return out


def sla_clean_severity_targets(rows: list[dict], errs: _Errors) -> list[dict]:
    """Check response/resolution times per severity: one row per severity, resolution after
    response, and a more urgent severity never answered more slowly than a less urgent one."""
    out: list[dict] = []
    seen: set[str] = set()
    for row in rows:
        sev = row.get("severity")
        if sev not in SEVERITIES:
            errs.add("severity_targets", f"Unknown severity '{sev}'; use P1, P2, P3 or P4.")
            continue
        if sev in seen:
            errs.add("severity_targets", f"{sev} is listed twice.")
            continue
        seen.add(sev)
        resp = _int_or_none(row.get("response_minutes"), "severity_targets", errs, minimum=1)
        res = _int_or_none(row.get("resolution_minutes"), "severity_targets", errs, minimum=1)
        if resp is None:
            errs.add("severity_targets", f"{sev} needs a response time in minutes (at least 1).")
            continue
        if res is not None and res < resp:
            errs.add(
                "severity_targets",
                f"{sev}: resolution time ({res} min) must not be shorter than the response "
                f"time ({resp} min).",
            )
        out.append({"severity": sev, "response_minutes": resp, "resolution_minutes": res})
    out.sort(key=lambda r: r["severity"])
    for a, b in pairwise(out):
        if a["response_minutes"] > b["response_minutes"]:
            errs.add(
                "severity_targets",
                f"{a['severity']} response ({a['response_minutes']} min) must not be slower "
                f"than {b['severity']} ({b['response_minutes']} min).",
            )
    return out


_HANDLE = re.compile(r"^@[\w.\-/]{1,200}$")


def sla_clean_escalation_levels(rows: list[dict], errs: _Errors) -> list[dict]:
    """Check the escalation path: contacts present and well formed, delays non-decreasing."""
    out: list[dict] = []
    previous_delay = None
    for index, row in enumerate(rows, start=1):
        label = f"Level {index}"
        delay = _int_or_none(row.get("delay_minutes"), "escalation_levels", errs)
        if delay is None:
            errs.add("escalation_levels", f"{label} needs a delay in minutes (0 or more).")
        elif previous_delay is not None and delay < previous_delay:
            errs.add(
                "escalation_levels",
                f"{label}: escalation delays must not decrease ({delay} min after "
                f"{previous_delay} min at the level before).",
            )
        if delay is not None:
            previous_delay = delay
        kind = row.get("contact_kind")
        condition = row.get("condition") or EscalationLevel.Condition.NOT_ACKNOWLEDGED
        if condition not in EscalationLevel.Condition.values:
            errs.add(
                "escalation_levels",
                f"{label}: unknown condition '{condition}'; use not_acknowledged or not_resolved.",
            )
        clean = {
            "position": index,
            "delay_minutes": delay,
            "contact_kind": kind,
            "contact_team": None,
            "contact_email": "",
            "contact_handle": "",
            "condition": condition,
        }
        if kind == EscalationLevel.ContactKind.TEAM:
            team = row.get("contact_team")
            if not isinstance(team, Team):
                errs.add("escalation_levels", f"{label}: choose the team to escalate to.")
            clean["contact_team"] = team
        elif kind == EscalationLevel.ContactKind.EMAIL:
            email = (row.get("contact_email") or "").strip()
            try:
                validate_email(email)
            except ValidationError:
                errs.add("escalation_levels", f"{label}: '{email}' is not a valid e-mail address.")
            clean["contact_email"] = email
        elif kind == EscalationLevel.ContactKind.ONCALL:
            handle = (row.get("contact_handle") or "").strip()
            ok = bool(_HANDLE.match(handle))
            if not ok and handle.startswith(("http://", "https://")):
                try:
                    URLValidator(schemes=["https", "http"])(handle)
                    ok = True
                except ValidationError:
                    ok = False
            if not ok:
                errs.add(
                    "escalation_levels",
                    f"{label}: give an on-call handle like @payments-oncall or a paging URL "
                    f"(got '{handle}').",
                )
            clean["contact_handle"] = handle
        else:
            errs.add(
                "escalation_levels",
                f"{label}: unknown contact kind '{kind}'; use team, email or oncall.",
            )
        out.append(clean)
    return out


def sla_validate(
    *, fields: dict, severity_targets: list[dict], escalation_levels: list[dict]
) -> tuple[dict, list[dict], list[dict]]:
    """Normalise and check a whole SLA. Raises DomainError listing every problem."""
    errs = _Errors()
    clean = sla_clean_fields(fields, errs)
    sev = sla_clean_severity_targets(list(severity_targets or []), errs)
    esc = sla_clean_escalation_levels(list(escalation_levels or []), errs)
    errs.raise_if_any()
    return clean, sev, esc


# --- SLA revisions ---------------------------------------------------------------------------


def _lock_subject(*, service: Service | None, api: Api | None):
    if (service is None) == (api is None):
        raise DomainError(
            "An SLA covers exactly one subject: a service or an API.",
            rule="sla-one-subject",
            errors={"subject": ["Give either a service or an API, not both or neither."]},
        )
    if service is not None:
        return Service.objects.select_for_update().get(pk=service.pk)
    return Api.objects.select_for_update().get(pk=api.pk)


def _active_for(subject) -> Sla | None:
    key = "service" if isinstance(subject, Service) else "api"
    return (
        Sla.objects.select_for_update()
        .filter(**{key: subject, "is_active": True})
        .order_by("pk")
        .first()
    )


def _write_revision(
    *,
    subject,
    previous: Sla | None,
    clean: dict,
    severity_targets: list[dict],
    escalation_levels: list[dict],
    actor,
) -> Sla:
    key = "service" if isinstance(subject, Service) else "api"
    now = timezone.now()
    change, summary = Sla.Change.CREATED, {}
    if previous is not None:
        summary = selectors.sla_diff(
            old=selectors.sla_as_data(previous),
            new={
                **clean,
                "severity_targets": severity_targets,
                "escalation_levels": escalation_levels,
            },
        )
        change = summary["change"]
        previous.is_active = False
        previous.superseded_at = now
        previous.superseded_by = actor if getattr(actor, "pk", None) else None
        previous.save(update_fields=["is_active", "superseded_at", "superseded_by"])
    last = Sla.objects.filter(**{key: subject}).aggregate(m=Max("revision"))["m"] or 0
    if clean.get("owner_team") is None:
        clean["owner_team"] = subject.owner if key == "service" else subject.provider.owner
    sla = Sla.objects.create(
        **{key: subject},
        revision=last + 1,
        is_active=True,
        change=change,
        change_summary=summary,
        created_by=actor if getattr(actor, "pk", None) else None,
        **clean,
    )
    SeverityTarget.objects.bulk_create(SeverityTarget(sla=sla, **row) for row in severity_targets)
    EscalationLevel.objects.bulk_create(
        EscalationLevel(sla=sla, **row) for row in escalation_levels
    )
    if previous is not None:
        _record_change_events(sla=sla, summary=summary, actor=actor)
    sla_compliance_refresh(sla=sla)
    return sla


def _record_change_events(*, sla: Sla, summary: dict, actor) -> None:
    from portal.notifications.services import event_record

    recipients = selectors.sla_recipients(sla=sla)
    subject = sla.subject
    url = sla.get_absolute_url()
    events = []
    if summary.get("weakened"):
        events.append(("sla_weakened", "weakened", f"SLA of {subject} weakened", "weakened"))
    if summary.get("strengthened"):
        events.append(
            ("sla_strengthened", "strengthened", f"SLA of {subject} strengthened", "strengthened")
        )
    if summary.get("escalation_changed"):
        events.append(
            ("escalation_changed", "escalation", f"Escalation path of {subject} changed", None)
        )
    for kind, suffix, title, key in events:
        lines = summary.get(key, []) if key else summary.get("escalation", [])
        body = "\n".join(f"- {line}" for line in lines)
        event_record(
            kind=kind,
            dedupe_key=f"sla:{sla.pk}:{suffix}",
            title=title,
            body=body,
            url=url,
            payload={
                "sla_id": sla.pk,
                "revision": sla.revision,
                "subject_kind": sla.subject_kind,
                "subject": getattr(subject, "slug", str(subject)),
                "changes": lines,
            },
            recipients=recipients,
            actor=actor,
        )


@transaction.atomic
def sla_create(
    *,
    service: Service | None = None,
    api: Api | None = None,
    fields: dict,
    severity_targets: list[dict] | None = None,
    escalation_levels: list[dict] | None = None,
    actor=None,
) -> Sla:
    """Create the first SLA of a service or an API (revision 1, active).

    Raises DomainError: invalid values (400, every problem listed), no or two subjects (400), or
    the subject already has an active SLA (409; revise that one instead).
    """
    clean, sev, esc = sla_validate(
        fields=fields,
        severity_targets=severity_targets or [],
        escalation_levels=escalation_levels or [],
    )
    subject = _lock_subject(service=service, api=api)
    existing = _active_for(subject)
    if existing is not None:
        raise DomainError(
            f"{subject} already has an active SLA (revision {existing.revision}); change that "
            "one to create a new revision.",
            kind="conflict",
            rule="sla-already-active",
            errors={"subject": [f"Active SLA id {existing.pk} exists."]},
            extra={"active_sla_id": existing.pk},
        )
    return _write_revision(
        subject=subject,
        previous=None,
        clean=clean,
        severity_targets=sev,
        escalation_levels=esc,
        actor=actor,
    )


@transaction.atomic
def sla_revise(
    *,
    sla: Sla,
    fields: dict | None = None,
    severity_targets: list[dict] | None = None,
    escalation_levels: list[dict] | None = None,
    actor=None,
) -> Sla:
    """Change an SLA: write a new active revision and keep ``sla`` as read-only history.

    Fields not given keep their current values; ``severity_targets`` / ``escalation_levels``
    replace the lists when given. Locks the subject, so two concurrent changes serialise; the
    later one finds ``sla`` superseded and is refused (409). A weakened or strengthened promise
    and a changed escalation path are recorded as change events for the consumers' owners, in
    this transaction. Raises DomainError for invalid values (400) or a superseded revision (409).
    """
    subject = _lock_subject(
        service=sla.service if sla.service_id else None, api=sla.api if sla.api_id else None
    )
    current = _active_for(subject)
    if current is None or current.pk != sla.pk:
        raise DomainError(
            f"Revision {sla.revision} of this SLA is no longer active; it is read-only history. "
            "Change the active revision instead.",
            kind="conflict",
            rule="sla-revision-superseded",
            extra={"active_sla_id": current.pk if current else None},
        )
    data = selectors.sla_as_data(current, with_objects=True)
    merged = {name: data[name] for name in SLA_FIELDS}
    merged.update({k: v for k, v in (fields or {}).items() if k in SLA_FIELDS})
    clean, sev, esc = sla_validate(
        fields=merged,
        severity_targets=data["severity_targets"] if severity_targets is None else severity_targets,
        escalation_levels=(
            data["escalation_levels"] if escalation_levels is None else escalation_levels
        ),
    )
    return _write_revision(
        subject=subject,
        previous=current,
        clean=clean,
        severity_targets=sev,
        escalation_levels=esc,
        actor=actor,
    )


@transaction.atomic
def sla_compliance_refresh(*, sla: Sla, today: date | None = None) -> Sla:
    """Recompute and store the window's attained availability, budget left and breach flag."""
    result = selectors.sla_compliance(sla=sla, today=today)
    sla.attained_availability = (
        None if result.attained is None else result.attained.quantize(Decimal("0.00001"))
    )
    sla.budget_remaining = (
        None
        if result.remaining is None
        else max(result.remaining, Decimal("-9999999")).quantize(Decimal("0.00001"))
    )
    sla.is_breached = result.met is False
    sla.compliance_at = timezone.now()
    Sla.objects.filter(pk=sla.pk).update(
        attained_availability=sla.attained_availability,
        budget_remaining=sla.budget_remaining,
        is_breached=sla.is_breached,
        compliance_at=sla.compliance_at,
    )
    return sla


def sla_compliance_refresh_all(*, today: date | None = None) -> int:
    """Refresh every active SLA (the daily beat task). Returns how many were refreshed."""
    count = 0
    for sla in Sla.objects.filter(is_active=True).select_related("service", "api").iterator():
        sla_compliance_refresh(sla=sla, today=today)
        count += 1
    return count


# --- Measurements and incidents --------------------------------------------------------------


def _subject_filter(sla: Sla) -> dict:
    return {"service_id": sla.service_id} if sla.service_id else {"api_id": sla.api_id}


@transaction.atomic
def measurement_push(*, sla: Sla, rows: list[dict], today: date | None = None) -> list[Measurement]:
    """Store good/total event counts per day for the SLA's subject.

    Idempotent per day: pushing a day again replaces that day's counts. Refuses (400, nothing
    written) a day in the future, negative counts, good > total, a day given twice in one push,
    or more than 400 days at once. Refreshes the SLA's compliance.
    """
    today = today or timezone.localdate()
    errs = _Errors()
    if not rows:
        errs.add("measurements", "Send at least one measurement.")
    if len(rows) > MAX_MEASUREMENTS_PER_PUSH:
        errs.add("measurements", f"At most {MAX_MEASUREMENTS_PER_PUSH} days per push.")
    errs.raise_if_any(rule="measurement-invalid")
    clean: dict[date, tuple[int, int]] = {}
    for index, row in enumerate(rows):
        key = f"measurements[{index}]" if len(rows) > 1 else "day"
        day = row.get("day")
        if isinstance(day, str):
            try:
                day = date.fromisoformat(day)
            except ValueError:
                errs.add(key, f"'{row.get('day')}' is not a date (YYYY-MM-DD).")
                continue
        if not isinstance(day, date):
            errs.add(key, "A day (YYYY-MM-DD) is required.")
            continue
        if day > today:
            errs.add(key, f"{day} is in the future; measurements are pushed for past days.")
        good = _int_or_none(row.get("good"), key, errs)
        total = _int_or_none(row.get("total"), key, errs)
        if good is None or total is None:
            errs.add(key, f"{day}: good and total are required whole numbers (0 or more).")
            continue
        if good > total:
            errs.add(key, f"{day}: good events ({good}) cannot exceed total events ({total}).")
        if day in clean:
            errs.add(key, f"{day} is given twice in this push.")
        clean[day] = (good, total)
    errs.raise_if_any(rule="measurement-invalid")

    subject = _subject_filter(sla)
    existing = {
        m.day: m
        for m in Measurement.objects.select_for_update().filter(**subject, day__in=list(clean))
    }
    to_create, to_update = [], []
    for day, (good, total) in sorted(clean.items()):
        row = existing.get(day)
        if row is None:
            to_create.append(Measurement(**subject, day=day, good=good, total=total))
        else:
            row.good, row.total = good, total
            to_update.append(row)
    Measurement.objects.bulk_create(to_create)
    if to_update:
        Measurement.objects.bulk_update(to_update, ["good", "total", "updated_at"])
    current = Sla.objects.filter(**subject, is_active=True).first()
    if current is not None:
        sla_compliance_refresh(sla=current)
    return sorted(to_create + to_update, key=lambda m: m.day)


@transaction.atomic
def incident_record(
    *,
    sla: Sla,
    title: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    severity: str,
    impact: Decimal | str | float = Decimal(1),
    excluded: bool = False,
) -> Incident:
    """Record an incident against the SLA's subject. Refuses an end before the start, an
    impact outside (0, 1] and an unknown severity (400)."""
    errs = _Errors()
    if not (title or "").strip():
        errs.add("title", "Give the incident a title.")
    if severity not in SEVERITIES:
        errs.add("severity", f"Unknown severity '{severity}'; use P1, P2, P3 or P4.")
    if started_at is None:
        errs.add("started_at", "A start time is required.")
    if started_at and ended_at and ended_at < started_at:
        errs.add("ended_at", "An incident cannot end before it starts.")
    try:
        impact_dec = Decimal(str(impact))
        if not (Decimal(0) < impact_dec <= Decimal(1)):
            errs.add(
                "impact", "Impact is the fraction of traffic affected: more than 0, at most 1."
            )
    except InvalidOperation:
        errs.add("impact", f"'{impact}' is not a number.")
        impact_dec = Decimal(1)
    errs.raise_if_any(rule="incident-invalid")
    incident = Incident.objects.create(
        **_subject_filter(sla),
        title=title.strip(),
        started_at=started_at,
        ended_at=ended_at,
        severity=severity,
        impact=impact_dec,
        excluded=excluded,
    )
    return incident


# --- Versioning policies ---------------------------------------------------------------------

POLICY_FIELDS = (
    "name",
    "description",
    "is_default",
    "scheme",
    "min_notice_days_draft",
    "min_notice_days_alpha",
    "min_notice_days_beta",
    "min_notice_days_stable",
    "max_supported_majors",
    "breaking_requires_major",
    "compare_against",
    "migration_guide_required",
    "successor_required",
    "consent_mode",
    "reminder_offsets",
)


def policy_validate(*, fields: dict, instance: VersioningPolicy | None = None) -> dict:
    """Normalise and check a versioning policy's fields. Raises DomainError listing problems."""
    errs = _Errors()
    base = {}
    if instance is not None:
        base = {name: getattr(instance, name) for name in POLICY_FIELDS}
    else:
        defaults = VersioningPolicy()
        base = {name: getattr(defaults, name) for name in POLICY_FIELDS}
    data = {**base, **{k: v for k, v in fields.items() if k in POLICY_FIELDS}}
    name = (data.get("name") or "").strip()
    if not name:
        errs.add("name", "A policy needs a name.")
    elif (
        VersioningPolicy.objects.filter(name=name)
        .exclude(pk=getattr(instance, "pk", None))
        .exists()
    ):
        errs.add("name", f"A policy named '{name}' already exists.")
    data["name"] = name
    if data["scheme"] not in VersioningPolicy.Scheme.values:
        errs.add("scheme", f"Unknown scheme '{data['scheme']}'; use semver, calver or major.")
    if data["consent_mode"] not in VersioningPolicy.ConsentMode.values:
        errs.add("consent_mode", "Use all_consumers or notice_only.")
    # Omitted or blank (a form posted before the field existed): keep the current value.
    data["compare_against"] = data.get("compare_against") or base["compare_against"]
    if data["compare_against"] not in VersioningPolicy.CompareAgainst.values:
        errs.add("compare_against", "Use previous or all_supported.")
    previous = None
    for stability in ("draft", "alpha", "beta", "stable"):
        key = f"min_notice_days_{stability}"
        value = _int_or_none(data[key], key, errs)
        if value is None:
            if data[key] in (None, ""):
                errs.add(key, "Give a number of days (0 or more).")
            continue
        if previous is not None and value < previous[1]:
            errs.add(
                key,
                f"A {stability} version cannot get less notice ({value} days) than a "
                f"{previous[0]} one ({previous[1]} days).",
            )
        previous = (stability, value)
        data[key] = value
    majors = _int_or_none(data["max_supported_majors"], "max_supported_majors", errs, minimum=1)
    if majors is not None:
        data["max_supported_majors"] = majors
    offsets = data.get("reminder_offsets")
    if not isinstance(offsets, list | tuple):
        errs.add("reminder_offsets", "Reminder offsets are a list of days, e.g. [90, 30, 7].")
    else:
        clean_offsets = []
        for value in offsets:
            number = _int_or_none(value, "reminder_offsets", errs, minimum=1)
            if number is not None:
                clean_offsets.append(number)
        if len(set(clean_offsets)) != len(clean_offsets):
            errs.add("reminder_offsets", "Each reminder offset may appear only once.")
        data["reminder_offsets"] = sorted(set(clean_offsets), reverse=True)
    for flag in (
        "is_default",
        "breaking_requires_major",
        "migration_guide_required",
        "successor_required",
    ):
        data[flag] = bool(data[flag])
    errs.raise_if_any(rule="policy-invalid")
    return data


def _clear_other_defaults(*, keep_pk: int | None) -> None:
    others = VersioningPolicy.objects.select_for_update().filter(is_default=True)
    if keep_pk is not None:
        others = others.exclude(pk=keep_pk)
    for policy in others.order_by("pk"):
        policy.is_default = False
        policy.save(update_fields=["is_default", "updated_at"])


@transaction.atomic
def policy_create(*, fields: dict, actor=None) -> VersioningPolicy:
    """Create a versioning policy; when it is the default, the previous default stops being it."""
    data = policy_validate(fields=fields)
    if data["is_default"]:
        _clear_other_defaults(keep_pk=None)
    return VersioningPolicy.objects.create(**data)


@transaction.atomic
def policy_update(*, policy: VersioningPolicy, fields: dict, actor=None) -> VersioningPolicy:
    """Change a policy. Versions that already froze it keep their snapshot: a later edit never
    shortens a promise made to beta or stable consumers."""
    locked = VersioningPolicy.objects.select_for_update().get(pk=policy.pk)
    data = policy_validate(fields=fields, instance=locked)
    if data["is_default"]:
        _clear_other_defaults(keep_pk=locked.pk)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.save()
    return locked


@transaction.atomic
def policy_delete(*, policy: VersioningPolicy, actor=None) -> None:
    """Delete a policy no API names. APIs naming it would silently fall back to the default, so
    that is refused (409)."""
    count = policy.apis.count()
    if count:
        raise DomainError(
            f"{count} API(s) follow '{policy}'; point them at another policy first.",
            kind="conflict",
            rule="policy-in-use",
        )
    policy.delete()
