"""Writes of the deprecation workflow: the deprecation state machine and consumer migrations.

Every transition is one function ``deprecation_<verb>`` / ``migration_<verb>``: keyword-only,
``@transaction.atomic``, the deprecation row locked with ``select_for_update``. Guards raise
``DomainError`` naming the rule (``conflict`` → 409 for a wrong state, ``refused`` → 422 for a
policy rule, ``invalid`` → 400 for bad input, ``forbidden`` → 403) and write nothing. Each
transition writes its audit row and, where consumers must hear about it, a ChangeEvent through
``portal.notifications.services.event_record`` in the same transaction (dispatched after commit).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from catalog.models import (
    ApiOperation,
    ApiVersion,
    ConsumerMigration,
    Dependency,
    Deprecation,
    DeprecationTransition,
    MigrationTransition,
)
from catalog.selectors import deprecations as sel
from portal.api.exceptions import DomainError
from portal.notifications.models import ChangeEvent
from portal.notifications.services import Recipient, event_record
from slas.selectors import EffectivePolicy, policy_effective

S = Deprecation.State
M = ConsumerMigration.State
STABILITY_RANK = ApiVersion.STABILITY_RANK


# --- helpers -------------------------------------------------------------------------------


def _today(today: dt.date | None) -> dt.date:
    return today or timezone.localdate()


def _lock(deprecation: Deprecation) -> Deprecation:
    return (
        Deprecation.objects.select_for_update(of=("self",))
        .select_related("api_version__api__provider__owner", "replacement_version")
        .get(pk=deprecation.pk)
    )


def _require_manager(*, actor, deprecation: Deprecation) -> None:
    if not sel.user_can_manage_deprecations(user=actor, api_version=deprecation.api_version):
        raise DomainError(
            "Only an owner of the team that owns this API, or staff, may do this.",
            kind="forbidden",
            rule="owner-or-staff",
        )


def _require_state(deprecation: Deprecation, allowed: Iterable[str], verb: str) -> None:
    allowed = list(allowed)
    if deprecation.state not in allowed:
        raise DomainError(
            f"Cannot {verb} a deprecation that is {deprecation.get_state_display().lower()}; "
            f"allowed from: {', '.join(allowed)}.",
            kind="conflict",
            rule="state-transition",
            extra={"state": deprecation.state},
        )


def _audit(deprecation: Deprecation, *, action: str, from_state: str, actor, note="", data=None):
    return DeprecationTransition.objects.create(
        deprecation=deprecation,
        action=action,
        from_state=from_state,
        to_state=deprecation.state,
        actor=actor if getattr(actor, "pk", None) else None,
        note=note,
        data=data or {},
    )


def _check_dates(
    *,
    deprecation_date: dt.date | None,
    sunset_date: dt.date,
    notice_days: int,
    today: dt.date,
    stability: str,
) -> None:
    if deprecation_date and deprecation_date > sunset_date:
        raise DomainError(
            "The deprecation date must be on or before the sunset date (RFC 9745 §4).",
            rule="deprecation-before-sunset",
            errors={"deprecation_date": ["Must be on or before the sunset date."]},
        )
    start = max(today, deprecation_date or today)
    if (sunset_date - start).days < notice_days:
        earliest = start + dt.timedelta(days=notice_days)
        raise DomainError(
            f"The policy requires at least {notice_days} days of notice for a {stability} "
            f"version: the sunset must be on or after {earliest.isoformat()}.",
            kind="refused",
            rule="minimum-notice",
            errors={"sunset_date": [f"Must be on or after {earliest.isoformat()}."]},
            extra={"notice_days": notice_days, "earliest_sunset": earliest.isoformat()},
        )


def _check_policy_content(deprecation: Deprecation, policy: EffectivePolicy) -> None:
    if policy.migration_guide_required and not deprecation.migration_guide_url:
        raise DomainError(
            "The versioning policy requires a migration guide URL before announcing.",
            kind="refused",
            rule="migration-guide-required",
            errors={"migration_guide_url": ["Required by the versioning policy."]},
        )
    version = deprecation.api_version
    if version.stability == ApiVersion.Stability.STABLE and policy.successor_required:
        replacement = deprecation.replacement_version
        if replacement is None and deprecation.replacement_operation_id:
            replacement = deprecation.replacement_operation.api_version
        if replacement is None:
            raise DomainError(
                "The versioning policy requires a replacement for a stable version.",
                kind="refused",
                rule="successor-required",
                errors={"replacement_version": ["Required for a stable version."]},
            )
        if STABILITY_RANK.get(replacement.stability, 0) < STABILITY_RANK[version.stability]:
            raise DomainError(
                f"The replacement {replacement} is {replacement.stability}; a stable version "
                "needs a replacement at least as stable.",
                kind="refused",
                rule="successor-less-stable",
                errors={"replacement_version": ["Must be at least as stable (stable)."]},
            )
        if replacement.status != ApiVersion.Status.ACTIVE:
            raise DomainError(
                f"The replacement {replacement} is {replacement.status}, not active.",
                kind="refused",
                rule="successor-not-active",
                errors={"replacement_version": ["Must be an active version."]},
            )


def _payload(deprecation: Deprecation) -> dict:
    v = deprecation.api_version
    return {
        "deprecation_id": deprecation.pk,
        "api": v.api.slug,
        "api_version": v.version,
        "api_version_id": v.pk,
        "scope": deprecation.scope,
        "operations": [f"{op.method.upper()} {op.path}" for op in deprecation.operations.all()]
        if deprecation.scope == Deprecation.Scope.OPERATIONS
        else [],
        "deprecation_date": deprecation.deprecation_date.isoformat()
        if deprecation.deprecation_date
        else None,
        "sunset_date": deprecation.sunset_date.isoformat(),
        "migration_guide_url": deprecation.migration_guide_url,
        "replacement_version": str(deprecation.replacement_version)
        if deprecation.replacement_version_id
        else None,
        "state": deprecation.state,
    }


def _consumer_recipients(
    migrations: Iterable[tuple[int, str, int]], *, provider_slug: str, detail: dict
) -> list[Recipient]:
    """One Recipient per team owning consumers: ``(migration_id, consumer_slug, team_id)`` rows."""
    by_team: dict[int, list[str]] = defaultdict(list)
    for _mid, slug, team_id in migrations:
        by_team[team_id].append(slug)
    return [
        Recipient(
            team_id=team_id,
            relation="direct",
            path=[slugs[0], provider_slug],
            detail={**detail, "consumers": slugs[:25], "consumer_count": len(slugs)},
        )
        for team_id, slugs in by_team.items()
    ]


def _open_migration_rows(deprecation: Deprecation, states: Iterable[str] | None = None):
    states = list(states) if states is not None else sel.OPEN_MIGRATION_STATES
    return list(
        deprecation.migrations.filter(state__in=states).values_list(
            "id", "consumer__slug", "consumer__owner_id"
        )
    )


def _mark_notified(deprecation: Deprecation, migration_ids: list[int], *, action: str) -> None:
    """Pending migrations whose notice is planned become ``notified`` (audited)."""
    pending = list(
        ConsumerMigration.objects.filter(
            pk__in=migration_ids, state=M.PENDING, deprecation=deprecation
        ).values_list("id", flat=True)
    )
    if not pending:
        return
    ConsumerMigration.objects.filter(pk__in=pending).update(
        state=M.NOTIFIED, notified_at=timezone.now(), updated_at=timezone.now()
    )
    MigrationTransition.objects.bulk_create(
        [
            MigrationTransition(
                migration_id=mid, action=action, from_state=M.PENDING, to_state=M.NOTIFIED
            )
            for mid in pending
        ],
        batch_size=2000,
    )


def _owner_recipient(deprecation: Deprecation, *, detail: dict | None = None) -> Recipient:
    v = deprecation.api_version
    return Recipient(
        team_id=v.api.provider.owner_id,
        relation="owner",
        path=[v.api.provider.slug],
        detail=detail or {},
    )


def _version_status_after_end(deprecation: Deprecation) -> None:
    """A cancelled version-wide deprecation gives the version back its ``active`` status unless
    another live version-wide deprecation still applies."""
    if deprecation.scope != Deprecation.Scope.VERSION:
        return
    others = (
        Deprecation.objects.filter(
            api_version_id=deprecation.api_version_id,
            scope=Deprecation.Scope.VERSION,
            state__in=sel.LIVE,
        )
        .exclude(pk=deprecation.pk)
        .exists()
    )
    if not others:
        ApiVersion.objects.filter(
            pk=deprecation.api_version_id, status=ApiVersion.Status.DEPRECATED
        ).update(status=ApiVersion.Status.ACTIVE, updated_at=timezone.now())


# --- drafts --------------------------------------------------------------------------------


def _validate_draft_fields(
    *,
    api_version: ApiVersion,
    scope: str,
    operations: list[ApiOperation],
    replacement_version: ApiVersion | None,
    replacement_operation: ApiOperation | None,
    deprecation_date: dt.date | None,
    sunset_date: dt.date | None,
    reason: str,
) -> None:
    errors: dict[str, list[str]] = {}
    if scope not in Deprecation.Scope.values:
        errors["scope"] = [f"Unknown scope '{scope}'."]
    if scope == Deprecation.Scope.OPERATIONS and not operations:
        errors["operations"] = ["An operation-scoped deprecation needs at least one operation."]
    if scope == Deprecation.Scope.VERSION and operations:
        errors["operations"] = ["Operations are only given for an operation-scoped deprecation."]
    if any(op.api_version_id != api_version.pk for op in operations):
        errors["operations"] = ["Operations must belong to the deprecated version."]
    if replacement_version is not None and replacement_version.pk == api_version.pk:
        errors["replacement_version"] = ["A version cannot replace itself."]
    if replacement_operation is not None and replacement_operation in operations:
        errors["replacement_operation"] = ["A deprecated operation cannot replace itself."]
    if not sunset_date:
        errors["sunset_date"] = ["A sunset date is required."]
    if not (reason or "").strip():
        errors["reason"] = ["Say why this is deprecated."]
    if deprecation_date and sunset_date and deprecation_date > sunset_date:
        errors["deprecation_date"] = ["Must be on or before the sunset date."]
    if errors:
        first = next(iter(errors.values()))[0]
        rule = "deprecation-before-sunset" if "deprecation_date" in errors else "invalid-fields"
        raise DomainError(
            first if len(errors) == 1 else "The deprecation has invalid fields.",
            rule=rule,
            errors=errors,
        )


@transaction.atomic
def deprecation_create(
    *,
    actor,
    api_version: ApiVersion,
    sunset_date: dt.date,
    reason: str,
    scope: str = Deprecation.Scope.VERSION,
    operations: Iterable[ApiOperation] = (),
    replacement_version: ApiVersion | None = None,
    replacement_operation: ApiOperation | None = None,
    migration_guide_url: str = "",
    deprecation_date: dt.date | None = None,
) -> Deprecation:
    """Create a deprecation as a draft. Nobody is told yet; policy rules are checked on announce.

    Raises DomainError: forbidden (not the API's team owner nor staff), conflict (version
    retired), invalid (fields).
    """
    if not sel.user_can_manage_deprecations(user=actor, api_version=api_version):
        raise DomainError(
            "Only an owner of the team that owns this API, or staff, may deprecate it.",
            kind="forbidden",
            rule="owner-or-staff",
        )
    if api_version.status == ApiVersion.Status.RETIRED:
        raise DomainError(
            f"{api_version} is already retired.", kind="conflict", rule="version-retired"
        )
    ops = list(operations)
    _validate_draft_fields(
        api_version=api_version,
        scope=scope,
        operations=ops,
        replacement_version=replacement_version,
        replacement_operation=replacement_operation,
        deprecation_date=deprecation_date,
        sunset_date=sunset_date,
        reason=reason,
    )
    deprecation = Deprecation.objects.create(
        api_version=api_version,
        scope=scope,
        reason=reason.strip(),
        replacement_version=replacement_version,
        replacement_operation=replacement_operation,
        migration_guide_url=migration_guide_url or "",
        deprecation_date=deprecation_date,
        sunset_date=sunset_date,
        created_by=actor,
    )
    if ops:
        deprecation.operations.set(ops)
    _audit(deprecation, action="created", from_state="", actor=actor)
    return deprecation


DRAFT_FIELDS = {
    "sunset_date",
    "deprecation_date",
    "reason",
    "scope",
    "operations",
    "replacement_version",
    "replacement_operation",
    "migration_guide_url",
}


@transaction.atomic
def deprecation_update(*, deprecation: Deprecation, actor, **changes) -> Deprecation:
    """Edit a draft. Announced deprecations change only through reschedule or cancel."""
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    _require_state(deprecation, [S.DRAFT], "edit")
    unknown = set(changes) - DRAFT_FIELDS
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))}.", rule="invalid-fields")
    ops = (
        list(changes.pop("operations"))
        if "operations" in changes
        else list(deprecation.operations.all())
    )
    for name, value in changes.items():
        setattr(deprecation, name, value)
    if deprecation.scope == Deprecation.Scope.VERSION and "scope" in changes:
        ops = [] if "operations" not in changes else ops
    _validate_draft_fields(
        api_version=deprecation.api_version,
        scope=deprecation.scope,
        operations=ops,
        replacement_version=deprecation.replacement_version,
        replacement_operation=deprecation.replacement_operation,
        deprecation_date=deprecation.deprecation_date,
        sunset_date=deprecation.sunset_date,
        reason=deprecation.reason,
    )
    deprecation.save()
    deprecation.operations.set(ops)
    _audit(
        deprecation,
        action="edited",
        from_state=S.DRAFT,
        actor=actor,
        data={"fields": sorted([*changes, *(["operations"] if ops else [])])},
    )
    return deprecation


# --- announce ------------------------------------------------------------------------------


def _open_migrations(deprecation: Deprecation, *, actor, now) -> None:
    """One ``notified`` ConsumerMigration per affected consumer, and its audit row.

    One ``INSERT … SELECT`` per table, so the time and the number of queries stay flat whatever
    the number of consumers (10,000 consumers plan in well under a second).
    """
    affected = (
        sel.deprecation_affected_dependencies(deprecation=deprecation)
        .order_by()
        .values("id", "consumer_id")
    )
    sub_sql, sub_params = affected.query.get_compiler(connection=connection).as_sql()
    qn = connection.ops.quote_name
    stamp = ConsumerMigration._meta.get_field("created_at").get_db_prep_value(now, connection)
    migrations = qn(ConsumerMigration._meta.db_table)
    transitions = qn(MigrationTransition._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {migrations} (deprecation_id, consumer_id, dependency_id, state, reason,"
            " notified_at, created_at, updated_at)"
            f" SELECT %s, sub.consumer_id, sub.id, %s, '', %s, %s, %s FROM ({sub_sql}) sub",
            [deprecation.pk, M.NOTIFIED, stamp, stamp, stamp, *sub_params],
        )
        cursor.execute(
            f"INSERT INTO {transitions} (migration_id, action, from_state, to_state, actor_id,"
            " note, at)"
            f" SELECT id, %s, '', %s, %s, '', %s FROM {migrations} WHERE deprecation_id = %s",
            ["announced", M.NOTIFIED, getattr(actor, "pk", None), stamp, deprecation.pk],
        )


@transaction.atomic
def deprecation_announce(
    *, deprecation: Deprecation, actor, today: dt.date | None = None
) -> Deprecation:
    """Publish a draft: the version becomes ``deprecated`` (version scope), one ConsumerMigration
    per affected consumer is created (``notified``), and one ChangeEvent plans a notice to every
    affected team (direct consumers' owners; transitive consumers' owners for information).

    Guards: owner-or-staff (403); state draft, version not retired, no other live version-wide
    deprecation (409); deprecation date ≤ sunset (400); minimum notice from max(today,
    deprecation date) for the version's stability, migration guide and successor as the policy
    requires (422). Constant number of queries whatever the number of consumers.
    """
    today = _today(today)
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    _require_state(deprecation, [S.DRAFT], "announce")
    version = deprecation.api_version
    if version.status == ApiVersion.Status.RETIRED:
        raise DomainError(f"{version} is retired.", kind="conflict", rule="version-retired")
    if (
        deprecation.scope == Deprecation.Scope.VERSION
        and Deprecation.objects.filter(
            api_version=version, scope=Deprecation.Scope.VERSION, state__in=sel.LIVE
        )
        .exclude(pk=deprecation.pk)
        .exists()
    ):
        raise DomainError(
            f"{version} already has an announced deprecation; reschedule or cancel it instead.",
            kind="conflict",
            rule="already-deprecated",
        )
    policy = policy_effective(api_version=version)
    deprecation_date = deprecation.deprecation_date or today
    _check_dates(
        deprecation_date=deprecation_date,
        sunset_date=deprecation.sunset_date,
        notice_days=policy.notice_days(version.stability),
        today=today,
        stability=version.stability,
    )
    _check_policy_content(deprecation, policy)

    now = timezone.now()
    deprecation.deprecation_date = deprecation_date
    deprecation.state = S.ANNOUNCED
    deprecation.published_by = actor
    deprecation.announced_at = now
    deprecation.save()
    if (
        deprecation.scope == Deprecation.Scope.VERSION
        and version.status == ApiVersion.Status.ACTIVE
    ):
        ApiVersion.objects.filter(pk=version.pk).update(
            status=ApiVersion.Status.DEPRECATED, updated_at=now
        )
        version.status = ApiVersion.Status.DEPRECATED

    deps = list(
        sel.deprecation_affected_dependencies(deprecation=deprecation)
        .order_by("consumer_id")
        .values_list("id", "consumer_id", "consumer__slug", "consumer__owner_id")
    )
    _open_migrations(deprecation, actor=actor, now=now)
    _audit(
        deprecation,
        action="announced",
        from_state=S.DRAFT,
        actor=actor,
        data={"consumers": len(deps), "policy": policy.name, "policy_source": policy.source},
    )

    provider_slug = version.api.provider.slug
    detail = {"sunset_date": deprecation.sunset_date.isoformat()}
    recipients = _consumer_recipients(
        [(None, slug, team) for _d, _c, slug, team in deps],
        provider_slug=provider_slug,
        detail=detail,
    )
    direct_teams = {r.team_id for r in recipients}
    direct_slugs = {slug for _d, _c, slug, _t in deps}
    owner_team = version.api.provider.owner_id
    seen: set[int] = set()
    for t in sel.transitive_consumers(
        api_version=version,
        direct_slugs=direct_slugs if deprecation.scope == Deprecation.Scope.OPERATIONS else None,
    ):
        if t.team_id is None or t.team_id in direct_teams or t.team_id in seen:
            continue
        if t.team_id == owner_team or t.service_slug in direct_slugs:
            continue
        seen.add(t.team_id)
        recipients.append(
            Recipient(
                team_id=t.team_id,
                relation="transitive",
                path=t.path,
                detail={**detail, "service": t.service_slug, "depth": t.depth},
            )
        )
    event_record(
        kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
        dedupe_key=f"deprecation:{deprecation.pk}:announced",
        title=f"{version} is deprecated; sunset on {deprecation.sunset_date.isoformat()}",
        body=deprecation.reason,
        url=deprecation.get_absolute_url(),
        payload=_payload(deprecation),
        recipients=recipients,
        actor=actor,
    )
    return deprecation


# --- reschedule and approval ----------------------------------------------------------------


def _apply_sunset(
    deprecation: Deprecation,
    *,
    new_sunset: dt.date,
    new_deprecation_date: dt.date | None,
    actor,
    action: str,
    from_state: str,
    today: dt.date,
    note: str,
) -> Deprecation:
    old = deprecation.sunset_date
    deprecation.sunset_date = new_sunset
    if new_deprecation_date:
        deprecation.deprecation_date = new_deprecation_date
    deprecation.proposed_sunset_date = None
    if deprecation.state == S.PENDING_APPROVAL:
        deprecation.state = S.ANNOUNCED  # the daily clock decides on blockers
    elif deprecation.state == S.SUNSET_BLOCKED and new_sunset > today:
        deprecation.state = S.ANNOUNCED
    deprecation.save()
    transition = _audit(
        deprecation,
        action=action,
        from_state=from_state,
        actor=actor,
        note=note,
        data={"from_sunset": old.isoformat(), "to_sunset": new_sunset.isoformat()},
    )
    rows = _open_migration_rows(deprecation)
    direction = "later" if new_sunset > old else "earlier"
    recipients = _consumer_recipients(
        [(mid, slug, team) for mid, slug, team in rows],
        provider_slug=deprecation.api_version.api.provider.slug,
        detail={
            "sunset_date": new_sunset.isoformat(),
            "previous_sunset_date": old.isoformat(),
            "direction": direction,
        },
    )
    event_record(
        kind=ChangeEvent.Kind.DEPRECATION_RESCHEDULED,
        dedupe_key=f"deprecation:{deprecation.pk}:rescheduled:{new_sunset.isoformat()}:{transition.pk}",
        title=(
            f"Sunset of {deprecation.api_version} moved {direction}: "
            f"{old.isoformat()} → {new_sunset.isoformat()}"
        ),
        body=note,
        url=deprecation.get_absolute_url(),
        payload={**_payload(deprecation), "previous_sunset_date": old.isoformat()},
        recipients=recipients,
        actor=actor,
    )
    _mark_notified(deprecation, [mid for mid, _s, _t in rows], action="rescheduled")
    return deprecation


@transaction.atomic
def deprecation_reschedule(
    *,
    deprecation: Deprecation,
    actor,
    sunset_date: dt.date,
    deprecation_date: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> Deprecation:
    """Move the sunset. Later: always allowed, notifies every consumer not yet migrated. Earlier:
    still needs the policy's minimum notice from today; staff apply it at once, an owner's request
    waits in ``pending_approval`` for staff approval (nobody is notified until approved).

    Guards: owner-or-staff (403); announced or sunset_blocked (409); date order, unchanged date
    (400); minimum notice for an earlier date (422).
    """
    today = _today(today)
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    _require_state(deprecation, [S.ANNOUNCED, S.SUNSET_BLOCKED], "reschedule")
    if not sunset_date or sunset_date == deprecation.sunset_date:
        raise DomainError(
            "The new sunset date is the same as the current one.",
            rule="sunset-unchanged",
            errors={"sunset_date": ["Pick a different date."]},
        )
    effective_deprecation_date = deprecation_date or deprecation.deprecation_date
    if effective_deprecation_date and effective_deprecation_date > sunset_date:
        raise DomainError(
            "The deprecation date must be on or before the sunset date (RFC 9745 §4).",
            rule="deprecation-before-sunset",
            errors={"deprecation_date": ["Must be on or before the sunset date."]},
        )
    from_state = deprecation.state
    if sunset_date > deprecation.sunset_date:
        return _apply_sunset(
            deprecation,
            new_sunset=sunset_date,
            new_deprecation_date=deprecation_date,
            actor=actor,
            action="rescheduled",
            from_state=from_state,
            today=today,
            note=note,
        )
    version = deprecation.api_version
    policy = policy_effective(api_version=version)
    _check_dates(
        deprecation_date=None,
        sunset_date=sunset_date,
        notice_days=policy.notice_days(version.stability),
        today=today,
        stability=version.stability,
    )
    if actor.is_staff:
        return _apply_sunset(
            deprecation,
            new_sunset=sunset_date,
            new_deprecation_date=deprecation_date,
            actor=actor,
            action="rescheduled",
            from_state=from_state,
            today=today,
            note=note,
        )
    deprecation.state = S.PENDING_APPROVAL
    deprecation.proposed_sunset_date = sunset_date
    deprecation.save()
    _audit(
        deprecation,
        action="earlier_sunset_requested",
        from_state=from_state,
        actor=actor,
        note=note,
        data={
            "from_sunset": deprecation.sunset_date.isoformat(),
            "to_sunset": sunset_date.isoformat(),
        },
    )
    return deprecation


@transaction.atomic
def deprecation_approve(
    *, deprecation: Deprecation, actor, note: str = "", today: dt.date | None = None
) -> Deprecation:
    """Staff approve an owner's earlier sunset; the minimum notice is checked again from today."""
    today = _today(today)
    deprecation = _lock(deprecation)
    if not (actor and actor.is_authenticated and actor.is_staff):
        raise DomainError(
            "Moving a sunset earlier needs a staff admin's approval.",
            kind="forbidden",
            rule="staff-approval-required",
        )
    _require_state(deprecation, [S.PENDING_APPROVAL], "approve")
    version = deprecation.api_version
    policy = policy_effective(api_version=version)
    _check_dates(
        deprecation_date=None,
        sunset_date=deprecation.proposed_sunset_date,
        notice_days=policy.notice_days(version.stability),
        today=today,
        stability=version.stability,
    )
    return _apply_sunset(
        deprecation,
        new_sunset=deprecation.proposed_sunset_date,
        new_deprecation_date=None,
        actor=actor,
        action="earlier_sunset_approved",
        from_state=S.PENDING_APPROVAL,
        today=today,
        note=note,
    )


@transaction.atomic
def deprecation_reject(*, deprecation: Deprecation, actor, note: str = "") -> Deprecation:
    """Drop a pending earlier sunset (staff, or the owner withdrawing it); nothing changes for
    consumers and the deprecation returns to the state it was in."""
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    _require_state(deprecation, [S.PENDING_APPROVAL], "reject")
    request = (
        deprecation.transitions.filter(to_state=S.PENDING_APPROVAL).order_by("-at", "-id").first()
    )
    previous = request.from_state if request else S.ANNOUNCED
    deprecation.state = previous if previous in (S.ANNOUNCED, S.SUNSET_BLOCKED) else S.ANNOUNCED
    proposed = deprecation.proposed_sunset_date
    deprecation.proposed_sunset_date = None
    deprecation.save()
    _audit(
        deprecation,
        action="earlier_sunset_rejected",
        from_state=S.PENDING_APPROVAL,
        actor=actor,
        note=note,
        data={"proposed_sunset": proposed.isoformat() if proposed else None},
    )
    return deprecation


# --- cancel and retire ---------------------------------------------------------------------


@transaction.atomic
def deprecation_cancel(*, deprecation: Deprecation, actor, note: str = "") -> Deprecation:
    """Cancel from any non-terminal state. A live deprecation's consumers are told it is off and
    the version becomes ``active`` again (unless another version-wide deprecation is live)."""
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    _require_state(
        deprecation, [S.DRAFT, S.ANNOUNCED, S.PENDING_APPROVAL, S.SUNSET_BLOCKED], "cancel"
    )
    from_state = deprecation.state
    deprecation.state = S.CANCELLED
    deprecation.cancelled_at = timezone.now()
    deprecation.proposed_sunset_date = None
    deprecation.save()
    _audit(deprecation, action="cancelled", from_state=from_state, actor=actor, note=note)
    if from_state == S.DRAFT:
        return deprecation
    _version_status_after_end(deprecation)
    rows = list(deprecation.migrations.values_list("id", "consumer__slug", "consumer__owner_id"))
    event_record(
        kind=ChangeEvent.Kind.DEPRECATION_CANCELLED,
        dedupe_key=f"deprecation:{deprecation.pk}:cancelled",
        title=f"Deprecation of {deprecation.api_version} cancelled",
        body=note,
        url=deprecation.get_absolute_url(),
        payload=_payload(deprecation),
        recipients=_consumer_recipients(
            rows,
            provider_slug=deprecation.api_version.api.provider.slug,
            detail={"cancelled": True},
        ),
        actor=actor,
    )
    return deprecation


@transaction.atomic
def deprecation_retire(
    *,
    deprecation: Deprecation,
    actor,
    override_reason: str = "",
    today: dt.date | None = None,
) -> Deprecation:
    """Retire: the sunset date is reached and nothing blocks (every consumer migrated or
    exempted under ``all_consumers``; no open objection under ``notice_only``). Staff may retire
    over blockers by recording an ``override_reason`` (audited). The version becomes ``retired``
    (version scope) and remaining consumers are told.

    Guards: owner-or-staff, override by staff only (403); announced or sunset_blocked (409);
    sunset not reached, open blockers (422).
    """
    today = _today(today)
    deprecation = _lock(deprecation)
    _require_manager(actor=actor, deprecation=deprecation)
    override_reason = (override_reason or "").strip()
    if override_reason and not actor.is_staff:
        raise DomainError(
            "Only staff may retire over open blockers.",
            kind="forbidden",
            rule="override-staff-only",
        )
    _require_state(deprecation, [S.ANNOUNCED, S.SUNSET_BLOCKED], "retire")
    if today < deprecation.sunset_date:
        raise DomainError(
            f"The sunset date {deprecation.sunset_date.isoformat()} has not been reached.",
            kind="refused",
            rule="sunset-not-reached",
            extra={"sunset_date": deprecation.sunset_date.isoformat()},
        )
    policy = policy_effective(api_version=deprecation.api_version)
    blockers = list(
        sel.deprecation_blockers(deprecation=deprecation, consent_mode=policy.consent_mode)
        .order_by("consumer__slug")
        .values_list("consumer__slug", flat=True)
    )
    if blockers and not override_reason:
        shown = ", ".join(blockers[:10]) + (" …" if len(blockers) > 10 else "")
        raise DomainError(
            f"{len(blockers)} consumer(s) have not migrated or been exempted: {shown}.",
            kind="refused",
            rule="open-blockers",
            extra={"blockers": blockers[:100], "blocker_count": len(blockers)},
        )
    from_state = deprecation.state
    now = timezone.now()
    deprecation.state = S.RETIRED
    deprecation.retired_at = now
    if blockers:
        deprecation.override_reason = override_reason
    deprecation.save()
    _audit(
        deprecation,
        action="retired_with_override" if blockers else "retired",
        from_state=from_state,
        actor=actor,
        note=override_reason if blockers else "",
        data={"blockers": len(blockers), "override": bool(blockers)},
    )
    if deprecation.scope == Deprecation.Scope.VERSION:
        ApiVersion.objects.filter(pk=deprecation.api_version_id).update(
            status=ApiVersion.Status.RETIRED, updated_at=now
        )
    rows = _open_migration_rows(deprecation)
    event_record(
        kind=ChangeEvent.Kind.VERSION_RETIRED,
        dedupe_key=f"deprecation:{deprecation.pk}:retired",
        title=f"{deprecation.api_version} is retired",
        body=override_reason if blockers else "",
        url=deprecation.get_absolute_url(),
        payload={**_payload(deprecation), "override": bool(blockers)},
        recipients=[
            _owner_recipient(deprecation),
            *_consumer_recipients(
                rows,
                provider_slug=deprecation.api_version.api.provider.slug,
                detail={"retired": True},
            ),
        ],
        actor=actor,
    )
    return deprecation


# --- the daily clock -----------------------------------------------------------------------


def _reminder_offset_due(
    deprecation: Deprecation, offsets: list[int], today: dt.date
) -> int | None:
    """The most recent reminder offset that is due, skipping offsets the announcement covered."""
    left = (deprecation.sunset_date - today).days
    if left <= 0:
        return None
    announced_on = (
        timezone.localdate(deprecation.announced_at) if deprecation.announced_at else today
    )
    notice = (deprecation.sunset_date - announced_on).days
    due = [o for o in offsets if left <= o < notice]
    return min(due) if due else None


@transaction.atomic
def deprecation_daily_one(*, deprecation: Deprecation, today: dt.date | None = None) -> str:
    """Run the daily clock for one live deprecation. Idempotent (dedupe keys): returns what it did
    (``reminder``, ``blocked``, ``ready``, ``unblocked`` or ``nothing``)."""
    today = _today(today)
    deprecation = _lock(deprecation)
    if deprecation.state not in sel.LIVE:
        return "nothing"
    policy = policy_effective(api_version=deprecation.api_version)
    provider_slug = deprecation.api_version.api.provider.slug
    sunset = deprecation.sunset_date.isoformat()
    if deprecation.state in (S.ANNOUNCED, S.PENDING_APPROVAL):
        offset = _reminder_offset_due(deprecation, policy.reminder_offsets, today)
        if offset is not None:
            key = f"deprecation:{deprecation.pk}:reminder:{sunset}:{offset}"
            if ChangeEvent.objects.filter(dedupe_key=key).exists():
                return "nothing"
            rows = _open_migration_rows(deprecation)
            left = (deprecation.sunset_date - today).days
            event_record(
                kind=ChangeEvent.Kind.SUNSET_REMINDER,
                dedupe_key=key,
                title=f"{deprecation.api_version} sunsets in {left} day(s), on {sunset}",
                url=deprecation.get_absolute_url(),
                payload={**_payload(deprecation), "days_left": left, "offset": offset},
                recipients=_consumer_recipients(
                    rows,
                    provider_slug=provider_slug,
                    detail={"sunset_date": sunset, "days_left": left},
                ),
            )
            _mark_notified(deprecation, [mid for mid, _s, _t in rows], action="reminded")
            return "reminder"
    if deprecation.state not in (S.ANNOUNCED, S.SUNSET_BLOCKED) or today < deprecation.sunset_date:
        return "nothing"
    blockers = list(
        sel.deprecation_blockers(deprecation=deprecation, consent_mode=policy.consent_mode)
        .order_by("consumer__slug")
        .values_list("id", "consumer__slug", "consumer__owner_id")
    )
    if blockers:
        if deprecation.state == S.SUNSET_BLOCKED:
            return "nothing"
        deprecation.state = S.SUNSET_BLOCKED
        deprecation.save()
        _audit(
            deprecation,
            action="sunset_blocked",
            from_state=S.ANNOUNCED,
            actor=None,
            data={"blockers": len(blockers)},
        )
        detail = {"sunset_date": sunset, "blockers": len(blockers)}
        event_record(
            kind=ChangeEvent.Kind.SUNSET_BLOCKED,
            dedupe_key=f"deprecation:{deprecation.pk}:sunset_blocked:{sunset}",
            title=(
                f"Sunset of {deprecation.api_version} reached with {len(blockers)} consumer(s) "
                "not migrated"
            ),
            url=deprecation.get_absolute_url(),
            payload={
                **_payload(deprecation),
                "blockers": [slug for _m, slug, _t in blockers[:100]],
            },
            recipients=[
                _owner_recipient(
                    deprecation,
                    detail={**detail, "consumers": [s for _m, s, _t in blockers[:25]]},
                ),
                *_consumer_recipients(blockers, provider_slug=provider_slug, detail=detail),
            ],
        )
        _mark_notified(deprecation, [mid for mid, _s, _t in blockers], action="escalated")
        return "blocked"
    from_state = deprecation.state
    if from_state == S.SUNSET_BLOCKED:
        deprecation.state = S.ANNOUNCED
        deprecation.save()
        _audit(deprecation, action="sunset_unblocked", from_state=from_state, actor=None)
    key = f"deprecation:{deprecation.pk}:sunset_ready:{sunset}"
    if ChangeEvent.objects.filter(dedupe_key=key).exists():
        return "unblocked" if from_state == S.SUNSET_BLOCKED else "nothing"
    event_record(
        kind=ChangeEvent.Kind.SUNSET_READY,
        dedupe_key=key,
        title=f"{deprecation.api_version} has reached its sunset and can be retired",
        url=deprecation.get_absolute_url(),
        payload=_payload(deprecation),
        recipients=[_owner_recipient(deprecation, detail={"sunset_date": sunset})],
    )
    return "unblocked" if from_state == S.SUNSET_BLOCKED else "ready"


def deprecations_daily(*, today: dt.date | None = None) -> dict[str, int]:
    """The daily clock over every live deprecation (one transaction each). Idempotent."""
    today = _today(today)
    summary: dict[str, int] = defaultdict(int)
    ids = list(
        Deprecation.objects.filter(state__in=sel.LIVE).order_by("pk").values_list("pk", flat=True)
    )
    for pk in ids:
        summary[deprecation_daily_one(deprecation=Deprecation(pk=pk), today=today)] += 1
    summary["deprecations"] = len(ids)
    return dict(summary)


# --- consumer migrations -------------------------------------------------------------------

MIGRATION_GRAPH: dict[str, tuple[set[str], str]] = {
    # verb: (allowed from-states, to-state)
    "acknowledge": ({M.PENDING, M.NOTIFIED, M.OBJECTED}, M.ACKNOWLEDGED),
    "start": ({M.PENDING, M.NOTIFIED, M.ACKNOWLEDGED, M.OBJECTED}, M.MIGRATING),
    "complete": ({M.PENDING, M.NOTIFIED, M.ACKNOWLEDGED, M.MIGRATING, M.OBJECTED}, M.MIGRATED),
    "exempt": (
        {M.PENDING, M.NOTIFIED, M.ACKNOWLEDGED, M.MIGRATING, M.OBJECTED},
        M.EXEMPTED,
    ),
    "object": ({M.PENDING, M.NOTIFIED, M.ACKNOWLEDGED, M.MIGRATING}, M.OBJECTED),
}


def _lock_migration(migration: ConsumerMigration) -> ConsumerMigration:
    # Lock order: the deprecation first, then the migration (the same order as retire).
    deprecation_id = (
        ConsumerMigration.objects.filter(pk=migration.pk).values_list("deprecation_id", flat=True)
    ).first()
    if deprecation_id is None:
        raise ConsumerMigration.DoesNotExist
    list(Deprecation.objects.select_for_update().filter(pk=deprecation_id).values_list("pk"))
    return (
        ConsumerMigration.objects.select_for_update(of=("self",))
        .select_related("consumer", "deprecation__api_version__api__provider")
        .get(pk=migration.pk)
    )


def _migration_transition(
    migration: ConsumerMigration, *, verb: str, actor, reason: str = ""
) -> ConsumerMigration:
    allowed, to_state = MIGRATION_GRAPH[verb]
    if migration.deprecation.state not in sel.LIVE:
        raise DomainError(
            f"The deprecation is {migration.deprecation.get_state_display().lower()}; "
            "its migrations are closed.",
            kind="conflict",
            rule="deprecation-not-live",
        )
    if migration.state not in allowed:
        raise DomainError(
            f"Cannot {verb} a migration that is {migration.state}; allowed from: "
            f"{', '.join(sorted(allowed))}.",
            kind="conflict",
            rule="migration-transition",
            extra={"state": migration.state},
        )
    from_state = migration.state
    now = timezone.now()
    migration.state = to_state
    if to_state in (M.EXEMPTED, M.OBJECTED):
        migration.reason = reason
    elif from_state == M.OBJECTED:
        migration.reason = ""
    if to_state in (M.ACKNOWLEDGED, M.MIGRATING, M.MIGRATED) and not migration.acknowledged_at:
        migration.acknowledged_by = actor if getattr(actor, "pk", None) else None
        migration.acknowledged_at = now
    if to_state == M.MIGRATED:
        migration.migrated_at = now
    migration.save()
    MigrationTransition.objects.create(
        migration=migration,
        action=verb,
        from_state=from_state,
        to_state=to_state,
        actor=actor if getattr(actor, "pk", None) else None,
        note=reason,
    )
    return migration


def _require_consumer_member(*, actor, migration: ConsumerMigration) -> None:
    if not sel.user_can_act_on_migration(user=actor, migration=migration):
        raise DomainError(
            "Only members of the team that owns the consumer service, or staff, may do this.",
            kind="forbidden",
            rule="consumer-team-only",
        )


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "A reason is required.", rule="reason-required", errors={"reason": ["Required."]}
        )
    return reason


@transaction.atomic
def migration_acknowledge(*, migration: ConsumerMigration, actor) -> ConsumerMigration:
    """The consumer's team has read the notice (records who and when)."""
    migration = _lock_migration(migration)
    _require_consumer_member(actor=actor, migration=migration)
    return _migration_transition(migration, verb="acknowledge", actor=actor)


@transaction.atomic
def migration_start(*, migration: ConsumerMigration, actor) -> ConsumerMigration:
    """The consumer's team is migrating."""
    migration = _lock_migration(migration)
    _require_consumer_member(actor=actor, migration=migration)
    return _migration_transition(migration, verb="start", actor=actor)


@transaction.atomic
def migration_complete(*, migration: ConsumerMigration, actor) -> ConsumerMigration:
    """The consumer no longer uses the deprecated version or operations."""
    migration = _lock_migration(migration)
    _require_consumer_member(actor=actor, migration=migration)
    return _migration_transition(migration, verb="complete", actor=actor)


@transaction.atomic
def migration_exempt(*, migration: ConsumerMigration, actor, reason: str) -> ConsumerMigration:
    """Staff or the API's owner release a consumer from migrating (with a reason)."""
    migration = _lock_migration(migration)
    if not sel.user_can_exempt_migration(user=actor, migration=migration):
        raise DomainError(
            "Only staff or an owner of the deprecated API's team may exempt a consumer.",
            kind="forbidden",
            rule="exempt-staff-or-owner",
        )
    reason = _require_reason(reason)
    return _migration_transition(migration, verb="exempt", actor=actor, reason=reason)


@transaction.atomic
def migration_object(*, migration: ConsumerMigration, actor, reason: str) -> ConsumerMigration:
    """The consumer objects (with a reason). The API's owner is notified; the objection blocks
    retirement until resolved (the consumer moves on, or is exempted)."""
    migration = _lock_migration(migration)
    _require_consumer_member(actor=actor, migration=migration)
    reason = _require_reason(reason)
    migration = _migration_transition(migration, verb="object", actor=actor, reason=reason)
    deprecation = migration.deprecation
    transition_id = migration.transitions.order_by("-id").values_list("id", flat=True).first()
    event_record(
        kind=ChangeEvent.Kind.MIGRATION_OBJECTED,
        dedupe_key=f"migration:{migration.pk}:objected:{transition_id}",
        title=f"{migration.consumer} objects to the deprecation of {deprecation.api_version}",
        body=reason,
        url=deprecation.get_absolute_url(),
        payload={**_payload(deprecation), "consumer": migration.consumer.slug, "reason": reason},
        recipients=[
            _owner_recipient(
                deprecation,
                detail={"consumer": migration.consumer.slug, "reason": reason[:500]},
            )
        ],
        actor=actor,
    )
    return migration


@transaction.atomic
def migrations_sync_for_dependency(*, dependency: Dependency, actor=None) -> int:
    """A consumer that now uses a deprecation's replacement version is migrated, automatically.

    Called by the catalog's dependency services after a dependency is created or switched.
    Returns the number of migrations marked ``migrated`` (audited as ``auto_migrated``).
    """
    version_id = dependency.api_version_id
    candidates = list(
        ConsumerMigration.objects.select_for_update(of=("self",))
        .filter(
            consumer_id=dependency.consumer_id,
            state__in=sel.OPEN_MIGRATION_STATES,
            deprecation__state__in=sel.LIVE,
        )
        .filter(
            Q(deprecation__replacement_version_id=version_id)
            | Q(deprecation__replacement_operation__api_version_id=version_id)
        )
        .order_by("pk")
    )
    now = timezone.now()
    for migration in candidates:
        from_state = migration.state
        migration.state = M.MIGRATED
        migration.migrated_at = now
        if from_state == M.OBJECTED:
            migration.reason = ""
        migration.save()
        MigrationTransition.objects.create(
            migration=migration,
            action="auto_migrated",
            from_state=from_state,
            to_state=M.MIGRATED,
            actor=actor if getattr(actor, "pk", None) else None,
            note=f"Now consumes {dependency.api_version_id and dependency.api_version}",
        )
    return len(candidates)
