"""Reads of the platform-health dashboard: metrics as aggregate SQL over the catalog, SLA and
deprecation data (never copies of it), feedback and the roadmap.

Every metric function takes ``filters`` (a :class:`HealthFilters`) and returns plain data:
numbers are ``None`` when there is no data (shown as "no data", never as zero). Each function
runs a fixed number of queries whatever the size of the catalog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connections
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from catalog.models import Api, ApiVersion, Dependency, Service, Team
from portal.health import stats
from portal.health.models import Feedback, FeedbackRevision, RoadmapItem

TOP = 10


@dataclass(frozen=True)
class HealthFilters:
    """The filters shared by the pages and the API: provider team, API, layer, months shown."""

    team: Team | None = None
    api: Api | None = None
    layer: str = ""
    months: int = 12
    today: dt.date = field(default_factory=lambda: timezone.localdate())
    # Results computed once for these filters and shared by the selectors that read them
    # (velocity and adoption come from one pass over the dependencies). A HealthFilters lives
    # for one request, so this never outlives the data it was computed from.
    _computed: dict = field(default_factory=dict, compare=False, repr=False)

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (for links to the rows behind a number)."""
        query: dict[str, str] = {}
        if self.team is not None:
            query["team"] = self.team.slug
        if self.api is not None:
            query["api"] = self.api.slug
        if self.layer:
            query["layer"] = self.layer
        if self.months != 12:
            query["months"] = str(self.months)
        return query

    @property
    def month_keys(self) -> list[str]:
        return stats.months_back(self.today, self.months)

    @property
    def since(self) -> dt.date:
        return stats.month_start(self.month_keys[0])


# --- helpers ------------------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's ``percentile_cont(q) WITHIN GROUP (ORDER BY expr)``."""

    function = "percentile_cont"
    name = "PercentileCont"
    template = "%(function)s(%(percentile)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression, percentile: float, **extra):
        super().__init__(expression, percentile=f"{float(percentile):.4f}", **extra)


def _is_postgres(qs: QuerySet) -> bool:
    return connections[qs.db].vendor == "postgresql"


def _days(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        return value.total_seconds() / 86400
    return float(value)


DAYS_PG = Func(
    F("live_at"), F("requested_at"), template="(%(expressions)s)", arg_joiner=" - ",
    output_field=FloatField(),
)  # fmt: skip
DURATION = ExpressionWrapper(F("live_at") - F("requested_at"), output_field=DurationField())


def _duration_stats(
    qs: QuerySet,
    *,
    group: str | None,
    order: str = "",
    limit: int | None = None,
    duration=None,
    present: Q | None = None,
) -> list[dict]:
    """``count``, ``median`` and ``p75`` of a duration in days (by default the integration
    duration, ``requested_at`` → ``live_at``), per ``group``.

    One query. PostgreSQL computes the percentiles (``percentile_cont``); other databases get
    the one column of durations and the same interpolation in Python (:mod:`stats`).
    ``order`` is ``"-median"`` (slowest first), ``"key"`` or ``""``.
    """
    postgres = _is_postgres(qs)
    if duration is None:
        # On PostgreSQL date - date is an integer of days: cheaper to sort than an interval.
        duration = DAYS_PG if postgres else DURATION
        present = Q(requested_at__isnull=False, live_at__isnull=False)
    qs = qs.filter(present).annotate(duration=duration)
    if postgres:
        rows_qs = qs.values(group) if group else qs
        aggregates = {
            "count": Count("id"),
            "median": PercentileCont("duration", 0.5),
            "p75": PercentileCont("duration", 0.75),
        }
        if not group:
            row = qs.aggregate(**aggregates)
            return [
                {
                    "key": None,
                    "count": row["count"],
                    "median": _days(row["median"]),
                    "p75": _days(row["p75"]),
                }
            ]
        rows_qs = rows_qs.annotate(**aggregates)
        if order == "-median":
            rows_qs = rows_qs.order_by("-median", group)
        elif order == "key":
            rows_qs = rows_qs.order_by(group)
        else:
            rows_qs = rows_qs.order_by()
        if limit is not None:
            rows_qs = rows_qs[:limit]
        return [
            {
                "key": r[group],
                "count": r["count"],
                "median": _days(r["median"]),
                "p75": _days(r["p75"]),
            }
            for r in rows_qs
        ]
    by_key: dict[Any, list[float]] = {}
    if group:
        for key, duration in qs.values_list(group, "duration").order_by():
            by_key.setdefault(key, []).append(_days(duration))
    else:
        by_key[None] = [_days(d) for d in qs.values_list("duration", flat=True).order_by()]
    rows = [
        {
            "key": key,
            "count": len(values),
            "median": stats.median(values),
            "p75": stats.percentile(values, 0.75),
        }
        for key, values in by_key.items()
    ]
    if not group:
        return rows
    if order == "-median":
        rows.sort(key=lambda r: (-(r["median"] or 0), str(r["key"])))
    elif order == "key":
        rows.sort(key=lambda r: r["key"])
    return rows[:limit] if limit is not None else rows


def dependencies(filters: HealthFilters) -> QuerySet[Dependency]:
    """Dependencies in scope of the filters (the provider side: team, API, layer)."""
    qs = Dependency.objects.all()
    if filters.team is not None:
        qs = qs.filter(provider__owner=filters.team)
    if filters.api is not None:
        qs = qs.filter(api_version__api=filters.api)
    if filters.layer:
        qs = qs.filter(provider__layer=filters.layer)
    return qs


ACTIVE = ~Q(api_version__status=ApiVersion.Status.RETIRED) & (
    Q(live_at__isnull=False) | Q(requested_at__isnull=True)
)
PENDING = Q(requested_at__isnull=False, live_at__isnull=True)


def _names(model, ids) -> dict[int, Any]:
    ids = [i for i in ids if i is not None]
    return {o.pk: o for o in model.objects.filter(pk__in=ids)} if ids else {}


# --- integration velocity -----------------------------------------------------------------------


def integration_velocity(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Days from ``requested_at`` to ``live_at``: overall, by month went live, per API (slowest
    first) and per provider team; plus the integrations requested but not live yet.

    On PostgreSQL one statement computes this together with :func:`adoption`
    (:func:`dependency_metrics`); other databases run one query per figure."""
    if connections[Dependency.objects.db].vendor == "postgresql":
        return dependency_metrics(filters=filters, limit=limit)["velocity"]
    return _integration_velocity_orm(filters=filters, limit=limit)


def _integration_velocity_orm(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    qs = dependencies(filters)
    overall = _duration_stats(qs, group=None)[0]
    monthly = {
        stats.month_key(r["key"]): r
        for r in _duration_stats(
            qs.filter(live_at__gte=filters.since).annotate(month=TruncMonth("live_at")),
            group="month",
        )
        if r["key"] is not None
    }
    by_month = [
        {"month": key, **{k: monthly.get(key, {}).get(k) for k in ("count", "median", "p75")}}
        for key in filters.month_keys
    ]
    per_api = _duration_stats(qs, group="api_version__api", order="-median", limit=limit)
    apis = _names(Api, [r["key"] for r in per_api])
    per_team = _duration_stats(qs, group="provider__owner", order="-median", limit=limit)
    teams = _names(Team, [r["key"] for r in per_team])
    pending = qs.filter(PENDING).aggregate(count=Count("id"), oldest=Min("requested_at"))
    return {
        "count": overall["count"],
        "median_days": overall["median"],
        "p75_days": overall["p75"],
        "by_month": by_month,
        "per_api": [{"api": apis.get(r["key"]), **r} for r in per_api if r["key"] in apis],
        "per_team": [{"team": teams.get(r["key"]), **r} for r in per_team if r["key"] in teams],
        "pending_count": pending["count"],
        "pending_oldest": pending["oldest"],
        "pending_oldest_days": (filters.today - pending["oldest"]).days
        if pending["oldest"]
        else None,
    }


# --- ecosystem adoption -------------------------------------------------------------------------


def _newest_major() -> Subquery:
    """The newest supported (not retired, not draft) major of the dependency's API."""
    return Subquery(
        ApiVersion.objects.filter(api=OuterRef("api_version__api"))
        .exclude(status=ApiVersion.Status.RETIRED)
        .exclude(stability=ApiVersion.Stability.DRAFT)
        .order_by("-major")
        .values("major")[:1]
    )


def adoption(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Active consumers per API and per provider team, new consumers per month, the share of
    consumers on each API's newest supported major, and the teams depending on each layer.

    On PostgreSQL one statement computes this together with :func:`integration_velocity`
    (:func:`dependency_metrics`), plus one query for the new consumers per month."""
    if connections[Dependency.objects.db].vendor == "postgresql":
        result = dict(dependency_metrics(filters=filters, limit=limit)["adoption"])
        new_by_month = _new_consumers_by_month(filters)
        result["new_by_month"] = [
            {"month": k, "count": new_by_month.get(k, 0)} for k in filters.month_keys
        ]
        result["new_total"] = sum(new_by_month.values())
        return result
    return _adoption_orm(filters=filters, limit=limit)


def _new_consumers_by_month(filters: HealthFilters) -> dict[str, int]:
    """(consumer, API) pairs counted in the month their first dependency on that API went live."""
    earlier = Dependency.objects.filter(
        consumer=OuterRef("consumer"),
        api_version__api=OuterRef("api_version__api"),
        live_at__lt=OuterRef("live_at"),
    )
    new_rows = (
        dependencies(filters)
        .filter(live_at__gte=filters.since)
        .exclude(Exists(earlier))
        .annotate(month=TruncMonth("live_at"))
        .values("month")
        .annotate(n=Count("consumer", distinct=True))
        .order_by("month")
    )
    return {stats.month_key(r["month"]): r["n"] for r in new_rows}


def _adoption_orm(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    active = dependencies(filters).filter(ACTIVE)
    with_newest = active.annotate(newest=_newest_major())
    on_newest = Q(api_version__major=F("newest"))
    totals = with_newest.aggregate(
        edges=Count("id"),
        newest_edges=Count("id", filter=on_newest),
        consumers=Count("consumer", distinct=True),
        apis=Count("api_version__api", distinct=True),
    )
    per_api_qs = (
        with_newest.values("api_version__api")
        .annotate(
            consumers=Count("consumer", distinct=True),
            on_newest=Count("consumer", distinct=True, filter=on_newest),
            teams=Count("consumer__owner", distinct=True),
        )
        .order_by("-consumers", "api_version__api")
    )
    per_api = list(per_api_qs[:limit] if limit is not None else per_api_qs)
    apis = _names(Api, [r["api_version__api"] for r in per_api])
    per_team_qs = (
        active.values("provider__owner")
        .annotate(
            consumers=Count("consumer", distinct=True),
            consumer_teams=Count("consumer__owner", distinct=True),
            apis=Count("api_version__api", distinct=True),
        )
        .order_by("-consumers", "provider__owner")
    )
    per_team = list(per_team_qs[:limit] if limit is not None else per_team_qs)
    teams = _names(Team, [r["provider__owner"] for r in per_team])
    new_by_month = _new_consumers_by_month(filters)
    layers = {
        r["provider__layer"]: r
        for r in active.values("provider__layer")
        .annotate(
            teams=Count("consumer__owner", distinct=True),
            consumers=Count("consumer", distinct=True),
        )
        .order_by()
    }
    return {
        "active_consumers": totals["consumers"] if totals["edges"] else None,
        "apis_consumed": totals["apis"] if totals["edges"] else None,
        "edges": totals["edges"],
        "newest_share": stats.share(totals["newest_edges"], totals["edges"]),
        "per_api": [
            {
                "api": apis[r["api_version__api"]],
                "consumers": r["consumers"],
                "on_newest": r["on_newest"],
                "newest_share": stats.share(r["on_newest"], r["consumers"]),
                "teams": r["teams"],
            }
            for r in per_api
            if r["api_version__api"] in apis
        ],
        "per_team": [
            {"team": teams[r["provider__owner"]], **r}
            for r in per_team
            if r["provider__owner"] in teams
        ],
        "new_by_month": [{"month": k, "count": new_by_month.get(k, 0)} for k in filters.month_keys],
        "new_total": sum(new_by_month.values()),
        "per_layer": [
            {
                "layer": value,
                "label": label,
                "teams": layers.get(value, {}).get("teams", 0),
                "consumers": layers.get(value, {}).get("consumers", 0),
            }
            for value, label in Service.Layer.choices
        ],
    }


# --- velocity and adoption in one pass (PostgreSQL) ---------------------------------------------

# One statement over the dependencies in scope, joined once to their API version, provider and
# consumer, with two passes over them:
#   * ``av``: each version's API, whether it is supported (not retired) and whether it is on its
#     API's newest supported major — one window over the versions instead of a subquery per row;
#   * ``base``: the dependencies in scope, materialised once and read by both passes;
#   * ``groups``: one sort by (provider team, API) and ``GROUP BY ROLLUP`` gives every API, every
#     provider team and the whole scope at once: velocity percentiles (``percentile_cont``) and
#     the adoption counts (``FILTER`` clauses, distinct consumers and consumer teams); the ranks
#     for both orderings are window functions over those groups;
#   * ``sets``: one hashed ``GROUPING SETS`` pass (small hash tables, no sort) for the distinct
#     (layer, consumer) and (layer, consumer team) pairs and the (month, days) histogram of the
#     months shown — the durations are whole days, so the monthly percentiles are computed
#     exactly from it in Python (:mod:`stats`).
_DEPENDENCY_METRICS_SQL = """
WITH av AS (
    SELECT id, api_id, status <> %(retired)s AS supported,
           major = max(major) FILTER (WHERE status <> %(retired)s AND stability <> %(draft)s)
                   OVER (PARTITION BY api_id) AS newest
    FROM {version} {version_scope}
), base AS MATERIALIZED (
    SELECT av.api_id AS api, s.owner_id AS team, s.layer AS layer, d.consumer_id AS consumer,
           c.owner_id AS consumer_team,
           av.supported AND (d.live_at IS NOT NULL OR d.requested_at IS NULL) AS active,
           coalesce(av.newest, false) AS newest,
           d.live_at - d.requested_at AS days, d.live_at, d.requested_at
    FROM {dependency} d
    JOIN av ON av.id = d.api_version_id
    JOIN {service} s ON s.id = d.provider_id
    JOIN {service} c ON c.id = d.consumer_id
    WHERE TRUE {scope}
), groups AS (
    SELECT GROUPING(team, api) AS g, team, api, count(days) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS p50,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY days) AS p75,
           count(DISTINCT consumer) FILTER (WHERE active) AS consumers,
           count(DISTINCT consumer) FILTER (WHERE active AND newest) AS on_newest,
           count(DISTINCT consumer_team) FILTER (WHERE active) AS consumer_teams,
           count(*) FILTER (WHERE active) AS edges,
           count(*) FILTER (WHERE active AND newest) AS newest_edges,
           count(*) FILTER (WHERE requested_at IS NOT NULL AND live_at IS NULL) AS pending,
           min(requested_at) FILTER (WHERE live_at IS NULL) AS oldest
    FROM base GROUP BY ROLLUP (team, api)
), ranked AS (
    SELECT *,
           row_number() OVER (PARTITION BY g ORDER BY p50 DESC NULLS LAST, api, team) AS rv,
           row_number() OVER (PARTITION BY g ORDER BY consumers DESC, api, team) AS ra,
           count(*) FILTER (WHERE g = 0 AND edges > 0) OVER (PARTITION BY team) AS team_apis,
           count(*) FILTER (WHERE g = 0 AND edges > 0) OVER () AS all_apis
    FROM groups
), sets AS (
    SELECT GROUPING(layer, consumer, consumer_team, ym, days) AS g, layer, ym, days,
           count(*) AS n, count(*) FILTER (WHERE active) AS active
    FROM (
        SELECT layer, consumer, consumer_team, active, days,
               CASE WHEN live_at >= %(since)s AND days IS NOT NULL
                    THEN (date_part('year', live_at) * 100 + date_part('month', live_at))::int
               END AS ym
        FROM base
    ) x
    GROUP BY GROUPING SETS ((layer, consumer), (layer, consumer_team), (ym, days))
)
SELECT CASE g WHEN 0 THEN 'api' WHEN 1 THEN 'team' ELSE 'all' END AS kind,
       coalesce(api, team) AS key, NULL::text AS label, n, p50, p75, consumers, on_newest,
       consumer_teams, edges, newest_edges, pending, oldest, team_apis, all_apis, rv, ra
FROM ranked WHERE g = 3 OR rv <= %(limit)s OR ra <= %(limit)s
UNION ALL
SELECT CASE g WHEN 7 THEN 'layer-consumers' WHEN 11 THEN 'layer-teams' ELSE 'month' END,
       ym, layer, days, NULL, NULL, count(*) FILTER (WHERE active > 0), NULL, NULL, sum(n)::bigint,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL
FROM sets WHERE g <> 28 OR ym IS NOT NULL
GROUP BY g, layer, ym, days
"""

_NO_LIMIT = 2**31 - 1


def dependency_metrics(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Integration velocity and ecosystem adoption (without the new consumers per month) in one
    statement over the dependencies in scope (PostgreSQL only).

    Returns ``{"velocity": …, "adoption": …}`` in the shapes of :func:`integration_velocity` and
    :func:`adoption`. Computed once per ``filters`` object (one request) and limit, as both
    selectors read it; one query plus two for the names of the APIs and teams shown.
    """
    key = ("dependency_metrics", limit)
    if key not in filters._computed:
        filters._computed[key] = _dependency_metrics_pg(filters=filters, limit=limit)
    return filters._computed[key]


def _dependency_metrics_pg(*, filters: HealthFilters, limit: int | None) -> dict:
    params: dict[str, Any] = {
        "retired": ApiVersion.Status.RETIRED,
        "draft": ApiVersion.Stability.DRAFT,
        "limit": _NO_LIMIT if limit is None else limit,
        "since": filters.since,
    }
    # The scope, on ``s`` (the provider service) and the API: ``av.api_id`` in the dependencies,
    # ``a.id`` where only the versions of the APIs in scope are read.
    scope: list[tuple[str, str]] = []
    if filters.team is not None:
        scope.append(("s.owner_id = %(team)s", "s.owner_id = %(team)s"))
        params["team"] = filters.team.pk
    if filters.api is not None:
        scope.append(("av.api_id = %(api)s", "a.id = %(api)s"))
        params["api"] = filters.api.pk
    if filters.layer:
        scope.append(("s.layer = %(layer)s", "s.layer = %(layer)s"))
        params["layer"] = filters.layer
    sql = _DEPENDENCY_METRICS_SQL.format(
        version=ApiVersion._meta.db_table,
        dependency=Dependency._meta.db_table,
        service=Service._meta.db_table,
        scope="".join(f" AND {on_dependency}" for on_dependency, _ in scope),
        # In a scope, the newest major of the few APIs in it instead of all of them.
        version_scope=(
            f"WHERE api_id IN (SELECT a.id FROM {Api._meta.db_table} a"
            f" JOIN {Service._meta.db_table} s ON s.id = a.provider_id"
            f" WHERE {' AND '.join(on_api for _, on_api in scope)})"
            if scope
            else ""
        ),
    )
    with connections[Dependency.objects.db].cursor() as cursor:
        cursor.execute(sql, params)
        columns = [c.name for c in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    by_kind: dict[str, list[dict]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], []).append(row)
    top = _NO_LIMIT if limit is None else limit
    # The whole scope (the ROLLUP's grand total; none without dependencies).
    everything = (by_kind.get("all") or [{"n": 0, "p50": None, "p75": None, "consumers": 0,
                                          "edges": 0, "newest_edges": 0, "pending": 0,
                                          "oldest": None, "all_apis": 0}])[0]  # fmt: skip
    api_rows, team_rows = by_kind.get("api", []), by_kind.get("team", [])
    apis = _names(Api, [r["key"] for r in api_rows])
    teams = _names(Team, [r["key"] for r in team_rows])

    def ranked(rows, names, present, rank):
        """The top groups by ``rank`` (1 = first) that have data (``present``), with names."""
        chosen = sorted((r for r in rows if r[present] and r[rank] <= top), key=lambda r: r[rank])
        return [(names[r["key"]], r) for r in chosen if r["key"] in names]

    monthly: dict[str, dict[int, int]] = {}
    for r in by_kind.get("month", []):
        monthly.setdefault(f"{r['key'] // 100:04d}-{r['key'] % 100:02d}", {})[r["n"]] = r["edges"]
    layers = {
        (r["kind"], r["label"]): r["consumers"] for r in rows if r["kind"].startswith("layer")
    }
    edges = everything["edges"]
    velocity = {
        "count": everything["n"],
        "median_days": _days(everything["p50"]),
        "p75_days": _days(everything["p75"]),
        "by_month": [
            {
                "month": key,
                "count": sum(monthly[key].values()) if key in monthly else None,
                "median": stats.percentile_of_counts(monthly.get(key, {}), 0.5),
                "p75": stats.percentile_of_counts(monthly.get(key, {}), 0.75),
            }
            for key in filters.month_keys
        ],
        "per_api": [
            {"api": api, "key": r["key"], "count": r["n"], "median": _days(r["p50"]),
             "p75": _days(r["p75"])}
            for api, r in ranked(api_rows, apis, "n", "rv")
        ],
        "per_team": [
            {"team": team, "key": r["key"], "count": r["n"], "median": _days(r["p50"]),
             "p75": _days(r["p75"])}
            for team, r in ranked(team_rows, teams, "n", "rv")
        ],
        "pending_count": everything["pending"],
        "pending_oldest": everything["oldest"],
        "pending_oldest_days": (filters.today - everything["oldest"]).days
        if everything["oldest"]
        else None,
    }  # fmt: skip
    adoption = {
        "active_consumers": everything["consumers"] if edges else None,
        "apis_consumed": everything["all_apis"] if edges else None,
        "edges": edges,
        "newest_share": stats.share(everything["newest_edges"], edges),
        "per_api": [
            {
                "api": api,
                "consumers": r["consumers"],
                "on_newest": r["on_newest"],
                "newest_share": stats.share(r["on_newest"], r["consumers"]),
                "teams": r["consumer_teams"],
            }
            for api, r in ranked(api_rows, apis, "consumers", "ra")
        ],
        "per_team": [
            {
                "team": team,
                "provider__owner": r["key"],
                "consumers": r["consumers"],
                "consumer_teams": r["consumer_teams"],
                "apis": r["team_apis"],
            }
            for team, r in ranked(team_rows, teams, "consumers", "ra")
        ],
        "per_layer": [
            {
                "layer": value,
                "label": label,
                "teams": layers.get(("layer-teams", value), 0),
                "consumers": layers.get(("layer-consumers", value), 0),
            }
            for value, label in Service.Layer.choices
        ],
    }
    return {"velocity": velocity, "adoption": adoption}


def teams_depending_on_layer(*, filters: HealthFilters, layer: str) -> QuerySet[Team]:
    """The consumer teams of active dependencies on services of ``layer``."""
    active = dependencies(filters).filter(ACTIVE, provider__layer=layer)
    return Team.objects.filter(services__dependencies__in=active).distinct().order_by("name")


# --- developer satisfaction ---------------------------------------------------------------------


def _feedback_scope(qs: QuerySet[Feedback], filters: HealthFilters | None) -> QuerySet[Feedback]:
    if filters is not None:
        if filters.team is not None:
            qs = qs.filter(api__provider__owner=filters.team)
        if filters.api is not None:
            qs = qs.filter(api=filters.api)
        if filters.layer:
            qs = qs.filter(api__provider__layer=filters.layer)
    return qs


def feedback_visible(filters: HealthFilters | None = None) -> QuerySet[Feedback]:
    """Feedback not hidden by a moderator, in scope of the filters (provider side)."""
    return _feedback_scope(Feedback.objects.filter(hidden=False), filters)


def satisfaction(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Average current rating, the 1-5 distribution, the monthly trend (from the history) and the
    APIs rated worst first."""
    qs = feedback_visible(filters)
    counts = {r["rating"]: r["n"] for r in qs.values("rating").annotate(n=Count("id")).order_by()}
    revisions = (
        FeedbackRevision.objects.filter(feedback__in=qs, created_at__date__gte=filters.since)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(avg=Avg("rating"), n=Count("id"))
        .order_by("month")
    )
    monthly = {stats.month_key(r["month"]): r for r in revisions}
    by_month = [
        {
            "month": k,
            "average": monthly[k]["avg"] if k in monthly else None,
            "count": monthly[k]["n"] if k in monthly else 0,
        }
        for k in filters.month_keys
    ]
    per_api_qs = (
        qs.values("api")
        .annotate(average=Avg("rating"), count=Count("id"), last=Max("updated_at"))
        .order_by("average", "api")
    )
    per_api = list(per_api_qs[:limit] if limit is not None else per_api_qs)
    apis = _names(Api, [r["api"] for r in per_api])
    return {
        "count": sum(counts.values()),
        "average": stats.weighted_mean(counts),
        "distribution": stats.distribution(counts),
        "by_month": by_month,
        "trend": stats.trend([m["average"] for m in by_month]),
        "per_api": [{**r, "api": apis[r["api"]]} for r in per_api if r["api"] in apis],
    }


# --- API reliability (over the SLA area) --------------------------------------------------------


def active_slas(filters: HealthFilters):
    """Active SLA revisions in scope: of the team's/layer's services and APIs, or of the API and
    its providing service."""
    from slas.models import Sla

    qs = Sla.objects.filter(is_active=True)
    if filters.team is not None:
        qs = qs.filter(Q(service__owner=filters.team) | Q(api__provider__owner=filters.team))
    if filters.api is not None:
        qs = qs.filter(Q(api=filters.api) | Q(service_id=filters.api.provider_id))
    if filters.layer:
        qs = qs.filter(Q(service__layer=filters.layer) | Q(api__provider__layer=filters.layer))
    return qs


def reliability(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """SLA attainment and remaining error budget per service/API, how many breach now, and the
    worst offenders (least budget left first). SLAs whose compliance was never computed count
    as "not measured", never as met or breached."""
    qs = active_slas(filters)
    measured = Q(attained_availability__isnull=False)
    totals = qs.aggregate(
        slas=Count("id"),
        measured=Count("id", filter=measured),
        met=Count("id", filter=measured & Q(attained_availability__gte=F("availability_target"))),
        breaching=Count("id", filter=Q(is_breached=True)),
        budget=Avg("budget_remaining", filter=Q(budget_remaining__isnull=False)),
    )
    worst_qs = (
        qs.filter(measured)
        .select_related("service__owner", "api__provider__owner")
        .order_by(F("budget_remaining").asc(nulls_last=True), "attained_availability", "id")
    )
    worst = list(worst_qs[:limit] if limit is not None else worst_qs)
    return {
        "available": True,
        "slas": totals["slas"],
        "measured": totals["measured"],
        "met": totals["met"] if totals["measured"] else None,
        "attainment_share": stats.share(totals["met"], totals["measured"]),
        "breaching": totals["breaching"] if totals["slas"] else None,
        "budget_remaining_avg": float(totals["budget"]) if totals["budget"] is not None else None,
        "worst": [
            {
                "sla": sla,
                "subject": sla.subject,
                "kind": sla.subject_kind,
                "target": float(sla.availability_target),
                "attained": float(sla.attained_availability),
                "budget_remaining": float(sla.budget_remaining)
                if sla.budget_remaining is not None
                else None,
                "breached": sla.is_breached,
            }
            for sla in worst
        ],
    }


def sla_rows(*, filters: HealthFilters, state: str = ""):
    """The SLAs behind the reliability numbers; ``state``: breaching, met, missed, unmeasured."""
    qs = active_slas(filters)
    if state == "breaching":
        qs = qs.filter(is_breached=True)
    elif state == "met":
        qs = qs.filter(
            attained_availability__isnull=False,
            attained_availability__gte=F("availability_target"),
        )
    elif state == "missed":
        qs = qs.filter(
            attained_availability__isnull=False,
            attained_availability__lt=F("availability_target"),
        )
    elif state == "unmeasured":
        qs = qs.filter(attained_availability__isnull=True)
    return qs.select_related("service__owner", "api__provider__owner").order_by(
        F("budget_remaining").asc(nulls_last=True), "id"
    )


# --- deprecation health (over the deprecation area) ---------------------------------------------


def _deprecations(filters: HealthFilters):
    from catalog.models import Deprecation

    qs = Deprecation.objects.all()
    if filters.team is not None:
        qs = qs.filter(api_version__api__provider__owner=filters.team)
    if filters.api is not None:
        qs = qs.filter(api_version__api=filters.api)
    if filters.layer:
        qs = qs.filter(api_version__api__provider__layer=filters.layer)
    return qs


def _migrations(filters: HealthFilters):
    from catalog.models import ConsumerMigration, Deprecation

    return ConsumerMigration.objects.filter(
        deprecation__in=_deprecations(filters).exclude(
            state__in=[Deprecation.State.DRAFT, Deprecation.State.CANCELLED]
        )
    )


def deprecation_health(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Open deprecations, the share of migrations completed (migrated or exempted), overdue
    migrations (not done, sunset passed) and the median days from announcement to migrated."""
    from catalog.models import ConsumerMigration, Deprecation

    live = list(Deprecation.LIVE_STATES)
    done = list(ConsumerMigration.DONE_STATES)
    open_count = _deprecations(filters).filter(state__in=live).count()
    migrations = _migrations(filters)
    overdue_q = Q(deprecation__state__in=live, deprecation__sunset_date__lt=filters.today) & ~Q(
        state__in=done
    )
    totals = migrations.aggregate(
        total=Count("id"),
        done=Count("id", filter=Q(state__in=done)),
        overdue=Count("id", filter=overdue_q),
    )
    speed = _duration_stats(
        migrations,
        group=None,
        duration=ExpressionWrapper(
            F("migrated_at") - F("deprecation__announced_at"), output_field=DurationField()
        ),
        present=Q(
            state=ConsumerMigration.State.MIGRATED,
            migrated_at__isnull=False,
            deprecation__announced_at__isnull=False,
        ),
    )[0]
    per_dep_qs = (
        _deprecations(filters)
        .filter(state__in=live)
        .annotate(
            total=Count("migrations"),
            done=Count("migrations", filter=Q(migrations__state__in=done)),
        )
        .select_related("api_version__api")
        .order_by("sunset_date", "id")
    )
    per_dep = list(per_dep_qs[:limit] if limit is not None else per_dep_qs)
    return {
        "available": True,
        "open": open_count,
        "migrations": totals["total"],
        "done": totals["done"],
        "done_share": stats.share(totals["done"], totals["total"]),
        "overdue": totals["overdue"] if totals["total"] else None,
        "median_days_to_migrated": speed["median"],
        "migrated_count": speed["count"],
        "open_deprecations": [
            {
                "deprecation": d,
                "total": d.total,
                "done": d.done,
                "done_share": stats.share(d.done, d.total),
                "overdue": d.sunset_date < filters.today,
            }
            for d in per_dep
        ],
    }


def migration_rows(*, filters: HealthFilters, state: str = ""):
    """The consumer migrations behind the deprecation numbers; ``state``: done, open, overdue."""
    from catalog.models import ConsumerMigration, Deprecation

    done = list(ConsumerMigration.DONE_STATES)
    qs = _migrations(filters)
    if state == "done":
        qs = qs.filter(state__in=done)
    elif state == "open":
        qs = qs.exclude(state__in=done)
    elif state == "overdue":
        qs = qs.filter(
            deprecation__state__in=list(Deprecation.LIVE_STATES),
            deprecation__sunset_date__lt=filters.today,
        ).exclude(state__in=done)
    return qs.select_related("consumer__owner", "deprecation__api_version__api").order_by(
        "deprecation__sunset_date", "consumer__name", "id"
    )


# --- rows behind the numbers --------------------------------------------------------------------


def integration_rows(
    *, filters: HealthFilters, month: str = "", state: str = ""
) -> QuerySet[Dependency]:
    """The dependencies behind the velocity numbers. ``state``: live, pending or new."""
    qs = dependencies(filters)
    if state == "pending":
        qs = qs.filter(PENDING)
    elif state == "active":
        qs = qs.filter(ACTIVE)
    elif state == "new":
        earlier = Dependency.objects.filter(
            consumer=OuterRef("consumer"),
            api_version__api=OuterRef("api_version__api"),
            live_at__lt=OuterRef("live_at"),
        )
        qs = qs.filter(live_at__isnull=False).exclude(Exists(earlier))
    elif state == "live":
        qs = qs.filter(requested_at__isnull=False, live_at__isnull=False)
    if month:
        qs = qs.filter(live_at__gte=stats.month_start(month), live_at__lte=stats.month_end(month))
    return (
        qs.select_related("consumer__owner", "api_version__api", "provider__owner")
        .annotate(duration=DURATION)
        .order_by("-live_at", "-requested_at", "id")
    )


def consumer_rows(*, filters: HealthFilters, newest: str = "") -> QuerySet[Dependency]:
    """Active dependencies (consumers) behind the adoption numbers; ``newest`` = yes|no."""
    qs = dependencies(filters).filter(ACTIVE).annotate(newest=_newest_major())
    if newest == "yes":
        qs = qs.filter(api_version__major=F("newest"))
    elif newest == "no":
        qs = qs.exclude(api_version__major=F("newest"))
    return qs.select_related("consumer__owner", "api_version__api", "provider__owner").order_by(
        "api_version__api__name", "consumer__name", "id"
    )


def feedback_rows(
    *, filters: HealthFilters, rating: int | None = None, include_hidden: bool = False
) -> QuerySet[Feedback]:
    base = Feedback.objects.all() if include_hidden else Feedback.objects.filter(hidden=False)
    qs = _feedback_scope(base, filters)
    if rating is not None:
        qs = qs.filter(rating=rating)
    return qs.select_related("consumer_team", "api__provider__owner", "author").order_by(
        "-updated_at", "-id"
    )


def feedback_history(*, feedback: Feedback) -> QuerySet[FeedbackRevision]:
    return feedback.revisions.select_related("author").order_by("-created_at", "-id")


def feedback_for(*, team_id: int, api: Api) -> Feedback | None:
    return Feedback.objects.filter(consumer_team_id=team_id, api=api).first()


def teams_consuming_api(*, api: Api, team_ids: set[int] | None = None) -> QuerySet[Team]:
    """Teams that own a service depending on some version of ``api`` (optionally among ids)."""
    qs = Team.objects.filter(
        Exists(Dependency.objects.filter(consumer__owner=OuterRef("pk"), api_version__api=api))
    )
    if team_ids is not None:
        qs = qs.filter(pk__in=team_ids)
    return qs.order_by("name")


# --- the roadmap --------------------------------------------------------------------------------


def roadmap_items(*, team: Team | None = None, layer: str = "") -> QuerySet[RoadmapItem]:
    qs = RoadmapItem.objects.select_related("service", "team").prefetch_related("depends_on")
    if team is not None:
        qs = qs.filter(team=team)
    if layer:
        qs = qs.filter(layer=layer)
    return qs.order_by("target_quarter", "layer", "title", "id")


def roadmap_graph() -> tuple[dict[int, list[int]], dict[int, str], set[int]]:
    """The whole roadmap as plain data (two queries): prerequisites, target quarters, shipped."""
    items = RoadmapItem.objects.values_list("pk", "target_quarter", "status")
    quarters = {pk: quarter for pk, quarter, _ in items}
    shipped = {pk for pk, _, status in items if status == RoadmapItem.Status.SHIPPED}
    depends_on: dict[int, list[int]] = {pk: [] for pk in quarters}
    through = RoadmapItem.depends_on.through.objects.values_list(
        "from_roadmapitem_id", "to_roadmapitem_id"
    )
    for item, prerequisite in through:
        depends_on.setdefault(item, []).append(prerequisite)
    return depends_on, quarters, shipped


def roadmap_impact(*, item: RoadmapItem, slip_to: str | None = None) -> dict:
    """What ``item`` unlocks (its transitive dependents) and what breaks if it slips to
    ``slip_to`` (default: the quarter after its target): dependents targeted before that."""
    slip_to = slip_to or stats.next_quarter(item.target_quarter)
    depends_on, quarters, shipped = roadmap_graph()
    unlocked = stats.unlocks(item.pk, depends_on)
    broken = stats.breaks_if_slips(item.pk, slip_to, depends_on, quarters, shipped=shipped)
    return {
        "item": item,
        "slip_to": slip_to,
        "unlocks": unlocked,
        "breaks": broken,
        "prerequisites": depends_on.get(item.pk, []),
    }


def roadmap_waiting_on(*, limit: int = TOP) -> list[dict]:
    """Unshipped items ranked by how many others wait on them (transitively)."""
    depends_on, quarters, shipped = roadmap_graph()
    counts = [
        (len([d for d in stats.unlocks(pk, depends_on) if d not in shipped]), pk)
        for pk in quarters
        if pk not in shipped
    ]
    counts = sorted([c for c in counts if c[0] > 0], key=lambda c: (-c[0], c[1]))[:limit]
    items = _names(RoadmapItem, [pk for _, pk in counts])
    return [{"item": items[pk], "waiting": n} for n, pk in counts if pk in items]
