"""Velocity and adoption on PostgreSQL (``selectors.dependency_metrics``: one statement per partition
of the provider teams, merged) give exactly what the per-figure queries give (the path other databases take), on a catalog with
retired and draft versions, upgrades, pending and legacy integrations, in every scope."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections, transaction
from django.db.models import Count

from catalog.models import ApiVersion
from portal.health import selectors
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)
from tests.portal.health.conftest import TODAY

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the partitioned statement is PostgreSQL's"
)


@pytest.fixture
def catalog(db):
    """8 provider/consumer teams, 16 services over the three layers, 10 APIs with 1-3 versions
    (some retired, some drafts, one API whose only versions are retired), ~120 dependencies."""
    rng = random.Random(42)
    teams = [TeamFactory(slug=f"t{i}", name=f"T{i}") for i in range(8)]
    layers = ["base", "core", "enabling"]
    services = [
        ServiceFactory(slug=f"s{i}", name=f"S{i}", owner=teams[i % 8], layer=layers[i % 3])
        for i in range(16)
    ]
    versions = []
    for i in range(10):
        api = ApiFactory(slug=f"a{i}", name=f"A{i}", provider=services[i])
        for major in range(1, 1 + (i % 3) + 1):
            status = ApiVersion.Status.ACTIVE
            stability = ApiVersion.Stability.STABLE
            if i == 9 or (major == 1 and i % 4 == 0):
                status = ApiVersion.Status.RETIRED
            if major == 3 and i % 2 == 0:
                stability = ApiVersion.Stability.DRAFT
            versions.append(
                ApiVersionFactory(api=api, major=major, status=status, stability=stability)
            )
    pairs = set()
    for _ in range(160):
        consumer = rng.choice(services)
        version = rng.choice(versions)
        if version.api.provider_id == consumer.pk or (consumer.pk, version.pk) in pairs:
            continue
        pairs.add((consumer.pk, version.pk))
        kind = rng.random()
        requested = TODAY - dt.timedelta(days=rng.randint(20, 500))
        if kind < 0.1:
            requested = live = None  # legacy
        elif kind < 0.2:
            live = None  # not live yet
        else:
            live = requested + dt.timedelta(days=rng.choice([0, 1, 3, 3, 7, 15, 30, 31, 60]))
        DependencyFactory(consumer=consumer, api_version=version, requested_at=requested,
                          live_at=live)  # fmt: skip
    return {"teams": teams, "versions": versions}


def _both(filters, limit):
    fast = selectors.dependency_metrics(filters=filters, limit=limit)
    velocity = selectors._integration_velocity_orm(filters=filters, limit=limit)
    adoption = selectors._adoption_orm(filters=filters, limit=limit)
    for key in ("new_by_month", "new_total"):
        adoption.pop(key)
    return fast, velocity, adoption


def _approx(value):
    if isinstance(value, float):
        return pytest.approx(value)
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    return value


@postgres_only
@pytest.mark.parametrize("partitions", [1, 2, 3])
@pytest.mark.parametrize("limit", [selectors.TOP, 3, None])
@pytest.mark.parametrize("scope", ["portal", "team", "api", "layer", "team+layer"])
def test_partitions_equal_the_per_figure_queries(catalog, filters, scope, limit, partitions,
                                                 settings):  # fmt: skip
    settings.HEALTH_METRICS_PARTITIONS = partitions
    team = catalog["teams"][1]
    api = catalog["versions"][2].api
    kwargs = {
        "portal": {},
        "team": {"team": team},
        "api": {"api": api},
        "layer": {"layer": "core"},
        "team+layer": {"team": team, "layer": "core"},
    }[scope]
    fast, velocity, adoption = _both(filters(months=24, **kwargs), limit)
    assert fast["velocity"] == _approx(velocity)
    assert fast["adoption"] == _approx(adoption)


@postgres_only
def test_the_catalog_exercises_every_case(catalog, filters):
    _fast, velocity, adoption = _both(filters(months=24), None)
    assert velocity["pending_count"] > 0
    assert 0 < adoption["newest_share"] < 1
    assert len(velocity["per_api"]) > 3 and len(adoption["per_team"]) > 3
    assert any(row["on_newest"] < row["consumers"] for row in adoption["per_api"])


@postgres_only
def test_velocity_and_adoption_share_the_statements(org, filters, django_assert_num_queries):
    f = filters()
    with django_assert_num_queries(4):  # one statement per partition (2), API names, team names
        selectors.integration_velocity(filters=f)
    with django_assert_num_queries(1):  # only the new consumers per month
        selectors.adoption(filters=f)
    with django_assert_num_queries(5):  # another limit is another computation (+ new per month)
        selectors.adoption(filters=f, limit=None)
    with django_assert_num_queries(5):  # new filters, new request: computed again
        selectors.adoption(filters=filters())
    with django_assert_num_queries(3):  # within a team: one partition
        selectors.integration_velocity(filters=filters(team=org.prov))


@postgres_only
def test_empty_catalog(db, filters):
    fast, velocity, adoption = _both(filters(), selectors.TOP)
    assert fast["velocity"] == velocity
    assert fast["adoption"] == adoption
    assert fast["velocity"]["median_days"] is None
    assert fast["adoption"]["active_consumers"] is None


def _overlapping_catalog(seed: int) -> None:
    """APIs with up to three supported versions whose consumers often depend on several of
    them, so that an API's edges and its distinct consumers rank the APIs (and teams)
    differently — what the candidate bounds of the adoption statement must get right."""
    rng = random.Random(seed)
    teams = [TeamFactory(slug=f"o{seed}-t{i}", name=f"O{i}") for i in range(6)]
    services = [
        ServiceFactory(slug=f"o{seed}-s{i}", owner=teams[i % 6], layer=["base", "core"][i % 2])
        for i in range(14)
    ]
    versions = []
    for i in range(9):
        api = ApiFactory(slug=f"o{seed}-a{i}", provider=services[i % 7])
        versions.append(
            [ApiVersionFactory(api=api, major=m) for m in range(1, 2 + rng.randint(0, 2))]
        )
    for consumer in services:
        for api_versions in rng.sample(versions, rng.randint(0, 6)):
            if api_versions[0].api.provider_id == consumer.pk:
                continue
            # Upgrading consumers sit on several versions at once.
            for version in rng.sample(api_versions, rng.randint(1, len(api_versions))):
                requested = TODAY - dt.timedelta(days=rng.randint(10, 400))
                live = requested + dt.timedelta(days=rng.randint(0, 40))
                DependencyFactory(consumer=consumer, api_version=version, requested_at=requested,
                                  live_at=None if rng.random() < 0.1 else live)  # fmt: skip


@postgres_only
@pytest.mark.parametrize("partitions", [1, 2])
@pytest.mark.parametrize("seed", range(6))
def test_adoption_candidates_rank_by_distinct_consumers(db, filters, seed, partitions, settings):
    settings.HEALTH_METRICS_PARTITIONS = partitions
    _overlapping_catalog(seed)
    f = filters(months=24)
    edges_order = list(
        selectors.dependencies(f)
        .filter(selectors.ACTIVE)
        .values("api_version__api")
        .annotate(n=Count("id"))
        .order_by("-n", "api_version__api")
        .values_list("api_version__api", flat=True)
    )
    _fast, _velocity, orm = _both(f, None)
    consumers_order = [row["api"].pk for row in orm["per_api"]]
    assert edges_order != consumers_order  # the seeds make the two rankings differ
    for limit in (1, 2, 3, 5, None):
        fast, velocity, adoption = _both(filters(months=24), limit)
        assert fast["adoption"] == _approx(adoption), limit
        assert fast["velocity"] == _approx(velocity), limit


def test_the_bounds_example_worked_out(db, filters):
    """A: 3 versions, 4 consumers on all three (12 edges, 4 consumers); B: 6 consumers on one
    version; C: 5. The two most adopted are B and C, though A has the most edges."""
    provider = ServiceFactory(slug="prov")
    consumers = [ServiceFactory(slug=f"c{i}") for i in range(6)]
    a, b, c = (ApiFactory(slug=slug, provider=provider) for slug in ("a", "b", "c"))
    for version in [ApiVersionFactory(api=a, major=m) for m in (1, 2, 3)]:
        for consumer in consumers[:4]:
            DependencyFactory(consumer=consumer, api_version=version)
    for api, n in ((b, 6), (c, 5)):
        version = ApiVersionFactory(api=api, major=1)
        for consumer in consumers[:n]:
            DependencyFactory(consumer=consumer, api_version=version)
    result = selectors.adoption(filters=filters(), limit=2)
    assert [(row["api"].slug, row["consumers"]) for row in result["per_api"]] == [
        ("b", 6),
        ("c", 5),
    ]
    assert result["active_consumers"] == 6 and result["edges"] == 23
    assert result["apis_consumed"] == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_partitions_run_concurrently_on_their_own_connections(filters, settings, monkeypatch):
    """Outside a transaction the other partitions run on worker threads, each on a connection
    of its own (closed afterwards), and give what running them in turn on one connection gives."""
    _overlapping_catalog(0)
    settings.HEALTH_METRICS_PARTITIONS = 3
    workers: list[tuple[str, int]] = []
    submit = ThreadPoolExecutor.submit

    def spy(pool, fn, *args):
        def recorded(*args):
            with connections["default"].cursor() as cursor:  # the connection fn will use
                cursor.execute("SELECT pg_backend_pid()")
                workers.append((threading.current_thread().name, cursor.fetchone()[0]))
            return fn(*args)

        return submit(pool, recorded, *args)

    monkeypatch.setattr(ThreadPoolExecutor, "submit", spy)
    concurrent = selectors.dependency_metrics(filters=filters(months=24), limit=3)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        main = cursor.fetchone()[0]
    assert len(workers) == 2 and all(name.startswith("health") for name, _ in workers)
    pids = [pid for _, pid in workers]
    assert main not in pids and len(set(pids)) == 2
    for _ in range(100):  # the workers' connections are closed (their backends exit)
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", [pids])
            if cursor.fetchone()[0] == 0:
                break
        time.sleep(0.02)
    else:
        pytest.fail(f"worker connections still open: {pids}")
    with transaction.atomic():  # inside a transaction: every partition on this connection
        in_turn = selectors.dependency_metrics(filters=filters(months=24), limit=3)
    assert concurrent == in_turn
    assert concurrent["adoption"]["per_api"] and concurrent["velocity"]["per_api"]
