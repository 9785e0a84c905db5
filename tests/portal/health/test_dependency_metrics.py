"""Velocity and adoption in one statement on PostgreSQL (``selectors.dependency_metrics``) give
exactly what the per-figure queries give (the path other databases take), on a catalog with
retired and draft versions, upgrades, pending and legacy integrations, in every scope."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.db import connection

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
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
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
@pytest.mark.parametrize("limit", [selectors.TOP, 3, None])
@pytest.mark.parametrize("scope", ["portal", "team", "api", "layer", "team+layer"])
def test_one_statement_equals_the_per_figure_queries(catalog, filters, scope, limit):
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
def test_velocity_and_adoption_share_one_statement(org, filters, django_assert_num_queries):
    f = filters()
    with django_assert_num_queries(3):  # the statement, API names, team names
        selectors.integration_velocity(filters=f)
    with django_assert_num_queries(1):  # only the new consumers per month
        selectors.adoption(filters=f)
    with django_assert_num_queries(4):  # another limit is another computation (+ new per month)
        selectors.adoption(filters=f, limit=None)
    with django_assert_num_queries(4):  # new filters, new request: computed again
        selectors.adoption(filters=filters())


@postgres_only
def test_empty_catalog(db, filters):
    fast, velocity, adoption = _both(filters(), selectors.TOP)
    assert fast["velocity"] == velocity
    assert fast["adoption"] == adoption
    assert fast["velocity"]["median_days"] is None
    assert fast["adoption"]["active_consumers"] is None
