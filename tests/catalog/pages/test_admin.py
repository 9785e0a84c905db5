"""Django admin of the catalog: it writes through the services and shows their refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Api, ApiVersion, Dependency, Membership, Service, Team

pytestmark = pytest.mark.django_db

MODELS = [
    "team",
    "service",
    "api",
    "apiversion",
    "apioperation",
    "dependency",
    "tag",
    "domain",
    "system",
]


def inline(prefix: str, rows: list[dict] | None = None, initial: int = 0) -> dict:
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows or [])),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows or []):
        data.update({f"{prefix}-{i}-{k}": v for k, v in row.items()})
    return data


@pytest.mark.parametrize("model", MODELS)
def test_changelists_and_add_forms_render_for_staff(catalog, web_client, admin, model):
    client = web_client(admin)
    changelist = client.get(reverse(f"admin:catalog_{model}_changelist"), {"q": "a"})
    assert changelist.status_code == 200
    if model != "apioperation":  # operations come from specs only
        assert client.get(reverse(f"admin:catalog_{model}_add")).status_code == 200


def test_change_forms_render(catalog, web_client, admin):
    client = web_client(admin)
    for model, pk in [
        ("team", catalog["books"].pk),
        ("service", catalog["gateway"].pk),
        ("api", catalog["gateway_api"].pk),
        ("apiversion", catalog["gw_v1"].pk),
        ("dependency", Dependency.objects.first().pk),
    ]:
        assert client.get(reverse(f"admin:catalog_{model}_change", args=[pk])).status_code == 200


@pytest.mark.parametrize("who", ["engineer", "owner"])
def test_non_staff_cannot_use_the_admin(catalog, web_client, request, who):
    response = web_client(request.getfixturevalue(who)).get(
        reverse("admin:catalog_service_changelist")
    )
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_adding_a_dependency_goes_through_the_service(catalog, web_client, admin):
    checkout, ledger_v2 = catalog["checkout"], catalog["ledger_v2"]
    response = web_client(admin).post(
        reverse("admin:catalog_dependency_add"),
        {
            "consumer": checkout.pk,
            "api_version": ledger_v2.pk,
            "purpose": "Invoices",
            "requested_at": "2025-01-01",
            "live_at": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    dep = Dependency.objects.get(consumer=checkout, api_version=ledger_v2)
    assert dep.provider == catalog["ledger"]  # set by the service from the version's API
    assert dep.purpose == "Invoices"


def test_self_consumption_through_the_admin_is_refused_with_a_message(catalog, web_client, admin):
    gateway, gw_v1 = catalog["gateway"], catalog["gw_v1"]
    before = Dependency.objects.count()
    response = web_client(admin).post(
        reverse("admin:catalog_dependency_add"),
        {"consumer": gateway.pk, "api_version": gw_v1.pk, "purpose": ""},
    )
    assert response.status_code == 200  # the form again, with the service's message
    assert "A service cannot consume its own API." in response.content.decode()
    assert Dependency.objects.count() == before


def test_switching_a_dependency_to_another_version_goes_through_the_service(
    catalog, web_client, admin
):
    from tests.catalog.factories import ApiVersionFactory

    ledger_v3 = ApiVersionFactory(api=catalog["ledger_api"], major=3)
    dep = Dependency.objects.get(consumer=catalog["gateway"], api_version=catalog["ledger_v2"])
    response = web_client(admin).post(
        reverse("admin:catalog_dependency_change", args=[dep.pk]),
        {"api_version": ledger_v3.pk, "purpose": "moved", "requested_at": "", "live_at": ""},
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    dep.refresh_from_db()
    assert (dep.api_version, dep.purpose, dep.provider) == (ledger_v3, "moved", catalog["ledger"])


def test_invalid_semver_through_the_admin_is_refused(catalog, web_client, admin):
    response = web_client(admin).post(
        reverse("admin:catalog_apiversion_add"),
        {
            "api": catalog["gateway_api"].pk,
            "version": "one.two",
            "stability": "beta",
            "status": "active",
            **inline("operations"),
        },
    )
    assert response.status_code == 200
    assert "not a valid" in response.content.decode()
    assert not ApiVersion.objects.filter(version="one.two").exists()


def test_adding_a_version_parses_it(catalog, web_client, admin):
    response = web_client(admin).post(
        reverse("admin:catalog_apiversion_add"),
        {
            "api": catalog["gateway_api"].pk,
            "version": "1.4.2-rc.1",
            "stability": "beta",
            "status": "active",
            **inline("operations"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    version = ApiVersion.objects.get(api=catalog["gateway_api"], version="1.4.2-rc.1")
    assert (version.major, version.minor, version.patch, version.prerelease) == (1, 4, 2, "rc.1")


def test_adding_a_team_with_members_goes_through_the_services(web_client, admin, engineer):
    response = web_client(admin).post(
        reverse("admin:catalog_team_add"),
        {
            "slug": "search",
            "name": "Search",
            "description": "",
            "email": "search@example.com",
            "chat_channel": "#search",
            **inline("memberships", [{"user": engineer.pk, "role": "owner"}]),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    team = Team.objects.get(slug="search")
    assert list(team.memberships.values_list("user__username", "role")) == [("eve", "owner")]


def test_bad_team_email_is_refused(web_client, admin):
    response = web_client(admin).post(
        reverse("admin:catalog_team_add"),
        {"slug": "x", "name": "X", "email": "not-an-email", **inline("memberships")},
    )
    assert response.status_code == 200
    assert not Team.objects.filter(slug="x").exists()


def test_demoting_the_last_owner_in_the_inline_is_refused(catalog, web_client, admin, owner, team):
    membership = Membership.objects.get(team=team, user=owner)
    response = web_client(admin).post(
        reverse("admin:catalog_team_change", args=[team.pk]),
        {
            "name": team.name,
            "description": "",
            "email": team.email,
            "chat_channel": "",
            **inline(
                "memberships",
                [{"id": membership.pk, "team": team.pk, "user": owner.pk, "role": "member"}],
                initial=1,
            ),
        },
    )
    assert response.status_code == 200
    assert "last owner" in response.content.decode()
    membership.refresh_from_db()
    assert membership.role == "owner"


def test_changing_a_service_goes_through_the_service(catalog, web_client, admin, team):
    gateway = catalog["gateway"]
    response = web_client(admin).post(
        reverse("admin:catalog_service_change", args=[gateway.pk]),
        {
            "name": "Payment Gateway",
            "description": "Takes card payments.",
            "owner": team.pk,
            "kind": "service",
            "layer": "core",
            "tier": "2",
            "lifecycle": "production",
            "repository_url": "https://git.example.com/gw",
            "links": "[]",
            "annotations": "{}",
            "onboarding_notes": "",
            **inline("apis", [], initial=0),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    gateway.refresh_from_db()
    assert (gateway.tier, gateway.repository_url) == (2, "https://git.example.com/gw")


def test_adding_an_api_inline_under_a_service(catalog, web_client, admin, team):
    from tests.catalog.factories import ServiceFactory

    svc = ServiceFactory(slug="fresh", name="Fresh", owner=team)
    response = web_client(admin).post(
        reverse("admin:catalog_service_change", args=[svc.pk]),
        {
            "name": "Fresh",
            "description": "",
            "owner": team.pk,
            "kind": "service",
            "layer": "core",
            "tier": "3",
            "lifecycle": "production",
            "links": "[]",
            "annotations": "{}",
            **inline(
                "apis",
                [
                    {
                        "slug": "fresh-api",
                        "name": "Fresh API",
                        "type": "grpc",
                        "audience": "internal",
                    }
                ],
            ),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    api = Api.objects.get(slug="fresh-api")
    assert (api.provider, api.type) == (svc, "grpc")


def test_deleting_a_service_that_provides_apis_is_refused(catalog, web_client, admin):
    gateway = catalog["gateway"]
    response = web_client(admin).post(
        reverse("admin:catalog_service_delete", args=[gateway.pk]), {"post": "yes"}, follow=True
    )
    assert "Cannot delete service" in response.content.decode()  # its APIs are protected
    assert Service.objects.filter(pk=gateway.pk).exists()


def test_deleting_an_api_with_consumers_is_refused_by_the_service(catalog, web_client, admin):
    api = catalog["gateway_api"]
    response = web_client(admin).post(
        reverse("admin:catalog_api_delete", args=[api.pk]), {"post": "yes"}, follow=True
    )
    assert "has consumers and cannot be deleted" in response.content.decode()
    assert Api.objects.filter(pk=api.pk).exists()
    assert ApiVersion.objects.filter(pk=catalog["gw_v1"].pk).exists()


def test_bulk_delete_refusal_is_reported_per_object(catalog, web_client, admin):
    from tests.catalog.factories import ApiFactory

    spare = ApiFactory(slug="spare-api", name="Spare API", provider=catalog["gateway"])
    gateway_api = catalog["gateway_api"]
    response = web_client(admin).post(
        reverse("admin:catalog_api_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [spare.pk, gateway_api.pk],
            "post": "yes",
        },
        follow=True,
    )
    assert "has consumers and cannot be deleted" in response.content.decode()
    assert not Api.objects.filter(pk=spare.pk).exists()
    assert Api.objects.filter(pk=gateway_api.pk).exists()
