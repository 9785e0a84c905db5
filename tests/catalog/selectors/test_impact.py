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


def _reference_impact(provider_id: int, seeds: set[int]) -> dict[int, tuple[int, list[int]]]:
    """Breadth-first search in plain Python over every Dependency row: depth and the path by ids,
    each service's parent being the lowest-id service one level up that it consumes."""
    consumers: dict[int, set[int]] = {}
    for provider, consumer in Dependency.objects.values_list("provider_id", "consumer_id"):
        consumers.setdefault(provider, set()).add(consumer)
    seen = {provider_id, *seeds}
    paths = {s: [provider_id, s] for s in seeds}
    frontier = sorted(seeds)
    while frontier:
        nxt = []
        for current in frontier:  # ascending ids: the first parent to claim a consumer is lowest
            for consumer in sorted(consumers.get(current, ())):
                if consumer not in seen:
                    seen.add(consumer)
                    paths[consumer] = [*paths[current], consumer]
                    nxt.append(consumer)
        frontier = sorted(nxt)
    return {sid: (len(path) - 1, path) for sid, path in paths.items()}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_cyclic_graph_matches_a_reference_search(seed):
    import random

    rnd = random.Random(seed)
    g = Graph()
    names = [f"n{i:02d}" for i in range(40)]
    for name in names:
        g.svc(name)
    edges = set()
    while len(edges) < 90:  # sparse enough for depths up to ~6, dense enough for many cycles
        consumer, provider = rnd.sample(names, 2)
        if (consumer, provider) not in edges:
            edges.add((consumer, provider))
            g.edge(consumer, provider)
    by_id = {s.pk: s.slug for s in g.services.values()}
    depths = []
    for root in names[:8]:
        provider = g.svc(root)
        seeds = set(
            Dependency.objects.filter(api_version=g.version(root)).values_list(
                "consumer_id", flat=True
            )
        )
        expected = {
            by_id[sid]: (depth, [by_id[k] for k in path])
            for sid, (depth, path) in _reference_impact(provider.pk, seeds).items()
        }
        impact = impact_for_api_version(api_version=g.version(root))
        assert as_rows(impact) == expected
        assert provider.slug not in as_rows(impact)
        assert impact.max_depth == max((d for d, _ in expected.values()), default=0)
        assert [s.depth for s in impact.transitive] == sorted(s.depth for s in impact.transitive)
        for level in {s.depth for s in impact.all}:
            row_names = [s.name for s in impact.all if s.depth == level]
            assert row_names == sorted(row_names, key=str.lower)
        names_by_slug = {x.slug: x.name for x in g.services.values()}
        assert all(s.path_names == [names_by_slug[k] for k in s.path] for s in impact.all)
        depths.append(impact.max_depth)
    assert max(depths) >= 3  # the graph really is deep enough to test transitive paths


def test_limit_spans_levels_and_counts_every_level():
    g = Graph()
    g.edge("b", "a")
    for i in range(3):
        g.edge(f"c{i}", "b")
        g.edge(f"d{i}", f"c{i}")
    impact = impact_for_api_version(api_version=g.version("a"), limit=4)
    assert [(s.slug, s.depth) for s in impact.transitive] == [
        ("c0", 2),
        ("c1", 2),
        ("c2", 2),
        ("d0", 3),
    ]
    assert impact.transitive[-1].path == ["a", "b", "c0", "d0"]
    assert (impact.direct_count, impact.transitive_count, impact.max_depth) == (1, 6, 3)


def test_api_impact_counts_a_consumer_of_two_versions_once():
    g = Graph()
    g.edge("b", "a")
    v2 = ApiVersionFactory(api=g.version("a").api, major=2, version="2.0.0")
    Dependency.objects.create(consumer=g.svc("b"), api_version=v2, provider=g.svc("a"))
    g.edge("c", "b")
    impact = impact_for_api(api=g.version("a").api)
    assert as_rows(impact) == {"b": (1, ["a", "b"]), "c": (2, ["a", "b", "c"])}
    assert (impact.direct_count, impact.transitive_count) == (1, 1)


def test_the_garbage_collector_is_left_as_it_was():
    import gc

    g = Graph()
    g.edge("b", "a")
    assert gc.isenabled()
    impact_for_api_version(api_version=g.version("a"))
    assert gc.isenabled()
    gc.disable()
    try:
        impact_for_api_version(api_version=g.version("a"))
        assert not gc.isenabled()
    finally:
        gc.enable()
