"""Reads of the platform-health dashboard: metrics as aggregate SQL over the catalog, SLA and
deprecation data (never copies of it), feedback and the roadmap.

Every metric function takes ``filters`` (a :class:`HealthFilters`) and returns plain data:
numbers are ``None`` when there is no data (shown as "no data", never as zero). Each function
runs a fixed number of queries whatever the size of the catalog.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
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

    On PostgreSQL two statements compute this together with :func:`adoption`
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

    On PostgreSQL two statements compute this together with :func:`integration_velocity`
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


# --- velocity and adoption: one statement per partition of the provider teams (PostgreSQL) ------

# One statement reads every dependency in scope once, joined to its API version (which carries its
# API's provider team and layer, whether it is supported, whether it is on the API's newest
# supported major and how many supported versions the API has), materialised as ``base``:
#   * ``groups``: one sort by (provider team, API) and ``GROUPING SETS`` give every API and every
#     provider team at once: the velocity percentiles (``percentile_cont``) and the adoption
#     counts (``FILTER`` clauses). No DISTINCT aggregate runs over all groups: they made the pass
#     three times slower (a sort per group and level);
#   * the slowest APIs and teams by median are the first rows of those groups (top-N sorts);
#   * the most adopted APIs and teams rank by *distinct* consumers, counted (with those on the
#     newest major and the consumer teams) only for the groups that can be among the first N.
#     An API's active edges bound its distinct consumers from above and
#     ``ceil(edges / supported versions)`` from below (a consumer depends on each version at most
#     once); a team is bounded below by its best API. Every group whose upper bound reaches the
#     N-th best lower bound is a candidate; any other group has fewer consumers than N groups
#     have, so it cannot be among the first N. Without a limit every group is a candidate;
#   * the totals, the (days) histogram of every integration and the (month went live, days)
#     histogram of the months shown — durations are whole days, so the percentiles of the whole
#     scope and of each month are computed exactly from them in Python (:mod:`stats`);
#   * each consumer's active layers as a bit mask, consumers (and their teams) grouped by mask.
#
# Every figure but the last is computed within one provider team, so the statement runs once per
# partition of the teams (``mod(team, parts) = part``) and the partitions merge exactly: top-N
# lists by merging the partitions' top N, totals and histograms by adding, the consumers' layer
# masks by OR. Partitions run concurrently, each on its own connection (a second core): see
# :func:`_run_partitions`. Rows are (kind, key, figures as JSON, consumer ids, their teams).
_DEPENDENCY_METRICS_SQL = """
WITH av AS (
    SELECT v.id, v.api_id AS api, s.owner_id AS team, {layer_bit} AS layer_bit,
           v.status <> %(retired)s AS supported,
           coalesce(v.major = max(v.major) FILTER (
               WHERE v.status <> %(retired)s AND v.stability <> %(draft)s) OVER w, false) AS newest,
           count(*) FILTER (WHERE v.status <> %(retired)s) OVER w AS versions
    FROM {version} v
    JOIN {api} a ON a.id = v.api_id
    JOIN {service} s ON s.id = a.provider_id
    WHERE TRUE {scope}
    WINDOW w AS (PARTITION BY v.api_id)
), base AS MATERIALIZED (
    SELECT av.team, av.api, d.consumer_id AS consumer, av.layer_bit,
           av.supported AND (d.live_at IS NOT NULL OR d.requested_at IS NULL) AS active,
           av.newest, av.versions, d.live_at - d.requested_at AS days,
           CASE WHEN d.live_at IS NULL THEN d.requested_at END AS waiting,
           CASE WHEN d.live_at >= %(since)s AND d.requested_at IS NOT NULL
                THEN (date_part('year', d.live_at) * 100 + date_part('month', d.live_at))::int
           END AS ym
    FROM {dependency} d
    JOIN av ON av.id = d.api_version_id
    {partition}
), groups AS MATERIALIZED (
    SELECT GROUPING(team, api) AS g, team, api, count(days) AS n,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY days) AS p50,
           percentile_cont(0.75) WITHIN GROUP (ORDER BY days) AS p75,
           count(*) FILTER (WHERE active) AS edges,
           count(*) FILTER (WHERE active AND newest) AS newest_edges,
           max(versions) AS versions, count(waiting) AS pending, min(waiting) AS oldest
    FROM base GROUP BY GROUPING SETS ((team, api), (team))
), api_lb AS (
    SELECT team, api, edges, (edges + versions - 1) / greatest(versions, 1) AS lb
    FROM groups WHERE g = 0 AND edges > 0
), candidate_apis AS (
    SELECT api FROM api_lb
    WHERE edges >= (SELECT coalesce(min(lb), 0)
                    FROM (SELECT lb FROM api_lb ORDER BY lb DESC LIMIT %(limit)s) x)
), candidate_teams AS (
    SELECT team FROM groups
    WHERE g = 1 AND edges > 0
      AND edges >= (SELECT coalesce(min(lb), 0) FROM (
          SELECT max(lb) AS lb FROM api_lb GROUP BY team ORDER BY 1 DESC LIMIT %(limit)s) x)
), candidates AS (
    SELECT b.team, b.api, b.consumer, c.owner_id AS consumer_team, b.newest,
           b.api IN (SELECT api FROM candidate_apis) AS for_api,
           b.team IN (SELECT team FROM candidate_teams) AS for_team
    FROM base b JOIN {service} c ON c.id = b.consumer
    WHERE b.active AND (b.api IN (SELECT api FROM candidate_apis)
                        OR b.team IN (SELECT team FROM candidate_teams))
)
(SELECT 'slow-api' AS kind, api AS key, json_build_object('n', n, 'p50', p50, 'p75', p75) AS
        figures, NULL::bigint[] AS consumers, NULL::bigint[] AS teams
 FROM groups WHERE g = 0 AND n > 0 ORDER BY p50 DESC, api LIMIT %(limit)s)
UNION ALL
(SELECT 'slow-team', team, json_build_object('n', n, 'p50', p50, 'p75', p75), NULL, NULL
 FROM groups WHERE g = 1 AND n > 0 ORDER BY p50 DESC, team LIMIT %(limit)s)
UNION ALL
SELECT 'adopted-api', api, json_build_object(
    'consumers', count(DISTINCT consumer), 'consumer_teams', count(DISTINCT consumer_team),
    'on_newest', count(DISTINCT consumer) FILTER (WHERE newest)), NULL, NULL
FROM candidates WHERE for_api GROUP BY api
UNION ALL
SELECT 'adopted-team', team, json_build_object(
    'consumers', count(DISTINCT consumer), 'consumer_teams', count(DISTINCT consumer_team),
    'apis', count(DISTINCT api)), NULL, NULL
FROM candidates WHERE for_team GROUP BY team
UNION ALL
SELECT 'all', NULL, json_build_object(
    'edges', sum(edges) FILTER (WHERE g = 1),
    'newest_edges', sum(newest_edges) FILTER (WHERE g = 1),
    'pending', sum(pending) FILTER (WHERE g = 1), 'oldest', min(oldest) FILTER (WHERE g = 1),
    'apis', count(*) FILTER (WHERE g = 0 AND edges > 0)), NULL, NULL
FROM groups
UNION ALL
SELECT 'days', days, json_build_object('n', count(*)), NULL, NULL
FROM base WHERE days IS NOT NULL GROUP BY days
UNION ALL
SELECT 'month', ym, json_build_object('days', days, 'n', count(*)), NULL, NULL
FROM base WHERE ym IS NOT NULL GROUP BY ym, days
UNION ALL
SELECT 'layers', m.layers, NULL, array_agg(m.consumer), array_agg(c.owner_id)
FROM (SELECT consumer, bit_or(layer_bit) AS layers FROM base WHERE active GROUP BY consumer) m
JOIN {service} c ON c.id = m.consumer
GROUP BY m.layers
"""

_NO_LIMIT = 2**31 - 1


def dependency_metrics(*, filters: HealthFilters, limit: int | None = TOP) -> dict:
    """Integration velocity and ecosystem adoption (without the new consumers per month) over
    the dependencies in scope (PostgreSQL only): one statement per partition of the provider
    teams, run concurrently (:func:`_run_partitions`).

    Returns ``{"velocity": …, "adoption": …}`` in the shapes of :func:`integration_velocity` and
    :func:`adoption`. Computed once per ``filters`` object (one request) and limit, as both
    selectors read it; plus two queries for the names of the APIs and teams shown.
    """
    key = ("dependency_metrics", limit)
    if key not in filters._computed:
        filters._computed[key] = _dependency_metrics_pg(filters=filters, limit=limit)
    return filters._computed[key]


def _partitions(filters: HealthFilters) -> int:
    """How many partitions of the provider teams to compute: one within a team or an API (few
    dependencies), else ``HEALTH_METRICS_PARTITIONS`` (2: this statement on two cores)."""
    if filters.team is not None or filters.api is not None:
        return 1
    return max(1, int(getattr(settings, "HEALTH_METRICS_PARTITIONS", 2)))


def _run_partitions(sql: str, params: dict[str, Any], parts: int) -> list[list[tuple]]:
    """The rows of ``sql`` for each partition ``0 … parts - 1``.

    The first runs on this thread's connection; the others concurrently, each on a connection
    of its own, opened and closed by a worker thread. Inside a transaction (a test, a migration)
    only this connection sees the transaction's writes, so every partition runs here in turn.
    """
    alias = Dependency.objects.db

    def run(connection, part: int) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**params, "parts": parts, "part": part})
            return cursor.fetchall()

    main = connections[alias]
    if parts == 1 or main.in_atomic_block:
        return [run(main, part) for part in range(parts)]

    def on_own_connection(part: int) -> list[tuple]:
        connection = connections[alias]  # this worker thread's own
        try:
            return run(connection, part)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=parts - 1, thread_name_prefix="health") as pool:
        others = [pool.submit(on_own_connection, part) for part in range(1, parts)]
        first = run(main, 0)
        return [first, *(future.result() for future in others)]


def _dependency_metrics_pg(*, filters: HealthFilters, limit: int | None) -> dict:
    layers = [value for value, _label in Service.Layer.choices]
    params: dict[str, Any] = {
        "retired": ApiVersion.Status.RETIRED,
        "draft": ApiVersion.Stability.DRAFT,
        "limit": _NO_LIMIT if limit is None else limit,
        "since": filters.since,
        **{f"layer{i}": value for i, value in enumerate(layers)},
    }
    # The scope, on ``s`` (the API's provider service, which is each of its dependencies'
    # provider) and ``v``: whole APIs, so that the newest major is computed over all of theirs.
    scope = ""
    if filters.team is not None:
        scope += " AND s.owner_id = %(team)s"
        params["team"] = filters.team.pk
    if filters.api is not None:
        scope += " AND v.api_id = %(api)s"
        params["api"] = filters.api.pk
    if filters.layer:
        scope += " AND s.layer = %(layer)s"
        params["layer"] = filters.layer
    parts = _partitions(filters)
    sql = _DEPENDENCY_METRICS_SQL.format(
        version=ApiVersion._meta.db_table,
        api=Api._meta.db_table,
        dependency=Dependency._meta.db_table,
        service=Service._meta.db_table,
        layer_bit="CASE s.layer {} ELSE 0 END".format(
            " ".join(f"WHEN %(layer{i})s THEN {1 << i}" for i in range(len(layers)))
        ),
        scope=scope,
        partition="WHERE mod(av.team, %(parts)s) = %(part)s" if parts > 1 else "",
    )
    return _merge_partitions(_run_partitions(sql, params, parts), filters=filters, limit=limit)


def _merge_partitions(partitions: list[list[tuple]], *, filters: HealthFilters, limit) -> dict:
    """Velocity and adoption from the partitions' rows (see ``_DEPENDENCY_METRICS_SQL``)."""
    lists: dict[str, list[tuple[int, dict]]] = {}
    totals = {"edges": 0, "newest_edges": 0, "pending": 0, "apis": 0}
    oldest: dt.date | None = None
    days: dict[int, int] = {}
    monthly: dict[str, dict[int, int]] = {}
    consumer_layers: dict[int, int] = {}
    team_layers: dict[int, int] = {}
    for rows in partitions:
        for kind, key, figures, consumers, teams in rows:
            if kind == "all":
                for name in totals:
                    totals[name] += figures[name] or 0
                if figures["oldest"]:
                    day = dt.date.fromisoformat(figures["oldest"])
                    oldest = day if oldest is None else min(oldest, day)
            elif kind == "days":
                days[key] = days.get(key, 0) + figures["n"]
            elif kind == "month":
                month = monthly.setdefault(f"{key // 100:04d}-{key % 100:02d}", {})
                month[figures["days"]] = month.get(figures["days"], 0) + figures["n"]
            elif kind == "layers":
                for consumer, team in zip(consumers, teams, strict=True):
                    consumer_layers[consumer] = consumer_layers.get(consumer, 0) | key
                    team_layers[team] = team_layers.get(team, 0) | key
            else:
                lists.setdefault(kind, []).append((key, figures))

    def first(kind: str, order) -> list[tuple[int, dict]]:
        rows = sorted(lists.get(kind, []), key=lambda row: (order(row[1]), row[0]))
        return rows[:limit] if limit is not None else rows

    slow_apis = first("slow-api", lambda r: -r["p50"])
    slow_teams = first("slow-team", lambda r: -r["p50"])
    adopted_apis = first("adopted-api", lambda r: -r["consumers"])
    adopted_teams = first("adopted-team", lambda r: -r["consumers"])
    apis = _names(Api, {key for key, _ in slow_apis + adopted_apis})
    teams = _names(Team, {key for key, _ in slow_teams + adopted_teams})
    edges = totals["edges"]

    def velocity_rows(rows, names, name):
        return [
            {name: names[key], "key": key, "count": r["n"], "median": _days(r["p50"]),
             "p75": _days(r["p75"])}
            for key, r in rows
            if key in names
        ]  # fmt: skip

    def with_layer(masks: dict[int, int], bit: int) -> int:
        return sum(1 for mask in masks.values() if mask & bit)

    velocity = {
        "count": sum(days.values()),
        "median_days": _days(stats.percentile_of_counts(days, 0.5)),
        "p75_days": _days(stats.percentile_of_counts(days, 0.75)),
        "by_month": [
            {
                "month": key,
                "count": sum(monthly[key].values()) if key in monthly else None,
                "median": stats.percentile_of_counts(monthly.get(key, {}), 0.5),
                "p75": stats.percentile_of_counts(monthly.get(key, {}), 0.75),
            }
            for key in filters.month_keys
        ],
        "per_api": velocity_rows(slow_apis, apis, "api"),
        "per_team": velocity_rows(slow_teams, teams, "team"),
        "pending_count": totals["pending"],
        "pending_oldest": oldest,
        "pending_oldest_days": (filters.today - oldest).days if oldest else None,
    }
    adoption = {
        "active_consumers": len(consumer_layers) if edges else None,
        "apis_consumed": totals["apis"] if edges else None,
        "edges": edges,
        "newest_share": stats.share(totals["newest_edges"], edges),
        "per_api": [
            {
                "api": apis[key],
                "consumers": r["consumers"],
                "on_newest": r["on_newest"],
                "newest_share": stats.share(r["on_newest"], r["consumers"]),
                "teams": r["consumer_teams"],
            }
            for key, r in adopted_apis
            if key in apis
        ],
        "per_team": [
            {
                "team": teams[key],
                "provider__owner": key,
                "consumers": r["consumers"],
                "consumer_teams": r["consumer_teams"],
                "apis": r["apis"],
            }
            for key, r in adopted_teams
            if key in teams
        ],
        "per_layer": [
            {
                "layer": value,
                "label": label,
                "teams": with_layer(team_layers, 1 << i),
                "consumers": with_layer(consumer_layers, 1 << i),
            }
            for i, (value, label) in enumerate(Service.Layer.choices)
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
