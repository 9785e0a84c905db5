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
class Neighbourhood:
    upstream: list[Neighbour]  # what the service depends on
    downstream: list[Neighbour]  # what depends on it


def _neighbours(qs: QuerySet, prefix: str) -> list[Neighbour]:
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
        .order_by(f"{prefix}__tier", f"{prefix}__name", f"{prefix}_id")
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


def service_neighbourhood(*, service: Service) -> Neighbourhood:
    """The distinct services ``service`` depends on and those depending on it, most critical tier
    first (the graph draws the first ones one by one and folds the rest). Two queries."""
    return Neighbourhood(
        upstream=_neighbours(Dependency.objects.filter(consumer=service), "provider"),
        downstream=_neighbours(Dependency.objects.filter(provider=service), "consumer"),
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
    """The first ``limit`` rows of ``qs`` and the total (two queries, or one when short)."""
    rows = list(qs[: limit + 1])
    if len(rows) <= limit:
        return Capped(rows=rows, total=len(rows))
    return Capped(rows=rows[:limit], total=qs.order_by().count())


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
