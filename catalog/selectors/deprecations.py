"""Reads of the deprecation workflow: who is affected, who blocks a sunset, what gateways emit."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.http import http_date

from catalog.models import (
    ApiVersion,
    ConsumerMigration,
    Dependency,
    Deprecation,
    Membership,
    Service,
    Team,
)

LIVE = [s.value for s in Deprecation.LIVE_STATES]
OPEN_MIGRATION_STATES = [
    s.value for s in ConsumerMigration.State if s not in ConsumerMigration.DONE_STATES
]


# --- permissions ---------------------------------------------------------------------------


def _owner_team_id(api_version: ApiVersion) -> int:
    return api_version.api.provider.owner_id


def user_can_manage_deprecations(*, user, api_version: ApiVersion) -> bool:
    """Staff, or an owner of the team that owns the API's providing service."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(
        user=user, team_id=_owner_team_id(api_version), role=Membership.Role.OWNER
    ).exists()


def user_can_act_on_migration(*, user, migration: ConsumerMigration) -> bool:
    """Staff, or any member of the team owning the consumer service."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(user=user, team_id=migration.consumer.owner_id).exists()


def user_can_exempt_migration(*, user, migration: ConsumerMigration) -> bool:
    """Staff, or an owner of the team that owns the deprecated API."""
    return user_can_manage_deprecations(user=user, api_version=migration.deprecation.api_version)


# --- who is affected -----------------------------------------------------------------------


def affected_dependencies(
    *, api_version: ApiVersion, scope: str, operation_ids: list[int] | None = None
) -> QuerySet[Dependency]:
    """Direct consumers' dependencies hit by a deprecation.

    Version scope: every dependency on the version. Operation scope: dependencies that use one of
    the deprecated operations, or that declared no operations at all (they may use any).
    """
    qs = Dependency.objects.filter(api_version=api_version)
    if scope == Deprecation.Scope.OPERATIONS:
        through = Dependency.operations.through
        declared_any = through.objects.filter(dependency_id=OuterRef("pk"))
        uses_deprecated = declared_any.filter(apioperation_id__in=list(operation_ids or []))
        qs = qs.filter(Exists(uses_deprecated) | ~Exists(declared_any))
    return qs


def deprecation_affected_dependencies(*, deprecation: Deprecation) -> QuerySet[Dependency]:
    op_ids = (
        list(deprecation.operations.values_list("id", flat=True))
        if deprecation.scope == Deprecation.Scope.OPERATIONS
        else []
    )
    return affected_dependencies(
        api_version=deprecation.api_version, scope=deprecation.scope, operation_ids=op_ids
    )


@dataclass
class TransitiveConsumer:
    service_id: int | None
    service_slug: str
    team_id: int | None
    depth: int
    path: list[str] = field(default_factory=list)


def _get(item, *names, default=None):
    for name in names:
        if isinstance(item, dict) and name in item:
            return item[name]
        if not isinstance(item, dict) and hasattr(item, name):
            return getattr(item, name)
    return default


def transitive_consumers(
    *, api_version: ApiVersion, direct_slugs: set[str] | None = None
) -> list[TransitiveConsumer]:
    """Services that depend on the version only through other consumers, with the path.

    Uses ``catalog.selectors.catalog.impact_for_api_version`` (the catalog's one recursive query);
    returns an empty list while that selector is unavailable. When ``direct_slugs`` is given only
    chains passing through one of those direct consumers are kept (operation precision).
    """
    try:
        from catalog.selectors.catalog import impact_for_api_version
    except ImportError:  # pragma: no cover - the catalog's impact analysis is optional here
        return []
    impact = impact_for_api_version(api_version=api_version)
    items = _get(impact, "transitive", default=[]) or []
    out: list[TransitiveConsumer] = []
    missing_team: list[TransitiveConsumer] = []
    for item in items:
        service = _get(item, "service")
        slug = _get(item, "slug", "service_slug", default=None) or _get(service, "slug", default="")
        service_id = _get(item, "service_id", "id", default=None) or _get(service, "pk")
        team_id = _get(item, "team_id", "owner_id", default=None) or _get(service, "owner_id")
        path = [
            p if isinstance(p, str) else str(_get(p, "slug", default=p))
            for p in (_get(item, "path", default=[]) or [])
        ]
        if direct_slugs is not None and not (set(path) & direct_slugs):
            continue
        row = TransitiveConsumer(
            service_id=service_id,
            service_slug=str(slug),
            team_id=team_id,
            depth=int(_get(item, "depth", default=2) or 2),
            path=path,
        )
        out.append(row)
        if team_id is None:
            missing_team.append(row)
    if missing_team:
        by_slug = dict(
            Service.objects.filter(slug__in=[r.service_slug for r in missing_team]).values_list(
                "slug", "owner_id"
            )
        )
        for row in missing_team:
            row.team_id = by_slug.get(row.service_slug)
    return out


def impact_preview(
    *, api_version: ApiVersion, scope: str, operation_ids: list[int] | None = None
) -> dict:
    """What announcing would touch: teams with their services, direct and transitive counts.

    A fixed number of queries whatever the number of consumers.
    """
    deps = affected_dependencies(api_version=api_version, scope=scope, operation_ids=operation_ids)
    rows = list(
        deps.values_list("consumer__slug", "consumer__name", "consumer__owner_id").order_by(
            "consumer__owner_id", "consumer__slug"
        )
    )
    direct_slugs = {slug for slug, _, _ in rows}
    services_by_team: dict[int, list[dict]] = defaultdict(list)
    for slug, name, team_id in rows:
        services_by_team[team_id].append({"slug": slug, "name": name})
    transitive = transitive_consumers(
        api_version=api_version,
        direct_slugs=direct_slugs if scope == Deprecation.Scope.OPERATIONS else None,
    )
    transitive = [t for t in transitive if t.service_slug not in direct_slugs]
    transitive_by_team: dict[int, list[TransitiveConsumer]] = defaultdict(list)
    for t in transitive:
        if t.team_id is not None:
            transitive_by_team[t.team_id].append(t)
    team_ids = set(services_by_team) | set(transitive_by_team)
    teams = {t.pk: t for t in Team.objects.filter(pk__in=team_ids).only("id", "slug", "name")}
    direct_teams = [
        {
            "id": tid,
            "slug": teams[tid].slug,
            "name": teams[tid].name,
            "services": services,
            "service_count": len(services),
        }
        for tid, services in services_by_team.items()
        if tid in teams
    ]
    direct_teams.sort(key=lambda t: (-t["service_count"], t["name"]))
    transitive_teams = [
        {
            "id": tid,
            "slug": teams[tid].slug,
            "name": teams[tid].name,
            "service_count": len({t.service_slug for t in items}),
            "paths": [t.path for t in items[:3]],
        }
        for tid, items in transitive_by_team.items()
        if tid in teams and tid not in services_by_team
    ]
    transitive_teams.sort(key=lambda t: (-t["service_count"], t["name"]))
    return {
        "direct_services": len(direct_slugs),
        "direct_teams": len(direct_teams),
        "transitive_services": len({t.service_slug for t in transitive}),
        "transitive_teams": len(transitive_teams),
        "teams": direct_teams,
        "transitive": transitive_teams,
    }


# --- blockers and lists --------------------------------------------------------------------


def blocking_states(*, consent_mode: str) -> list[str]:
    """Migration states that block retirement under a policy's consent mode.

    ``all_consumers``: everything not migrated or exempted. ``notice_only``: only objections.
    """
    if consent_mode == "notice_only":
        return [ConsumerMigration.State.OBJECTED]
    return OPEN_MIGRATION_STATES


def deprecation_blockers(*, deprecation: Deprecation, consent_mode: str) -> QuerySet:
    return deprecation.migrations.filter(state__in=blocking_states(consent_mode=consent_mode))


def _with_counts(qs: QuerySet[Deprecation]) -> QuerySet[Deprecation]:
    return qs.annotate(
        consumer_count=Count("migrations", distinct=True),
        migrated_count=Count(
            "migrations",
            filter=Q(migrations__state__in=[s.value for s in ConsumerMigration.DONE_STATES]),
            distinct=True,
        ),
        objected_count=Count(
            "migrations",
            filter=Q(migrations__state=ConsumerMigration.State.OBJECTED),
            distinct=True,
        ),
    )


def deprecation_list(*, qs: QuerySet[Deprecation] | None = None) -> QuerySet[Deprecation]:
    """Deprecations with their API, version and board counts; constant queries per page."""
    qs = Deprecation.objects.all() if qs is None else qs
    return _with_counts(
        qs.select_related(
            "api_version__api__provider__owner",
            "replacement_version__api",
            "published_by",
        ).prefetch_related("operations")
    ).order_by("sunset_date", "id")


def deprecations_affecting_team(*, team: Team, live_only: bool = True) -> QuerySet[Deprecation]:
    """Deprecations with at least one consumer owned by ``team``, ordered by sunset."""
    mine = ConsumerMigration.objects.filter(deprecation=OuterRef("pk"), consumer__owner=team)
    qs = Deprecation.objects.filter(Exists(mine))
    if live_only:
        qs = qs.filter(state__in=LIVE)
    return deprecation_list(qs=qs)


def team_migrations(*, team: Team, deprecation_ids: list[int]) -> dict[int, list]:
    """The team's own migrations for the given deprecations, keyed by deprecation id."""
    out: dict[int, list] = defaultdict(list)
    for m in (
        ConsumerMigration.objects.filter(deprecation_id__in=deprecation_ids, consumer__owner=team)
        .select_related("consumer")
        .order_by("consumer__name")
    ):
        out[m.deprecation_id].append(m)
    return out


def migration_list() -> QuerySet[ConsumerMigration]:
    return ConsumerMigration.objects.select_related(
        "consumer__owner",
        "deprecation__api_version__api",
        "acknowledged_by",
    ).order_by("deprecation_id", "consumer__name", "id")


def migration_board(*, deprecation: Deprecation, per_column: int = 200) -> dict:
    """Consumers by state for the board: counts, and up to ``per_column`` cards per state."""
    counts = dict(
        deprecation.migrations.order_by()
        .values_list("state")
        .annotate(n=Count("id"))
        .values_list("state", "n")
    )
    base = deprecation.migrations.select_related("consumer__owner", "acknowledged_by").order_by(
        "consumer__name", "id"
    )
    cards: dict[str, list[ConsumerMigration]] = {
        state.value: list(base.filter(state=state)[:per_column])
        for state in ConsumerMigration.BOARD_ORDER
        if counts.get(state.value)
    }
    columns = [
        {
            "state": state.value,
            "label": state.label,
            "count": counts.get(state.value, 0),
            "cards": cards.get(state.value, []),
            "more": max(0, counts.get(state.value, 0) - len(cards.get(state.value, []))),
        }
        for state in ConsumerMigration.BOARD_ORDER
    ]
    total = sum(counts.values())
    done = sum(counts.get(s.value, 0) for s in ConsumerMigration.DONE_STATES)
    return {"columns": columns, "total": total, "done": done, "open": total - done}


def days_left(*, deprecation: Deprecation, today: dt.date | None = None) -> int:
    today = today or timezone.localdate()
    return (deprecation.sunset_date - today).days


# --- gateway headers -----------------------------------------------------------------------


def _epoch(day: dt.date) -> int:
    return calendar.timegm(day.timetuple())


def _headers_for(deps: list[Deprecation]) -> dict[str, str]:
    if not deps:
        return {}
    deprecation_day = min(d.deprecation_date or d.sunset_date for d in deps)
    earliest = min(deps, key=lambda d: (d.sunset_date, d.pk))
    headers = {
        "Deprecation": f"@{_epoch(deprecation_day)}",
        "Sunset": http_date(_epoch(earliest.sunset_date)),
    }
    guide = earliest.migration_guide_url or next(
        (
            d.migration_guide_url
            for d in sorted(deps, key=lambda d: d.sunset_date)
            if d.migration_guide_url
        ),
        "",
    )
    if guide:
        headers["Link"] = f'<{guide}>; rel="deprecation"'
    return headers


def lifecycle_headers(*, api_version: ApiVersion) -> dict:
    """The RFC 9745 ``Deprecation``, RFC 8594 ``Sunset`` and ``Link`` values for a version.

    Announced (or later) deprecations count; when several apply the earliest dates win. Dates are
    midnight UTC of the day. Operation-scoped deprecations are listed per operation, merged with
    the version-wide ones.
    """
    deps = list(
        api_version.deprecations.filter(state__in=[*LIVE, Deprecation.State.RETIRED])
        .prefetch_related("operations")
        .order_by("sunset_date", "id")
    )
    whole = [d for d in deps if d.scope == Deprecation.Scope.VERSION]
    per_op: dict[tuple[str, str], list[Deprecation]] = defaultdict(list)
    for d in deps:
        if d.scope == Deprecation.Scope.OPERATIONS:
            for op in d.operations.all():
                per_op[(op.method.upper(), op.path)].append(d)
    headers = _headers_for(whole)
    return {
        "api_version": api_version.pk,
        "deprecated": bool(whole),
        "deprecation": headers.get("Deprecation"),
        "sunset": headers.get("Sunset"),
        "link": headers.get("Link"),
        "headers": headers,
        "operations": [
            {"method": method, "path": path, "headers": _headers_for(whole + items)}
            for (method, path), items in sorted(per_op.items(), key=lambda kv: (kv[0][1], kv[0][0]))
        ],
    }
