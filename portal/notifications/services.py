"""Writes of the notification outbox: planning, delivery, replay, endpoints, preferences, inbox.

A leaf app: recipients are rows of ``settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL`` (teams),
reached through foreign keys only; this module never imports catalog or slas.
"""

from __future__ import annotations

import json
import logging
import math
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from portal.api.exceptions import DomainError
from portal.notifications import channels, conf, netguard, selectors, signing
from portal.notifications.models import (
    ChangeEvent,
    DeliveryMode,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
)

logger = logging.getLogger(__name__)

CHUNK = 500
RELATION_ORDER = {"owner": 0, "direct": 1, "transitive": 2}
DELIVERED_FLUSH_ROWS = 20
DELIVERED_FLUSH_SECONDS = 0.5


@dataclass(frozen=True)
class Recipient:
    """A team to notify about an event, and why (its relation and the dependency path)."""

    team_id: int
    relation: str = Notification.Relation.DIRECT
    path: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


# --- planning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Plan:
    channels: list[str]
    digest_at: datetime | None
    transitive: bool


def next_digest_at(*, hour: int, now: datetime) -> datetime:
    """The next moment (UTC) a team with digest hour ``hour`` receives its digest, after ``now``."""
    candidate = now.astimezone(UTC).replace(hour=hour, minute=0, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _plans_for(team_ids: Sequence[int], *, now: datetime) -> dict[int, _Plan]:
    """Channels and delivery timing for each team: the inbox always, plus enabled endpoints."""
    endpoints: dict[int, list[str]] = {}
    prefs: dict[int, RecipientPreference] = {}
    for start in range(0, len(team_ids), CHUNK):
        chunk = team_ids[start : start + CHUNK]
        for recipient_id, channel in NotificationEndpoint.objects.filter(
            recipient_id__in=chunk, enabled=True
        ).values_list("recipient_id", "channel"):
            endpoints.setdefault(recipient_id, []).append(channel)
        for pref in RecipientPreference.objects.filter(recipient_id__in=chunk):
            prefs[pref.recipient_id] = pref
    plans = {}
    for team_id in team_ids:
        pref = prefs.get(team_id)
        digest_at = None
        if pref is not None and pref.delivery_mode == DeliveryMode.DIGEST:
            digest_at = next_digest_at(hour=pref.digest_hour, now=now)
        plans[team_id] = _Plan(
            channels=[Notification.Channel.INBOX, *sorted(endpoints.get(team_id, []))],
            digest_at=digest_at,
            transitive=pref.transitive_notices if pref is not None else True,
        )
    return plans


@transaction.atomic
def event_record(
    *,
    kind: str,
    dedupe_key: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict | None = None,
    recipients: Iterable[Recipient],
    actor=None,
) -> ChangeEvent:
    """Record a change event and plan one notification per (team, channel).

    Must be called inside the transaction of the change itself (it joins it). Guarantees:

    - one ChangeEvent per ``dedupe_key``: a repeat returns the existing event and writes nothing;
    - one Notification per (team, event, channel) — a team listed several times keeps its
      strongest relation (owner > direct > transitive); transitive recipients whose team turned
      transitive notices off are dropped;
    - in-app inbox rows are delivered at once; other channels are ``pending`` now, or at the
      team's next digest hour when the team chose the daily digest;
    - after commit, delivery tasks are enqueued in batches (never one task per notification).
      If the broker is down the change still commits and the beat sweeper delivers later.
    """
    existing = ChangeEvent.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            event = ChangeEvent.objects.create(
                kind=kind,
                dedupe_key=dedupe_key[:255],
                title=title[:300],
                body=body,
                url=url[:500],
                payload=payload or {},
                actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
            )
    except IntegrityError:  # a concurrent writer recorded the same event first
        return ChangeEvent.objects.get(dedupe_key=dedupe_key[:255])

    by_team: dict[int, Recipient] = {}
    for recipient in recipients:
        current = by_team.get(recipient.team_id)
        if current is None or RELATION_ORDER.get(recipient.relation, 9) < RELATION_ORDER.get(
            current.relation, 9
        ):
            by_team[recipient.team_id] = recipient
    now = timezone.now()
    plans = _plans_for(list(by_team), now=now)
    rows: list[dict] = []
    pending = 0
    for team_id, recipient in by_team.items():
        plan = plans[team_id]
        if recipient.relation == Notification.Relation.TRANSITIVE and not plan.transitive:
            continue
        for channel in plan.channels:
            row = {
                "event_id": event.pk,
                "recipient_id": team_id,
                "channel": channel,
                "relation": recipient.relation,
                "path": list(recipient.path),
                "detail": dict(recipient.detail),
                "created_at": now,
            }
            if channel == Notification.Channel.INBOX:
                row["state"] = Notification.State.DELIVERED
                row["delivered_at"] = now
            else:
                row["digest"] = plan.digest_at is not None
                row["next_attempt_at"] = plan.digest_at or now
                pending += 0 if row["digest"] else 1
            rows.append(row)
    _insert_notifications(rows)
    if pending:
        transaction.on_commit(lambda: dispatch(expected=pending))
    return event


def _insert_notifications(rows: list[dict]) -> None:
    """Insert planned rows with one ``executemany`` of ``INSERT … ON CONFLICT DO NOTHING``.

    Equivalent to ``bulk_create(ignore_conflicts=True)`` (the unique (recipient, event, channel)
    constraint still decides) but without the ORM's per-value compilation, which dominates when
    an event reaches thousands of teams. Values are prepared by the model fields themselves.
    """
    if not rows:
        return
    meta = Notification._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    prepared_cache: dict[tuple, object] = {}

    def prep(f, value):
        if isinstance(value, list | dict):
            return f.get_db_prep_save(value, connection)
        key = (f.attname, value)
        if key not in prepared_cache:
            prepared_cache[key] = f.get_db_prep_save(value, connection)
        return prepared_cache[key]

    qn = connection.ops.quote_name
    head = f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) VALUES "
    one = f"({', '.join(['%s'] * len(fields))})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # one statement per 5,000 rows with one array parameter per column (unnest): no
            # per-row round trip and no per-value placeholder for the driver to parse
            casts = []
            for f in fields:
                db_type = "jsonb" if isinstance(f, models.JSONField) else f.db_type(connection)
                casts.append(f"%s::{db_type}[]")
            sql = (
                f"INSERT INTO {qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
                f"SELECT * FROM unnest({', '.join(casts)}) ON CONFLICT DO NOTHING"
            )
            json_columns = [isinstance(f, models.JSONField) for f in fields]
            for start in range(0, len(rows), 5000):
                chunk = rows[start : start + 5000]
                arrays = []
                for f, is_json in zip(fields, json_columns, strict=True):
                    values = [row.get(f.attname, defaults[f.attname]) for row in chunk]
                    arrays.append([json.dumps(v) for v in values] if is_json else values)
                cursor.execute(sql, arrays)
        else:
            params = [
                [prep(f, row.get(f.attname, defaults[f.attname])) for f in fields] for row in rows
            ]
            sql = head + one + " ON CONFLICT DO NOTHING"
            for start in range(0, len(params), 2000):
                cursor.executemany(sql, params[start : start + 2000])


# --- dispatch ---------------------------------------------------------------------------------

_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}


def dispatch(*, expected: int, digest_only: bool = False) -> int:
    """Enqueue enough delivery tasks for ``expected`` due rows; return how many were enqueued.

    Broker failures are logged and swallowed: the rows are in the database and the beat sweeper
    re-dispatches them once the broker is back.
    """
    from kombu.exceptions import OperationalError

    from portal.notifications import tasks

    wanted = max(1, min(conf.parallel_tasks(), math.ceil(expected / conf.batch_size())))
    sent = 0
    for _ in range(wanted):
        try:
            tasks.deliver_due.apply_async(
                kwargs={"digest_only": digest_only}, retry=True, retry_policy=_PUBLISH_RETRY
            )
        except (OperationalError, OSError) as exc:
            logger.warning("notifications: broker unavailable, the sweeper will deliver: %s", exc)
            break
        sent += 1
    return sent


def _due_q(now: datetime, *, digest_only: bool = False) -> Q:
    due = Q(state__in=[Notification.State.PENDING, Notification.State.FAILED]) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stuck = Q(state=Notification.State.SENDING, lease_expires_at__lt=now)
    q = (due | stuck) & ~Q(channel=Notification.Channel.INBOX)
    if digest_only:
        q &= Q(digest=True)
    return q


def delivery_claim(
    *, limit: int, digest_only: bool = False, now: datetime | None = None
) -> list[int]:
    """Claim up to ``limit`` due (or lease-expired) rows for this worker; return their ids.

    On PostgreSQL the rows are locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers never
    claim the same row; SQLite serialises writers. Claiming counts an attempt.
    """
    now = now or timezone.now()
    with transaction.atomic():
        qs = Notification.objects.filter(_due_q(now, digest_only=digest_only)).order_by(
            "recipient_id" if digest_only else "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        ids = list(qs.values_list("id", flat=True)[:limit])
        if ids:
            Notification.objects.filter(id__in=ids).update(
                state=Notification.State.SENDING,
                lease_expires_at=now + timedelta(seconds=conf.lease_seconds()),
                attempts=F("attempts") + 1,
            )
    return ids


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter: between half and all of ``base · 2^(attempts-1)`` (capped)."""
    ceiling = min(
        conf.backoff_max_seconds(), conf.backoff_base_seconds() * 2 ** max(0, attempts - 1)
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # jitter, not crypto


def _mark_delivered(ids: list[int]) -> None:
    Notification.objects.filter(id__in=ids, state=Notification.State.SENDING).update(
        state=Notification.State.DELIVERED,
        delivered_at=timezone.now(),
        lease_expires_at=None,
        next_attempt_at=None,
        last_error="",
    )


def _mark_failed(rows: list[Notification], error: str, *, permanent: bool) -> None:
    now = timezone.now()
    limit = conf.max_attempts()
    dead = [r.id for r in rows if permanent or r.attempts >= limit]
    if dead:
        Notification.objects.filter(id__in=dead, state=Notification.State.SENDING).update(
            state=Notification.State.DEAD, lease_expires_at=None, last_error=error[:2000]
        )
    for row in rows:
        if row.id in dead:
            continue
        Notification.objects.filter(id=row.id, state=Notification.State.SENDING).update(
            state=Notification.State.FAILED,
            lease_expires_at=None,
            next_attempt_at=now + timedelta(seconds=backoff_seconds(row.attempts)),
            last_error=error[:2000],
        )


def _mark_skipped(ids: list[int], reason: str) -> None:
    Notification.objects.filter(id__in=ids, state=Notification.State.SENDING).update(
        state=Notification.State.SKIPPED, lease_expires_at=None, last_error=reason
    )


def _release(ids: list[int]) -> None:
    """Give claimed rows back (this worker ran out of lease time before sending them)."""
    Notification.objects.filter(id__in=ids, state=Notification.State.SENDING).update(
        state=Notification.State.PENDING, lease_expires_at=None, attempts=F("attempts") - 1
    )


def _item(n: Notification) -> channels.Item:
    return channels.Item(
        notification_id=n.id,
        kind=n.event.kind,
        title=n.event.title,
        body=n.event.body,
        url=n.event.url,
        payload=n.event.payload,
        relation=n.relation,
        path=n.path,
        detail=n.detail,
        team=str(n.recipient),
        created_at=n.event.created_at.isoformat(),
        event_id=n.event_id,
    )


def endpoint_disable(*, endpoint: NotificationEndpoint, reason: str) -> None:
    """Disable an endpoint (e.g. after HTTP 410); its queued notifications are skipped."""
    NotificationEndpoint.objects.filter(pk=endpoint.pk).update(
        enabled=False, disabled_reason=reason[:300], disabled_at=timezone.now()
    )
    endpoint.enabled = False


@dataclass
class DeliveryReport:
    claimed: int = 0
    delivered: int = 0
    failed: int = 0
    dead: int = 0
    skipped: int = 0
    released: int = 0

    def add(self, other: DeliveryReport) -> None:
        for name in ("claimed", "delivered", "failed", "dead", "skipped", "released"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def deliver_claimed(ids: list[int], *, ctx: channels.Context | None = None) -> DeliveryReport:
    """Send the claimed rows ``ids`` and record each outcome as soon as it is known.

    A delivered row is never sent again (outcomes are written only for rows still ``sending``).
    Digest rows of one (team, channel) go out as one message.
    """
    report = DeliveryReport(claimed=len(ids))
    if not ids:
        return report
    started = time.monotonic()
    lease = conf.lease_seconds()
    rows = list(
        Notification.objects.filter(id__in=ids, state=Notification.State.SENDING)
        .select_related("event", "recipient")
        .order_by("id")
    )
    endpoints = {
        (e.recipient_id, e.channel): e
        for e in NotificationEndpoint.objects.filter(
            recipient_id__in={r.recipient_id for r in rows}
        )
    }
    own_ctx = ctx is None
    ctx = ctx or channels.Context(allowed_hosts=selectors.webhook_allowed_hosts())
    delivered: list[int] = []
    flushed_at = time.monotonic()

    def flush() -> None:
        nonlocal flushed_at
        if delivered:
            _mark_delivered(delivered)
            delivered.clear()
        flushed_at = time.monotonic()

    groups: dict[tuple, list[Notification]] = {}
    for row in rows:
        key = (row.recipient_id, row.channel, "digest") if row.digest else (row.id,)
        groups.setdefault(key, []).append(row)
    try:
        group_list = list(groups.values())
        for index, group in enumerate(group_list):
            if time.monotonic() - started > lease * 0.8:
                rest = [r.id for g in group_list[index:] for r in g]
                _release(rest)
                report.released += len(rest)
                break
            first = group[0]
            group_ids = [r.id for r in group]
            endpoint = endpoints.get((first.recipient_id, first.channel))
            if endpoint is None or not endpoint.enabled:
                _mark_skipped(group_ids, "The team has no enabled endpoint for this channel.")
                report.skipped += len(group)
                continue
            try:
                channels.send(
                    first.channel, endpoint=endpoint, items=[_item(r) for r in group], ctx=ctx
                )
            except channels.DeliveryError as exc:
                if exc.gone:
                    endpoint_disable(endpoint=endpoint, reason=exc.message)
                _mark_failed(group, exc.message, permanent=exc.permanent)
                permanent = exc.permanent or any(r.attempts >= conf.max_attempts() for r in group)
                if permanent:
                    report.dead += len(group)
                else:
                    report.failed += len(group)
                continue
            # Outcomes are recorded in small groups (a commit per row would cap throughput);
            # a crash before the flush means at most these few are sent again, same webhook-id.
            delivered.extend(group_ids)
            report.delivered += len(group)
            if len(delivered) >= DELIVERED_FLUSH_ROWS or (
                time.monotonic() - flushed_at > DELIVERED_FLUSH_SECONDS
            ):
                flush()
    finally:
        flush()
        if own_ctx and ctx.http is not None:
            ctx.http.close()
    return report


def delivery_run(
    *, budget_seconds: float | None = None, digest_only: bool = False
) -> DeliveryReport:
    """Claim and deliver batches until nothing is due or the time budget is spent.

    Returns the totals. When the budget runs out with rows still due, one more delivery task is
    enqueued so the work continues without waiting for the sweeper.
    """
    budget = conf.task_budget_seconds() if budget_seconds is None else budget_seconds
    started = time.monotonic()
    total = DeliveryReport()
    ctx = channels.Context(allowed_hosts=selectors.webhook_allowed_hosts())
    try:
        while True:
            ids = delivery_claim(limit=conf.batch_size(), digest_only=digest_only)
            if not ids:
                break
            total.add(deliver_claimed(ids, ctx=ctx))
            if time.monotonic() - started > budget:
                if selectors.due_count(digest_only=digest_only):
                    dispatch(expected=1, digest_only=digest_only)
                break
    finally:
        if ctx.http is not None:
            ctx.http.close()
    return total


def sweep(*, now: datetime | None = None) -> int:
    """The beat sweeper: bury rows that exhausted their tries, re-dispatch anything due or stuck.

    Returns the number of rows found due.
    """
    now = now or timezone.now()
    Notification.objects.filter(
        state=Notification.State.SENDING,
        lease_expires_at__lt=now,
        attempts__gte=conf.max_attempts(),
    ).update(
        state=Notification.State.DEAD,
        lease_expires_at=None,
        last_error="The lease expired on the last allowed attempt (worker lost).",
    )
    due = selectors.due_count(now=now)
    if due:
        dispatch(expected=due)
    return due


@transaction.atomic
def notification_replay(*, notifications: Iterable[Notification], actor=None) -> int:
    """Reset dead, failed or skipped notifications to ``pending`` with fresh attempts; dispatch.

    Delivered rows are left alone (a delivered notification is never sent twice). Returns the
    number of rows reset.
    """
    ids = [n.pk for n in notifications]
    count = (
        Notification.objects.filter(
            id__in=ids,
            state__in=[
                Notification.State.DEAD,
                Notification.State.FAILED,
                Notification.State.SKIPPED,
            ],
        )
        .exclude(channel=Notification.Channel.INBOX)
        .update(
            state=Notification.State.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            lease_expires_at=None,
            last_error="",
        )
    )
    if count:
        logger.info("notifications: %s replayed %d notification(s)", actor, count)
        transaction.on_commit(lambda: dispatch(expected=count))
    return count


# --- inbox ------------------------------------------------------------------------------------


def inbox_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's teams' unread inbox notifications read (``ids`` or all); return the count."""
    qs = selectors.inbox_for_user(user=user).filter(read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return Notification.objects.filter(id__in=list(qs.values_list("id", flat=True))).update(
        read_at=timezone.now()
    )


# --- endpoints and preferences -----------------------------------------------------------------


def _require_owner(*, actor, recipient_id: int) -> None:
    if not selectors.user_can_manage_recipient(user=actor, recipient_id=recipient_id):
        raise DomainError(
            "Only the team's owners or staff may change its notification settings.",
            kind="forbidden",
            rule="team-owner-required",
        )


def endpoint_validate_target(*, channel: str, target: str) -> str:
    """The normalised target for ``channel``; raise DomainError (400) if it is unusable."""
    target = target.strip()
    if channel == NotificationEndpoint.Channel.EMAIL:
        from django.core.exceptions import ValidationError
        from django.core.validators import validate_email

        from portal.notifications.channels.email import addresses

        found = addresses(target)
        if not found:
            raise DomainError(
                "Give at least one e-mail address.",
                rule="endpoint-target",
                errors={"target": ["Give at least one e-mail address."]},
            )
        for address in found:
            try:
                validate_email(address)
            except ValidationError as exc:
                raise DomainError(
                    f"'{address}' is not a valid e-mail address.",
                    rule="endpoint-target",
                    errors={"target": [f"'{address}' is not a valid e-mail address."]},
                ) from exc
        return ", ".join(found)
    try:
        netguard.check_url(target, allowed_hosts=selectors.webhook_allowed_hosts())
    except netguard.UnsafeURL as exc:
        raise DomainError(
            str(exc), rule="webhook-url-refused", errors={"target": [str(exc)]}
        ) from exc
    return target


@transaction.atomic
def endpoint_save(
    *,
    actor,
    recipient_id: int,
    channel: str,
    target: str,
    enabled: bool = True,
    endpoint: NotificationEndpoint | None = None,
) -> tuple[NotificationEndpoint, str | None]:
    """Create or update a team's endpoint for one channel; return it and a NEW secret, if any.

    The URL guard runs on save when the target is new or changed, or the endpoint is (re-)enabled
    (the same one runs before every delivery); turning an endpoint off with its target unchanged
    never needs it, so an endpoint whose host stopped resolving, or now points inside, can always
    be disabled. A new signed-webhook endpoint gets a generated ``whsec_`` secret, returned once.
    Re-enabling clears the disabled reason. Raises DomainError (403 not an owner, 400 bad target,
    409 channel already set up).
    """
    _require_owner(actor=actor, recipient_id=recipient_id)
    if channel not in NotificationEndpoint.Channel.values:
        raise DomainError(
            f"Unknown channel '{channel}'.",
            rule="endpoint-channel",
            errors={"channel": ["Unknown."]},
        )
    unchanged_off = endpoint is not None and not enabled and target == endpoint.target
    if not unchanged_off:
        target = endpoint_validate_target(channel=channel, target=target)
    new_secret = None
    if endpoint is None:
        if NotificationEndpoint.objects.filter(recipient_id=recipient_id, channel=channel).exists():
            raise DomainError(
                "The team already has an endpoint for this channel; edit it instead.",
                kind="conflict",
                rule="endpoint-one-per-channel",
            )
        endpoint = NotificationEndpoint(recipient_id=recipient_id, channel=channel)
        if channel == NotificationEndpoint.Channel.WEBHOOK:
            new_secret = signing.generate_secret()
            endpoint.secret = new_secret
    elif endpoint.channel != channel or endpoint.recipient_id != recipient_id:
        raise DomainError(
            "An endpoint's team and channel cannot change.",
            kind="conflict",
            rule="endpoint-immutable",
        )
    endpoint.target = target
    if enabled and not endpoint.enabled:
        endpoint.disabled_reason = ""
        endpoint.disabled_at = None
    elif not enabled and endpoint.enabled:
        endpoint.disabled_reason = f"Disabled by {actor}."
        endpoint.disabled_at = timezone.now()
    endpoint.enabled = enabled
    endpoint.save()
    return endpoint, new_secret


@transaction.atomic
def endpoint_rotate_secret(*, actor, endpoint: NotificationEndpoint) -> str:
    """Give a signed-webhook endpoint a new ``whsec_`` secret and return it (shown once)."""
    _require_owner(actor=actor, recipient_id=endpoint.recipient_id)
    if endpoint.channel != NotificationEndpoint.Channel.WEBHOOK:
        raise DomainError(
            "Only signed webhooks have a secret.", kind="conflict", rule="endpoint-no-secret"
        )
    secret = signing.generate_secret()
    NotificationEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret)
    endpoint.secret = secret
    return secret


@transaction.atomic
def endpoint_delete(*, actor, endpoint: NotificationEndpoint) -> None:
    """Remove an endpoint; its queued notifications will be skipped."""
    _require_owner(actor=actor, recipient_id=endpoint.recipient_id)
    endpoint.delete()


@transaction.atomic
def preference_set(
    *,
    actor,
    recipient_id: int,
    delivery_mode: str | None = None,
    digest_hour: int | None = None,
    transitive_notices: bool | None = None,
) -> RecipientPreference:
    """Set how a team is notified (immediately or daily digest; transitive notices on or off)."""
    _require_owner(actor=actor, recipient_id=recipient_id)
    pref, _ = RecipientPreference.objects.select_for_update().get_or_create(
        recipient_id=recipient_id
    )
    if delivery_mode is not None:
        if delivery_mode not in DeliveryMode.values:
            raise DomainError(
                f"Unknown delivery mode '{delivery_mode}'.",
                rule="delivery-mode",
                errors={"delivery_mode": [f"Choose one of {', '.join(DeliveryMode.values)}."]},
            )
        pref.delivery_mode = delivery_mode
    if digest_hour is not None:
        if not 0 <= int(digest_hour) <= 23:
            raise DomainError(
                "The digest hour is 0 to 23 (UTC).",
                rule="digest-hour",
                errors={"digest_hour": ["The digest hour is 0 to 23 (UTC)."]},
            )
        pref.digest_hour = int(digest_hour)
    if transitive_notices is not None:
        pref.transitive_notices = bool(transitive_notices)
    pref.save()
    return pref
