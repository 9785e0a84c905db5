"""Impact analysis: direct and transitive consumers with depth and one shortest path."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Dependency
from catalog.selectors.catalog import impact_for_api, impact_for_api_version, impact_for_service
from tests.catalog.factories import ApiFactory, ApiVersionFactory, ServiceFactory

pytestmark = pytest.mark.django_db


class Graph:
    """Build a graph by slugs: ``g.edge("b", "a")`` means b consumes a's API (v1)."""

    def __init__(self):
        self.services = {}
        self.versions = {}

    def svc(self, slug):
        if slug not in self.services:
            self.services[slug] = ServiceFactory(slug=slug, name=slug.upper())
        return self.services[slug]

    def version(self, provider):
        if provider not in self.versions:
            api = ApiFactory(slug=f"{provider}-api", provider=self.svc(provider))
            self.versions[provider] = ApiVersionFactory(api=api)
        return self.versions[provider]

    def edge(self, consumer, provider):
        v = self.version(provider)
        return Dependency.objects.create(
            consumer=self.svc(consumer), api_version=v, provider=v.api.provider
        )


def as_rows(impact):
    return {s.slug: (s.depth, s.path) for s in impact.all}


def test_chain_gives_depth_and_path():
    g = Graph()
    g.edge("b", "a")
    g.edge("c", "b")
    g.edge("d", "c")
    impact = impact_for_api_version(api_version=g.version("a"))
    assert as_rows(impact) == {
        "b": (1, ["a", "b"]),
        "c": (2, ["a", "b", "c"]),
        "d": (3, ["a", "b", "c", "d"]),
    }
    assert [s.slug for s in impact.direct] == ["b"]
    assert [s.slug for s in impact.transitive] == ["c", "d"]
    assert impact.max_depth == 3
    assert impact.direct[0].relation == "direct"
    assert impact.transitive[0].team_id == g.svc("c").owner_id


def test_cycle_terminates_and_excludes_the_provider():
    g = Graph()
    g.edge("b", "a")
    g.edge("c", "b")
    g.edge("b", "c")  # b <-> c cycle
    g.edge("a", "c")  # back to the provider itself
    impact = impact_for_api_version(api_version=g.version("a"))
    assert as_rows(impact) == {"b": (1, ["a", "b"]), "c": (2, ["a", "b", "c"])}


def test_diamond_takes_the_shortest_path_once():
    g = Graph()
    g.edge("b", "a")
    g.edge("c", "a")
    g.edge("d", "b")
    g.edge("d", "c")
    g.edge("e", "d")
    g.edge("e", "a")  # e is also a direct consumer: depth 1 wins
    impact = impact_for_api_version(api_version=g.version("a"))
    rows = as_rows(impact)
    assert rows["d"] == (2, ["a", "b", "d"])  # deterministic: b before c
    assert rows["e"] == (1, ["a", "e"])
    assert len(impact.all) == 4


def test_only_the_consumers_of_that_version_are_direct():
    g = Graph()
    g.edge("b", "a")
    other = ApiVersionFactory(api=g.version("a").api, major=2, version="2.0.0")
    Dependency.objects.create(consumer=g.svc("x"), api_version=other, provider=g.svc("a"))
    g.edge("y", "x")
    assert set(as_rows(impact_for_api_version(api_version=g.version("a")))) == {"b"}
    assert as_rows(impact_for_api(api=g.version("a").api)) == {
        "b": (1, ["a", "b"]),
        "x": (1, ["a", "x"]),
        "y": (2, ["a", "x", "y"]),
    }


def test_service_impact_covers_every_api_of_the_service():
    g = Graph()
    g.edge("b", "a")
    second = ApiVersionFactory(api=ApiFactory(slug="a-events", provider=g.svc("a")))
    Dependency.objects.create(consumer=g.svc("c"), api_version=second, provider=g.svc("a"))
    g.edge("d", "c")
    rows = as_rows(impact_for_service(service=g.svc("a")))
    assert rows == {"b": (1, ["a", "b"]), "c": (1, ["a", "c"]), "d": (2, ["a", "c", "d"])}


def test_no_consumers_is_empty():
    g = Graph()
    impact = impact_for_api_version(api_version=g.version("a"))
    assert impact.all == [] and impact.max_depth == 0


def test_self_consumption_is_refused_by_the_database():
    g = Graph()
    v = g.version("a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Dependency.objects.create(consumer=g.svc("a"), api_version=v, provider=g.svc("a"))


def test_one_query(django_assert_num_queries):
    g = Graph()
    for i in range(30):
        g.edge(f"s{i}", "a")
        g.edge(f"t{i}", f"s{i}")
    v = g.version("a")
    v.api.provider  # noqa: B018 - load the provider outside the counted block
    with django_assert_num_queries(1):
        impact = impact_for_api_version(api_version=v)
    assert len(impact.direct) == 30 and len(impact.transitive) == 30


def test_limit_keeps_counts_complete():
    g = Graph()
    for i in range(5):
        g.edge(f"s{i}", "a")
        g.edge(f"t{i}", f"s{i}")
    impact = impact_for_api_version(api_version=g.version("a"), limit=2)
    assert [s.slug for s in impact.direct] == ["s0", "s1"]
    assert [s.slug for s in impact.transitive] == ["t0", "t1"]
    assert (impact.direct_count, impact.transitive_count, impact.max_depth) == (5, 5, 2)
    assert impact.truncated
    assert not impact_for_api_version(api_version=g.version("a")).truncated
