"""The write path every catalog ViewSet shares (``catalog.api.viewsets.CatalogViewSet``): the row
is found before permissions are checked (404, then 403), permissions before the body is read
(403, not 400), and a written row is answered exactly as ``GET {id}`` renders it."""

from __future__ import annotations

import pytest

from catalog.models import ApiVersion, Service, Team
from tests.catalog.factories import ApiFactory, ApiVersionFactory, ServiceFactory, TeamFactory

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


@pytest.fixture
def rows(team):
    other = TeamFactory(slug="search-team", name="Search Team")
    ledger = ServiceFactory(slug="ledger", name="Ledger", owner=team)
    api = ApiFactory(slug="ledger-api", name="Ledger API", provider=ledger)
    v1 = ApiVersionFactory(api=api, version="1.0.0")
    return {"other": other, "ledger": ledger, "api": api, "v1": v1}


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("post", "/teams/", {"slug": "bad slug!", "name": ""}),
        ("patch", "/teams/payments/", {"name": "x" * 500}),
        ("patch", "/services/ledger/", {"tier": 9}),
        ("patch", "/apis/ledger-api/", {"type": "nope"}),
        ("patch", "/api-versions/{v1}/", {"stability": "nope"}),
    ],
)
def test_an_engineer_is_refused_before_the_body_is_read(
    api_client, engineer, rows, method, path, body
):
    before = (Team.objects.count(), Service.objects.get(slug="ledger").tier)
    response = getattr(api_client(engineer), method)(
        V1 + path.format(v1=rows["v1"].pk), body, format="json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["detail"]
    assert (Team.objects.count(), Service.objects.get(slug="ledger").tier) == before


@pytest.mark.parametrize(
    "method, path",
    [
        ("patch", "/teams/nope/"),
        ("delete", "/teams/nope/"),
        ("patch", "/services/nope/"),
        ("delete", "/apis/nope/"),
        ("delete", "/api-versions/999999/"),
        ("patch", "/dependencies/999999/"),
    ],
)
def test_a_missing_row_is_404_before_any_permission_check(api_client, engineer, method, path):
    response = getattr(api_client(engineer), method)(V1 + path, {}, format="json")
    assert response.status_code == 404, response.content


def test_an_owner_deletes_an_unused_version(api_client, owner, member, rows):
    draft = ApiVersionFactory(api=rows["api"], version="2.0.0", major=2)
    assert api_client(member).delete(f"{V1}/api-versions/{draft.pk}/").status_code == 403
    assert ApiVersion.objects.filter(pk=draft.pk).exists()
    assert api_client(owner).delete(f"{V1}/api-versions/{draft.pk}/").status_code == 204
    assert not ApiVersion.objects.filter(pk=draft.pk).exists()


def test_written_rows_are_answered_as_get_renders_them(api_client, owner, rows):
    client = api_client(owner)
    created = client.post(
        f"{V1}/api-versions/",
        {"api": "ledger-api", "version": "2.0.0", "spec": ""},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert "spec" in created.json()  # the detail serializer, not the list's
    assert created.json() == client.get(f"{V1}/api-versions/{created.json()['id']}/").json()

    updated = client.patch(f"{V1}/services/ledger/", {"tier": 2}, format="json")
    assert updated.status_code == 200, updated.content
    assert updated.json()["tier"] == 2
    assert updated.json() == client.get(f"{V1}/services/ledger/").json()

    team = client.patch(f"{V1}/teams/payments/", {"chat_channel": "#pay"}, format="json")
    assert team.status_code == 200, team.content
    assert team.json() == client.get(f"{V1}/teams/payments/").json()
