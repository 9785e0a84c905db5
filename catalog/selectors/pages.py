"""Reads that only the HTML pages need: graph neighbours, capped tables, the layered lists.

Everything here runs a constant number of queries whatever the number of rows; the general reads
(lists, facets, impact analysis) live in ``catalog.selectors.catalog`` and are reused, not copied.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Min, QuerySet

from catalog.models import Api, ApiVersion, Dependency, Service, Team

#: Rows shown in a table on a page before "and N more".
TABLE_LIMIT = 100


@dataclass(frozen=True)
class Neighbour:
    """A service linked to the one shown, by ``edges`` dependencies (one per API version)."""

    slug: str
    name: str
    layer: str
    tier: int
    team_slug: str
    team_name: str
    edges: int
    apis: str  # the API names behind the edges, for the tooltip


@dataclass(frozen=True)
class TeamCount:
    slug: str
    name: str
    services: int


@dataclass(frozen=True)
class Side:
    """One side of a service's neighbourhood: its most critical neighbours one by one, and how
    many neighbours each team has in all (enough to draw "+N more · team" clusters)."""

    top: list[Neighbour]
    teams: list[TeamCount]
    services: int  # distinct neighbouring services
    edges: int  # dependencies (one per API version)


@dataclass(frozen=True)
class Neighbourhood:
    upstream: Side  # what the service depends on
    downstream: Side  # what depends on it


def _side(qs: QuerySet, prefix: str, *, top: int) -> Side:
    teams = [
        (TeamCount(r[f"{prefix}__owner__slug"], r[f"{prefix}__owner__name"], r["n"]), r["e"])
        for r in qs.values(f"{prefix}__owner__slug", f"{prefix}__owner__name")
        .annotate(n=Count(f"{prefix}_id", distinct=True), e=Count("id"))
        .order_by("-n", f"{prefix}__owner__name")
    ]
    return Side(
        top=_neighbours(qs, prefix, limit=top),
        teams=[t for t, _ in teams],
        services=sum(t.services for t, _ in teams),
        edges=sum(e for _, e in teams),
    )


def _neighbours(qs: QuerySet, prefix: str, *, limit: int) -> list[Neighbour]:
    rows = (
        qs.values(
            f"{prefix}_id",
            f"{prefix}__slug",
            f"{prefix}__name",
            f"{prefix}__layer",
            f"{prefix}__tier",
            f"{prefix}__owner__slug",
            f"{prefix}__owner__name",
        )
        .annotate(edges=Count("id"), first_api=Min("api_version__api__name"))
        .order_by(f"{prefix}__tier", f"{prefix}__name", f"{prefix}_id")[:limit]
    )
    return [
        Neighbour(
            slug=r[f"{prefix}__slug"],
            name=r[f"{prefix}__name"],
            layer=r[f"{prefix}__layer"],
            tier=r[f"{prefix}__tier"],
            team_slug=r[f"{prefix}__owner__slug"],
            team_name=r[f"{prefix}__owner__name"],
            edges=r["edges"],
            apis=r["first_api"] + (f" and {r['edges'] - 1} more" if r["edges"] > 1 else ""),
        )
        for r in rows
    ]


def service_neighbourhood(*, service: Service, top: int = 18) -> Neighbourhood:
    """The services ``service`` depends on and those depending on it: per side the ``top`` most
    critical (tier, then name) and the neighbour count of every team. Four queries, whatever the
    number of neighbours (the most consumed service of a 10,000-service catalog has thousands)."""
    return Neighbourhood(
        upstream=_side(Dependency.objects.filter(consumer=service), "provider", top=top),
        downstream=_side(Dependency.objects.filter(provider=service), "consumer", top=top),
    )


@dataclass(frozen=True)
class Capped:
    """At most ``TABLE_LIMIT`` rows of a table, and how many there are in all."""

    rows: list
    total: int

    @property
    def hidden(self) -> int:
        return max(self.total - len(self.rows), 0)


def capped(qs: QuerySet, *, limit: int = TABLE_LIMIT) -> Capped:
    """The first ``limit`` rows of ``qs`` and the total (two queries, whatever the size)."""
    return Capped(rows=list(qs[:limit]), total=qs.order_by().count())


def capped_known(qs: QuerySet, *, total: int, limit: int = TABLE_LIMIT) -> Capped:
    """Like ``capped`` when the total is already known (one query whatever the size)."""
    return Capped(rows=list(qs[:limit]), total=total)


def api_version_consumers(*, api_version: ApiVersion) -> QuerySet[Dependency]:
    """Who consumes ``api_version``: consumer and team joined, operations prefetched."""
    return (
        Dependency.objects.filter(api_version=api_version)
        .select_related("consumer", "consumer__owner")
        .prefetch_related("operations")
        .order_by("consumer__name", "id")
    )


def api_version_get(*, pk: int) -> ApiVersion:
    """The version with the API, provider and owning team joined; raises DoesNotExist."""
    return ApiVersion.objects.select_related("api", "api__provider", "api__provider__owner").get(
        pk=pk
    )


def api_get(*, slug: str) -> Api:
    return Api.objects.select_related("provider", "provider__owner", "policy").get(slug=slug)


def team_services(*, team: Team) -> QuerySet[Service]:
    return Service.objects.filter(owner=team).prefetch_related("tags").order_by("name", "id")


def layer_services(*, per_layer: int = 24) -> dict[str, list[Service]]:
    """For each layer, its first ``per_layer`` services by tier then name (one query per layer)."""
    return {
        layer: list(
            Service.objects.filter(layer=layer)
            .select_related("owner")
            .order_by("tier", "name", "id")[:per_layer]
        )
        for layer in Service.Layer.values
    }


def declarable_services(*, user) -> QuerySet[Service]:
    """The services ``user`` may declare dependencies for (all of them for staff)."""
    qs = Service.objects.order_by("name", "id")
    if getattr(user, "is_staff", False):
        return qs
    return qs.filter(owner__memberships__user=user).distinct()
