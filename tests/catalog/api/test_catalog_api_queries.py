"""The list and impact endpoints use the same number of queries with 5 rows and with 200."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Dependency, Service
from catalog.services.catalog import tags_resolve
from tests.catalog.factories import ApiFactory, ApiVersionFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db


def build(n: int):
    """``n`` services with tags, each consuming the hub's version; a second ring consumes them."""
    team = TeamFactory(slug=f"team-{n}")
    hub = ServiceFactory(slug=f"hub-{n}", owner=team)
    version = ApiVersionFactory(api=ApiFactory(slug=f"hub-{n}-api", provider=hub))
    tags = tags_resolve(names=["a", "b"])
    for i in range(n):
        s = ServiceFactory(slug=f"s{n}-{i}", owner=TeamFactory(slug=f"t{n}-{i % 7}"))
        s.tags.set(tags)
        Dependency.objects.create(consumer=s, api_version=version, provider=hub)
        if i % 2:
            own = ApiVersionFactory(api=ApiFactory(slug=f"s{n}-{i}-api", provider=s))
            prev = Service.objects.get(slug=f"s{n}-{i - 1}")
            Dependency.objects.create(consumer=prev, api_version=own, provider=s)
    return hub, version


def count(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/services/?page_size=500",
        "/api/v1/services/?page_size=500&tag=a&layer=core",
        "/api/v1/services/?page_size=500&search=s",
        "/api/v1/dependencies/?page_size=500",
        "/api/v1/api-versions/?page_size=500",
        "/api/v1/apis/?page_size=500",
        "/api/v1/teams/?page_size=500",
    ],
)
def test_lists_are_constant(api_client, admin, url):
    client = api_client(admin)
    build(5)
    small = count(client, url)
    build(200)
    large = count(client, url)
    assert small == large


def test_impact_is_constant(api_client, admin):
    client = api_client(admin)
    _, v5 = build(5)
    hub5 = v5.api.provider.slug
    small = [
        count(client, f"/api/v1/api-versions/{v5.pk}/impact/"),
        count(client, f"/api/v1/services/{hub5}/impact/"),
    ]
    _, v200 = build(200)
    hub200 = v200.api.provider.slug
    body = client.get(f"/api/v1/api-versions/{v200.pk}/impact/").json()
    assert body["direct_count"] == 200
    large = [
        count(client, f"/api/v1/api-versions/{v200.pk}/impact/"),
        count(client, f"/api/v1/services/{hub200}/impact/"),
    ]
    assert small == large
