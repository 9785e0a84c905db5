"""Bad input gets a clear 4xx, never a 500: every query parameter of every read operation in
the schema (lists, details and actions), with values that break naive parsing (an id beyond 64 bits, a non-ASCII digit,
text), plus the pages where such 500s were found.

Regressions: ``/api/v1/deprecations/?api_version=99999999999999999999`` (and ``api``,
``affecting_team``; ``/api/v1/migrations/?deprecation=…``, ``consumer``, ``team``) raised
OverflowError on SQLite (a range error on PostgreSQL); ``/catalog/dependencies/new/?api_version=abc``
raised ValueError; ``/api/v1/versioning-policies/effective/?api_version=²`` raised ValueError.
"""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.portal.security.test_api_matrix import OPERATIONS, _url

ODD_VALUES = ["99999999999999999999", "-99999999999999999999", "²", "abc"]
READS = [(m, p, o) for m, p, o in OPERATIONS if m == "GET"]


def test_query_parameters_never_answer_500(world):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(world.admin)
    failures = []
    checked = 0
    for _, path, _ in READS:
        url = _url(path, world)
        for param in schema["paths"][path]["get"].get("parameters", []):
            if param["in"] != "query" or param["name"] in ("page", "page_size"):
                continue
            for value in ODD_VALUES:
                checked += 1
                response = client.get(url, {param["name"]: value})
                if response.status_code >= 500:
                    failures.append(f"{url}?{param['name']}={value} → {response.status_code}")
    assert checked > 100
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/deprecations/", "api_version"),
        ("/api/v1/deprecations/", "api"),
        ("/api/v1/deprecations/", "affecting_team"),
        ("/api/v1/migrations/", "deprecation"),
        ("/api/v1/migrations/", "consumer"),
        ("/api/v1/migrations/", "team"),
    ],
)
def test_an_id_beyond_64_bits_is_no_match_or_a_400(world, url, param):
    client = APIClient()
    client.force_authenticate(world.engineer)
    response = client.get(url, {param: "99999999999999999999"})
    assert response.status_code in (200, 400), response.content
    if response.status_code == 200:
        assert response.json()["count"] == 0
    else:
        assert param in response.json()["errors"]


def test_the_deprecation_id_filters_still_work(world):
    client = APIClient()
    client.force_authenticate(world.engineer)
    rows = client.get("/api/v1/deprecations/", {"api_version": world.v1.pk}).json()
    assert [r["id"] for r in rows["results"]] == [world.deprecation.pk]
    rows = client.get("/api/v1/deprecations/", {"api": str(world.api.pk)}).json()
    assert [r["id"] for r in rows["results"]] == [world.deprecation.pk]
    rows = client.get("/api/v1/migrations/", {"deprecation": world.deprecation.pk}).json()
    assert [r["id"] for r in rows["results"]] == [world.migration.pk]
    rows = client.get("/api/v1/migrations/", {"team": world.shop.slug}).json()
    assert [r["id"] for r in rows["results"]] == [world.migration.pk]


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/deprecations/?api_version=99999999999999999999",
        "/catalog/deprecations/?api=99999999999999999999",
        "/catalog/deprecations/?affecting_team=99999999999999999999",
        "/catalog/dependencies/new/?api_version=abc",
        "/catalog/dependencies/new/?api_version=99999999999999999999",
        "/catalog/dependencies/new/?api_version=²",
    ],
)
def test_pages_with_odd_ids_do_not_fail(world, url):
    client = Client(raise_request_exception=False)
    client.force_login(world.consumer_member)
    response = client.get(url)
    assert response.status_code in (200, 400), response.status_code


def test_the_declare_form_is_still_prefilled_from_a_good_id(world):
    client = Client()
    client.force_login(world.consumer_member)
    html = client.get(f"/catalog/dependencies/new/?api_version={world.v2.pk}").content.decode()
    assert 'value="sec-api"' in html
    assert 'value="2.0.0"' in html
