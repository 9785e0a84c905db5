"""A small hand-built organisation whose metric answers are worked out in the tests.

Providers: team ``prov`` owns service P (base layer, API ``pay`` with v1 and v2); team ``prov2``
owns service Q (core layer, API ``ledger`` v1). Consumers: C1, C2 (team ``alpha``), C3, C4
(team ``beta``).

    dep  consumer  version     requested   live        days
    d1   C1        pay v1      2025-01-01  2025-01-11  10
    d2   C2        pay v2      2025-02-01  2025-02-21  20
    d3   C3        pay v2      2025-03-01  2025-03-31  30
    d4   C1        ledger v1   2025-03-01  2025-03-05   4
    d5   C3        ledger v1   2025-05-01  —           pending
    d6   C2        ledger v1   —           —           legacy (active, no dates)
    d7   C1        pay v2      2025-04-01  2025-04-11  10  (upgrade: not a new consumer)
    d8   C4        pay v1      —           —           legacy (active, no dates)

"Today" is 2025-06-15.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

from catalog.models import Membership
from portal.health.selectors import HealthFilters
from tests.catalog.factories import (
    ApiFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

TODAY = dt.date(2025, 6, 15)
D = dt.date


@pytest.fixture
def org(db):
    prov = TeamFactory(slug="prov", name="Prov")
    prov2 = TeamFactory(slug="prov2", name="Prov Two")
    alpha = TeamFactory(slug="alpha", name="Alpha")
    beta = TeamFactory(slug="beta", name="Beta")
    p = ServiceFactory(slug="p", name="P", owner=prov, layer="base")
    q = ServiceFactory(slug="q", name="Q", owner=prov2, layer="core")
    c1 = ServiceFactory(slug="c1", name="C1", owner=alpha)
    c2 = ServiceFactory(slug="c2", name="C2", owner=alpha)
    c3 = ServiceFactory(slug="c3", name="C3", owner=beta)
    c4 = ServiceFactory(slug="c4", name="C4", owner=beta)
    pay = ApiFactory(slug="pay", name="Pay", provider=p)
    ledger = ApiFactory(slug="ledger", name="Ledger", provider=q)
    pay1 = ApiVersionFactory(api=pay, major=1)
    pay2 = ApiVersionFactory(api=pay, major=2)
    ledger1 = ApiVersionFactory(api=ledger, major=1)

    def dep(consumer, version, requested=None, live=None):
        return DependencyFactory(
            consumer=consumer, api_version=version, requested_at=requested, live_at=live
        )

    deps = SimpleNamespace(
        d1=dep(c1, pay1, D(2025, 1, 1), D(2025, 1, 11)),
        d2=dep(c2, pay2, D(2025, 2, 1), D(2025, 2, 21)),
        d3=dep(c3, pay2, D(2025, 3, 1), D(2025, 3, 31)),
        d4=dep(c1, ledger1, D(2025, 3, 1), D(2025, 3, 5)),
        d5=dep(c3, ledger1, D(2025, 5, 1), None),
        d6=dep(c2, ledger1),
        d7=dep(c1, pay2, D(2025, 4, 1), D(2025, 4, 11)),
        d8=dep(c4, pay1),
    )
    return SimpleNamespace(
        prov=prov, prov2=prov2, alpha=alpha, beta=beta, p=p, q=q, c1=c1, c2=c2, c3=c3, c4=c4,
        pay=pay, ledger=ledger, pay1=pay1, pay2=pay2, ledger1=ledger1, deps=deps,
    )  # fmt: skip


@pytest.fixture
def filters():
    def make(**kwargs) -> HealthFilters:
        return HealthFilters(today=TODAY, **kwargs)

    return make


@pytest.fixture
def alpha_member(make_user, org):
    user = make_user("amy")
    Membership.objects.create(team=org.alpha, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def beta_member(make_user, org):
    user = make_user("ben")
    Membership.objects.create(team=org.beta, user=user, role=Membership.Role.MEMBER)
    return user
