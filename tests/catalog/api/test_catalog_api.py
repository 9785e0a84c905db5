"""The catalog REST API, role by role: every allowed action checks the response and the database,
every refusal checks the error body and that nothing changed."""

from __future__ import annotations

import pytest

from catalog.models import Api, ApiVersion, Dependency, Membership, Service, Team
from slas.models import VersioningPolicy
from tests.catalog.factories import (
    ApiFactory,
    ApiOperationFactory,
    ApiVersionFactory,
    DependencyFactory,
    ServiceFactory,
    TeamFactory,
)

pytestmark = pytest.mark.django_db

V1 = "/api/v1"


def assert_problem(response, status: int, *, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) >= {"type", "title", "detail", "errors"}
    assert body["detail"]
    if field:
        assert field in body["errors"], body
    return body


@pytest.fixture
def catalog(team):
    """payments (team) provides ledger with API ledger-api v1.0.0; search (other team) too."""
    other = TeamFactory(slug="search-team", name="Search Team")
    ledger = ServiceFactory(slug="ledger", name="Ledger", owner=team, layer="core", tier=1)
    search = ServiceFactory(slug="search", name="Search", owner=other, layer="enabling")
    api = ApiFactory(slug="ledger-api", name="Ledger API", provider=ledger)
    v1 = ApiVersionFactory(api=api, version="1.0.0")
    search_api = ApiFactory(slug="search-api", provider=search)
    sv1 = ApiVersionFactory(api=search_api, version="1.0.0")
    return {
        "team": team,
        "other": other,
        "ledger": ledger,
        "search": search,
        "api": api,
        "v1": v1,
        "search_api": search_api,
        "sv1": sv1,
    }


# --- anonymous ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/teams/", "/services/", "/apis/", "/api-versions/", "/dependencies/"]
)
def test_anonymous_cannot_read(api_client, catalog, path):
    response = api_client().get(V1 + path)
    assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]
    assert set(response.json()) >= {"type", "title", "detail", "errors"}


def test_anonymous_cannot_write(api_client, catalog):
    response = api_client().post(f"{V1}/services/", {"slug": "x", "name": "X", "owner": "payments"})
    assert response.status_code == 401 and "Token" in response["WWW-Authenticate"]
    assert not Service.objects.filter(slug="x").exists()


def test_token_authentication_works(api_client, engineer, catalog):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    token = Token.objects.create(user=engineer)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(f"{V1}/services/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION="Token wrong")
    assert client.get(f"{V1}/services/").status_code == 401


# --- engineer: reads everything -----------------------------------------------------------


def test_engineer_reads_every_resource(api_client, engineer, catalog):
    client = api_client(engineer)
    dep = DependencyFactory(consumer=catalog["search"], api_version=catalog["v1"])
    body = client.get(f"{V1}/services/").json()
    assert body["count"] == 2
    assert [s["slug"] for s in body["results"]] == ["ledger", "search"]
    ledger = client.get(f"{V1}/services/ledger/").json()
    assert ledger["owner"] == {"slug": "payments", "name": "Payments"}
    assert client.get(f"{V1}/teams/payments/").json()["service_count"] == 1
    assert client.get(f"{V1}/apis/ledger-api/").json()["provider"]["slug"] == "ledger"
    version = client.get(f"{V1}/api-versions/{catalog['v1'].pk}/").json()
    assert version["consumer_count"] == 1 and version["api"] == "ledger-api"
    d = client.get(f"{V1}/dependencies/{dep.pk}/").json()
    assert d["consumer"]["slug"] == "search" and d["provider"]["slug"] == "ledger"
    assert client.get(f"{V1}/services/nope/").status_code == 404
    assert_problem(client.get(f"{V1}/services/nope/"), 404)


def test_engineer_cannot_create_or_edit_services(api_client, engineer, catalog):
    client = api_client(engineer)
    body = assert_problem(
        client.post(f"{V1}/services/", {"slug": "x", "name": "X", "owner": "payments"}), 403
    )
    assert "owners" in body["detail"]
    assert not Service.objects.filter(slug="x").exists()
    assert_problem(client.patch(f"{V1}/services/ledger/", {"name": "Hacked"}), 403)
    assert_problem(client.delete(f"{V1}/services/search/"), 403)
    assert Service.objects.get(slug="ledger").name == "Ledger"
    assert Service.objects.filter(slug="search").exists()


def test_engineer_cannot_declare_for_other_teams(api_client, engineer, catalog):
    response = api_client(engineer).post(
        f"{V1}/dependencies/", {"consumer": "search", "api_version": catalog["v1"].pk}
    )
    assert_problem(response, 403)
    assert not Dependency.objects.exists()


def test_engineer_cannot_touch_teams_or_versions(api_client, engineer, catalog):
    client = api_client(engineer)
    assert_problem(client.post(f"{V1}/teams/", {"slug": "t", "name": "T"}), 403)
    assert_problem(client.patch(f"{V1}/teams/payments/", {"name": "X"}), 403)
    assert_problem(client.delete(f"{V1}/teams/payments/"), 403)
    assert_problem(
        client.post(f"{V1}/teams/payments/members/", {"username": engineer.username}), 403
    )
    assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "2.0.0"}), 403
    )
    assert_problem(client.patch(f"{V1}/api-versions/{catalog['v1'].pk}/", {"changelog": "x"}), 403)
    assert_problem(
        client.post(f"{V1}/apis/", {"slug": "a", "name": "A", "provider": "ledger"}), 403
    )
    assert Team.objects.get(slug="payments").name == "Payments"
    assert not Membership.objects.filter(user=engineer).exists()
    assert ApiVersion.objects.count() == 2 and Api.objects.count() == 2


# --- team member: declares dependencies -----------------------------------------------------


def test_member_declares_updates_and_removes_a_dependency(api_client, member, catalog):
    client = api_client(member)
    consumer = ServiceFactory(slug="checkout", owner=catalog["team"])
    op = ApiOperationFactory(api_version=catalog["sv1"], method="get", path="/search")
    response = client.post(
        f"{V1}/dependencies/",
        {
            "consumer": "checkout",
            "api_version": catalog["sv1"].pk,
            "operations": [op.pk],
            "purpose": "find things",
            "requested_at": "2025-01-01",
            "live_at": "2025-02-01",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["provider"]["slug"] == "search" and body["operations"] == [op.pk]
    dep = Dependency.objects.get(pk=body["id"])
    assert dep.provider == catalog["search"] and dep.consumer == consumer
    assert list(dep.operations.all()) == [op]

    sv2 = ApiVersionFactory(api=catalog["search_api"], major=2, version="2.0.0")
    response = client.patch(f"{V1}/dependencies/{dep.pk}/", {"api_version": sv2.pk})
    assert response.status_code == 200, response.content
    dep.refresh_from_db()
    assert dep.api_version == sv2 and dep.operations.count() == 0  # old operations cleared

    assert client.delete(f"{V1}/dependencies/{dep.pk}/").status_code == 204
    assert not Dependency.objects.filter(pk=dep.pk).exists()


def test_member_dependency_refusals(api_client, member, catalog):
    client = api_client(member)
    own = catalog["v1"]  # ledger's API; ledger belongs to member's team
    body = assert_problem(
        client.post(f"{V1}/dependencies/", {"consumer": "ledger", "api_version": own.pk}),
        400,
        field="consumer",
    )
    assert body["rule"] == "dependency-self"
    DependencyFactory(consumer=catalog["ledger"], api_version=catalog["sv1"])
    assert_problem(
        client.post(
            f"{V1}/dependencies/", {"consumer": "ledger", "api_version": catalog["sv1"].pk}
        ),
        409,
    )
    retired = ApiVersionFactory(
        api=catalog["search_api"], major=0, version="0.9.0", status="retired"
    )
    assert_problem(
        client.post(f"{V1}/dependencies/", {"consumer": "ledger", "api_version": retired.pk}),
        400,
        field="api_version",
    )
    assert_problem(
        client.post(
            f"{V1}/dependencies/",
            {"consumer": "ledger", "api_version": 999999},
        ),
        400,
        field="api_version",
    )
    other_op = ApiOperationFactory(api_version=catalog["v1"])
    v2 = ApiVersionFactory(api=catalog["search_api"], major=2, version="2.0.0")
    assert_problem(
        client.post(
            f"{V1}/dependencies/",
            {"consumer": "ledger", "api_version": v2.pk, "operations": [other_op.pk]},
        ),
        400,
        field="operations",
    )
    assert_problem(
        client.post(
            f"{V1}/dependencies/",
            {
                "consumer": "ledger",
                "api_version": v2.pk,
                "requested_at": "2025-02-01",
                "live_at": "2025-01-01",
            },
        ),
        400,
        field="live_at",
    )
    assert Dependency.objects.count() == 1


def test_member_cannot_edit_the_teams_services(api_client, member, catalog):
    client = api_client(member)
    assert_problem(client.patch(f"{V1}/services/ledger/", {"tier": 4}), 403)
    assert Service.objects.get(slug="ledger").tier == 1


# --- team owner: edits the team's services, APIs and versions -------------------------------


def test_owner_creates_updates_and_deletes_a_service(api_client, owner, catalog):
    client = api_client(owner)
    response = client.post(
        f"{V1}/services/",
        {
            "slug": "payouts",
            "name": "Payouts",
            "owner": "payments",
            "layer": "enabling",
            "tier": 2,
            "lifecycle": "experimental",
            "tags": ["Money", "pci"],
            "repository_url": "https://git.example.com/payouts",
            "onboarding_notes": "# Hello\n<script>alert(1)</script>",
            "links": [{"title": "Dashboards", "url": "https://grafana.example.com"}],
        },
    )
    assert response.status_code == 201, response.content
    assert response.json()["tags"] == ["money", "pci"]
    service = Service.objects.get(slug="payouts")
    assert (service.layer, service.tier, service.owner) == ("enabling", 2, catalog["team"])
    assert sorted(service.tags.values_list("slug", flat=True)) == ["money", "pci"]

    response = client.patch(f"{V1}/services/payouts/", {"tier": 1, "tags": ["pci"]})
    assert response.status_code == 200, response.content
    service.refresh_from_db()
    assert service.tier == 1 and list(service.tags.values_list("slug", flat=True)) == ["pci"]

    assert client.delete(f"{V1}/services/payouts/").status_code == 204
    assert not Service.objects.filter(slug="payouts").exists()


def test_owner_refusals_on_services(api_client, owner, catalog):
    client = api_client(owner)
    assert_problem(
        client.post(f"{V1}/services/", {"slug": "x", "name": "X", "owner": "search-team"}), 403
    )
    assert_problem(
        client.post(f"{V1}/services/", {"slug": "ledger", "name": "Again", "owner": "payments"}),
        409,
    )
    assert_problem(
        client.post(f"{V1}/services/", {"slug": "y", "name": "Y", "owner": "payments", "tier": 9}),
        400,
        field="tier",
    )
    assert_problem(
        client.post(f"{V1}/services/", {"slug": "bad slug!", "name": "Z", "owner": "payments"}),
        400,
        field="slug",
    )
    # moving a service to a team the owner does not own
    assert_problem(client.patch(f"{V1}/services/ledger/", {"owner": "search-team"}), 403)
    # a service providing APIs cannot be deleted
    body = assert_problem(client.delete(f"{V1}/services/ledger/"), 409)
    assert body["rule"] == "service-provides-apis"
    assert Service.objects.filter(owner=catalog["team"]).count() == 1
    assert Service.objects.get(slug="ledger").owner == catalog["team"]


def test_owner_publishes_versions(api_client, owner, catalog):
    client = api_client(owner)
    VersioningPolicy.objects.create(name="Default", is_default=True, min_notice_days_stable=200)
    response = client.post(
        f"{V1}/api-versions/",
        {"api": "ledger-api", "version": "1.1.0", "stability": "beta", "changelog": "new"},
    )
    assert response.status_code == 201, response.content
    version = ApiVersion.objects.get(api=catalog["api"], version="1.1.0")
    assert (version.major, version.minor, version.patch) == (1, 1, 0)
    assert version.policy_snapshot["name"] == "Default"
    assert version.policy_snapshot["min_notice_days"]["stable"] == 200
    assert response.json()["policy_snapshot"]["name"] == "Default"

    draft = client.post(
        f"{V1}/api-versions/", {"api": "ledger-api", "version": "2.0.0-rc.1", "stability": "draft"}
    ).json()
    assert ApiVersion.objects.get(pk=draft["id"]).policy_snapshot is None
    assert draft["prerelease"] == "rc.1"
    response = client.patch(f"{V1}/api-versions/{draft['id']}/", {"stability": "stable"})
    assert response.status_code == 200
    assert ApiVersion.objects.get(pk=draft["id"]).policy_snapshot["name"] == "Default"


def test_owner_version_refusals(api_client, owner, catalog):
    client = api_client(owner)
    body = assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "one"}),
        400,
        field="version",
    )
    assert "semantic version" in body["detail"]
    assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "1.0.0"}), 409
    )
    assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "search-api", "version": "9.0.0"}), 403
    )
    v1 = catalog["v1"]
    assert_problem(client.patch(f"{V1}/api-versions/{v1.pk}/", {"stability": "beta"}), 409)
    DependencyFactory(consumer=catalog["search"], api_version=v1)
    body = assert_problem(client.patch(f"{V1}/api-versions/{v1.pk}/", {"status": "retired"}), 409)
    assert body["rule"] == "version-retire-with-consumers"
    assert_problem(client.delete(f"{V1}/api-versions/{v1.pk}/"), 409)
    v1.refresh_from_db()
    assert (v1.stability, v1.status) == ("stable", "active")
    assert ApiVersion.objects.filter(api=catalog["api"]).count() == 1


def test_version_scheme_follows_the_policy(api_client, owner, catalog):
    policy = VersioningPolicy.objects.create(name="Calendar", scheme="calver")
    catalog["api"].policy = policy
    catalog["api"].save()
    client = api_client(owner)
    assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "2.0.0"}), 400
    )
    assert_problem(
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "2025-02-30"}), 400
    )
    response = client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "2025-01-31"})
    assert response.status_code == 201, response.content
    assert (response.json()["major"], response.json()["minor"]) == (2025, 1)
    policy.scheme = "major"
    policy.save()
    assert (
        client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "v3"}).status_code
        == 201
    )
    assert_problem(client.post(f"{V1}/api-versions/", {"api": "ledger-api", "version": "3.1"}), 400)


def test_owner_manages_apis(api_client, owner, catalog):
    client = api_client(owner)
    response = client.post(
        f"{V1}/apis/",
        {"slug": "ledger-events", "name": "Ledger events", "provider": "ledger", "type": "event"},
    )
    assert response.status_code == 201, response.content
    assert Api.objects.get(slug="ledger-events").type == "event"
    assert client.patch(f"{V1}/apis/ledger-events/", {"audience": "partner"}).status_code == 200
    assert Api.objects.get(slug="ledger-events").audience == "partner"
    assert_problem(client.patch(f"{V1}/apis/ledger-events/", {"policy": None}), 403)
    assert_problem(
        client.post(f"{V1}/apis/", {"slug": "x", "name": "X", "provider": "search"}), 403
    )
    DependencyFactory(consumer=catalog["search"], api_version=catalog["v1"])
    assert_problem(client.delete(f"{V1}/apis/ledger-api/"), 409)
    assert client.delete(f"{V1}/apis/ledger-events/").status_code == 204
    assert not Api.objects.filter(slug="ledger-events").exists()
    assert Api.objects.filter(slug="ledger-api").exists()


def test_owner_manages_members(api_client, owner, member, engineer, catalog):
    client = api_client(owner)
    response = client.post(f"{V1}/teams/payments/members/", {"username": engineer.username})
    assert response.status_code == 200, response.content
    assert Membership.objects.get(team=catalog["team"], user=engineer).role == "member"
    listing = client.get(f"{V1}/teams/payments/members/").json()
    assert {m["username"] for m in listing} == {owner.username, member.username, engineer.username}
    assert client.delete(f"{V1}/teams/payments/members/{engineer.username}/").status_code == 204
    assert not Membership.objects.filter(user=engineer).exists()
    # the last owner cannot leave nor be demoted
    assert_problem(client.delete(f"{V1}/teams/payments/members/{owner.username}/"), 409)
    assert_problem(
        client.post(
            f"{V1}/teams/payments/members/", {"username": owner.username, "role": "member"}
        ),
        409,
    )
    assert_problem(client.post(f"{V1}/teams/payments/members/", {"username": "ghost"}), 400)
    assert Membership.objects.get(user=owner).role == "owner"
    # the team itself
    assert client.patch(f"{V1}/teams/payments/", {"chat_channel": "#pay"}).status_code == 200
    assert Team.objects.get(slug="payments").chat_channel == "#pay"
    assert_problem(client.patch(f"{V1}/teams/search-team/", {"name": "X"}), 403)
    assert_problem(client.delete(f"{V1}/teams/payments/"), 403)


# --- staff ----------------------------------------------------------------------------------


def test_staff_does_everything(api_client, admin, catalog):
    client = api_client(admin)
    response = client.post(
        f"{V1}/teams/", {"slug": "platform", "name": "Platform", "email": "p@example.com"}
    )
    assert response.status_code == 201, response.content
    team = Team.objects.get(slug="platform")
    assert not Membership.objects.filter(team=team).exists()
    assert_problem(client.post(f"{V1}/teams/", {"slug": "platform", "name": "P"}), 409)
    assert_problem(client.delete(f"{V1}/teams/payments/"), 409)  # still owns services
    assert (
        client.post(
            f"{V1}/services/", {"slug": "gw", "name": "Gateway", "owner": "platform"}
        ).status_code
        == 201
    )
    policy = VersioningPolicy.objects.create(name="Strict")
    assert client.patch(f"{V1}/apis/ledger-api/", {"policy": policy.pk}).status_code == 200
    assert Api.objects.get(slug="ledger-api").policy == policy
    assert (
        client.post(
            f"{V1}/dependencies/", {"consumer": "gw", "api_version": catalog["v1"].pk}
        ).status_code
        == 201
    )
    assert client.delete(f"{V1}/teams/platform/").status_code == 409
    Service.objects.filter(slug="gw").delete()
    assert client.delete(f"{V1}/teams/platform/").status_code == 204
    assert not Team.objects.filter(slug="platform").exists()


# --- lists: filters, ordering, pagination ---------------------------------------------------


def test_service_filters(api_client, engineer, catalog):
    from catalog.services.catalog import tags_resolve

    catalog["ledger"].tags.set(tags_resolve(names=["pci", "money"]))
    ServiceFactory(
        slug="old",
        name="Old thing",
        owner=catalog["other"],
        layer="base",
        tier=4,
        lifecycle="deprecated",
        description="Legacy payments bridge",
    )
    client = api_client(engineer)

    def slugs(query):
        response = client.get(f"{V1}/services/?{query}")
        assert response.status_code == 200, response.content
        return [s["slug"] for s in response.json()["results"]]

    assert slugs("layer=core") == ["ledger"]
    assert slugs("layer=core&layer=enabling") == ["ledger", "search"]
    assert slugs("layer=core,base") == ["ledger", "old"]
    assert slugs("tier=4") == ["old"]
    assert slugs("lifecycle=deprecated") == ["old"]
    assert slugs("owner=search-team") == ["old", "search"]
    assert slugs("tag=pci") == ["ledger"]
    assert slugs("search=ledg") == ["ledger"]
    assert slugs("search=legacy") == ["old"]
    assert slugs("search=money") == ["ledger"]
    assert slugs("ordering=-name") == ["search", "old", "ledger"]
    assert slugs("ordering=tier") == ["ledger", "search", "old"]
    assert_problem(client.get(f"{V1}/services/?layer=nope"), 400, field="layer")


def test_other_list_filters(api_client, engineer, catalog):
    DependencyFactory(consumer=catalog["search"], api_version=catalog["v1"])
    ApiVersionFactory(
        api=catalog["api"], major=2, version="2.0.0", stability="beta", status="active"
    )
    client = api_client(engineer)
    versions = client.get(f"{V1}/api-versions/?api=ledger-api").json()["results"]
    assert [v["version"] for v in versions] == ["2.0.0", "1.0.0"]
    assert [
        v["version"]
        for v in client.get(f"{V1}/api-versions/?api=ledger-api&stability=beta").json()["results"]
    ] == ["2.0.0"]
    assert client.get(f"{V1}/api-versions/?status=retired").json()["count"] == 0
    deps = client.get(f"{V1}/dependencies/?consumer=search").json()
    assert deps["count"] == 1
    assert client.get(f"{V1}/dependencies/?api=ledger-api").json()["count"] == 1
    assert client.get(f"{V1}/dependencies/?api_version={catalog['sv1'].pk}").json()["count"] == 0
    assert client.get(f"{V1}/apis/?provider=search").json()["results"][0]["slug"] == "search-api"
    assert client.get(f"{V1}/teams/?search=pay").json()["results"][0]["slug"] == "payments"


def test_pagination(api_client, engineer, team):
    for i in range(7):
        ServiceFactory(slug=f"svc-{i}", owner=team)
    client = api_client(engineer)
    body = client.get(f"{V1}/services/?page_size=3").json()
    assert body["count"] == 7 and len(body["results"]) == 3 and "page=2" in body["next"]
    body = client.get(f"{V1}/services/?page_size=3&page=3").json()
    assert len(body["results"]) == 1 and body["next"] is None
    assert len(client.get(f"{V1}/services/?page_size=100000").json()["results"]) == 7
    assert_problem(client.get(f"{V1}/services/?page=99"), 404)


# --- impact ---------------------------------------------------------------------------------


def test_impact_endpoints(api_client, engineer, catalog):
    edge = ServiceFactory(slug="edge", name="Edge", owner=catalog["other"])
    DependencyFactory(consumer=catalog["search"], api_version=catalog["v1"])
    DependencyFactory(consumer=edge, api_version=catalog["sv1"])
    client = api_client(engineer)
    body = client.get(f"{V1}/api-versions/{catalog['v1'].pk}/impact/").json()
    assert body["direct_count"] == 1 and body["transitive_count"] == 1
    assert body["direct"][0]["slug"] == "search" and body["direct"][0]["relation"] == "direct"
    assert body["transitive"][0] == {
        "slug": "edge",
        "name": "Edge",
        "team": "search-team",
        "team_name": "Search Team",
        "depth": 2,
        "relation": "transitive",
        "path": ["ledger", "search", "edge"],
        "path_names": ["Ledger", "Search", "Edge"],
    }
    service = client.get(f"{V1}/services/ledger/impact/").json()
    assert service["subject"] == "service" and service["max_depth"] == 2
    limited = client.get(f"{V1}/apis/ledger-api/impact/?limit=0").json()
    assert limited["truncated"] is True and limited["direct"] == []
    assert client.get(f"{V1}/services/nope/impact/").status_code == 404
    assert api_client().get(f"{V1}/services/ledger/impact/").status_code == 401
