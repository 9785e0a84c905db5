"""The forms on the catalog's pages: owners edit their service, members declare dependencies.

Every refusal is checked in the response and in the database.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Dependency, Service
from tests.catalog.factories import ApiVersionFactory

pytestmark = pytest.mark.django_db

EDIT = {
    "tier": "2",
    "lifecycle": "deprecated",
    "repository_url": "https://git.example.com/payments/gateway",
    "documentation_url": "",
    "runbook_url": "https://runbooks.example.com/gateway",
    "onboarding_notes": "## New notes\n\nAsk in #payments.",
}


def edit_url() -> str:
    return reverse("catalog:service-edit", args=["gateway"])


def test_owner_edits_their_service(catalog, web_client, owner):
    client = web_client(owner)
    form = client.get(edit_url())
    assert form.status_code == 200
    assert 'name="csrfmiddlewaretoken"' in form.content.decode()
    response = client.post(edit_url(), EDIT)
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:service-detail", args=["gateway"])
    service = Service.objects.get(slug="gateway")
    assert (service.tier, service.lifecycle) == (2, "deprecated")
    assert service.repository_url == EDIT["repository_url"]
    assert service.onboarding_notes == EDIT["onboarding_notes"]
    page = client.get(response["Location"]).content.decode()
    assert "Gateway was updated" in page  # the success message
    assert "<h2>New notes</h2>" in page


def test_staff_admin_may_edit_any_service(catalog, web_client, admin):
    response = web_client(admin).post(edit_url(), EDIT)
    assert response.status_code == 302
    assert Service.objects.get(slug="gateway").tier == 2


@pytest.mark.parametrize("who", ["engineer", "member"])
def test_non_owners_are_refused_with_403_and_nothing_changes(catalog, web_client, request, who):
    client = web_client(request.getfixturevalue(who))
    assert client.get(edit_url()).status_code == 403
    response = client.post(edit_url(), EDIT)
    assert response.status_code == 403
    service = Service.objects.get(slug="gateway")
    assert (service.tier, service.lifecycle, service.repository_url) == (1, "production", "")


def test_owner_of_another_team_is_refused(catalog, web_client, make_user):
    from catalog.models import Membership

    other = make_user("oscar")
    Membership.objects.create(team=catalog["books"], user=other, role=Membership.Role.OWNER)
    assert web_client(other).post(edit_url(), EDIT).status_code == 403
    assert Service.objects.get(slug="gateway").tier == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [("tier", "7"), ("lifecycle", "zombie"), ("runbook_url", "javascript:alert(1)")],
)
def test_invalid_edit_is_a_400_with_the_form_and_nothing_changes(
    catalog, web_client, owner, field, value
):
    response = web_client(owner).post(edit_url(), {**EDIT, field: value})
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'role="alert"' in response.content.decode()
    service = Service.objects.get(slug="gateway")
    assert (service.tier, service.lifecycle, service.runbook_url) == (1, "production", "")


def test_csrf_is_enforced_on_the_edit_form(catalog, web_client, owner):
    client = web_client(owner, enforce_csrf=True)
    response = client.post(edit_url(), EDIT)
    assert response.status_code == 403
    assert Service.objects.get(slug="gateway").tier == 1
    # with the token from the form, the same post goes through
    client.get(edit_url())
    token = client.cookies["csrftoken"].value
    response = client.post(edit_url(), {**EDIT, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Service.objects.get(slug="gateway").tier == 2


# --- declaring a dependency ------------------------------------------------------------------


def declare(client, **overrides):
    data = {
        "consumer": "gateway",
        "api": "checkout-api",
        "version": "3.0.0",
        "purpose": "Refunds go back through checkout.",
        "requested_at": "2025-01-10",
        "live_at": "2025-02-01",
        **overrides,
    }
    return client.post(reverse("catalog:dependency-declare"), data)


@pytest.fixture
def checkout_v3(catalog):
    from tests.catalog.factories import ApiFactory

    api = ApiFactory(slug="checkout-api", name="Checkout API", provider=catalog["checkout"])
    return ApiVersionFactory(api=api, major=3, minor=0, patch=0)


@pytest.mark.parametrize("who", ["member", "owner", "admin"])
def test_team_members_declare_a_dependency(catalog, checkout_v3, web_client, request, who):
    response = declare(web_client(request.getfixturevalue(who)))
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:service-detail", args=["gateway"])
    dep = Dependency.objects.get(consumer__slug="gateway", api_version=checkout_v3)
    assert dep.provider == catalog["checkout"]  # set by the service, not the form
    assert dep.purpose.startswith("Refunds")
    assert str(dep.live_at) == "2025-02-01"


def test_declare_form_prefills_from_the_version_page(catalog, checkout_v3, web_client, member):
    response = web_client(member).get(
        reverse("catalog:dependency-declare"), {"api_version": checkout_v3.pk}
    )
    assert response.context["form"].initial == {"api": "checkout-api", "version": "3.0.0"}
    assert [s.slug for s in response.context["declarable"]] == ["gateway"]


def test_engineer_outside_the_team_is_refused_with_403(catalog, checkout_v3, web_client, engineer):
    response = declare(web_client(engineer))
    assert response.status_code == 403
    assert not Dependency.objects.filter(api_version=checkout_v3).exists()


def test_self_consumption_is_refused_with_a_message(catalog, web_client, owner):
    before = Dependency.objects.count()
    response = declare(web_client(owner), api="gateway-api", version="1.0.0")
    assert response.status_code == 400
    assert "cannot consume its own API" in response.content.decode()
    assert Dependency.objects.count() == before


def test_duplicate_declaration_is_a_409(catalog, web_client, owner):
    before = Dependency.objects.count()
    response = declare(web_client(owner), api="ledger-api", version="2.1.0")
    assert response.status_code == 409
    assert "This dependency already exists." in response.content.decode()
    assert Dependency.objects.count() == before


def test_live_before_requested_is_refused(catalog, checkout_v3, web_client, owner):
    response = declare(web_client(owner), requested_at="2025-03-01", live_at="2025-02-01")
    assert response.status_code == 400
    assert "Must be on or after requested_at." in response.content.decode()
    assert not Dependency.objects.filter(api_version=checkout_v3).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"consumer": "nope"}, "consumer"),
        ({"version": "9.9.9"}, "version"),
        ({"api": ""}, "api"),
        ({"live_at": "not-a-date"}, "live_at"),
    ],
)
def test_bad_declarations_are_400_with_field_errors(
    catalog, checkout_v3, web_client, owner, overrides, field
):
    response = declare(web_client(owner), **overrides)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Dependency.objects.filter(api_version=checkout_v3).exists()


def test_retired_version_cannot_gain_consumers(catalog, checkout_v3, web_client, owner):
    checkout_v3.status = "retired"
    checkout_v3.save()
    response = declare(web_client(owner))
    assert response.status_code == 400
    assert "retired" in response.content.decode()
    assert not Dependency.objects.filter(api_version=checkout_v3).exists()


def test_csrf_is_enforced_on_the_declare_form(catalog, checkout_v3, web_client, owner):
    response = declare(web_client(owner, enforce_csrf=True))
    assert response.status_code == 403
    assert not Dependency.objects.filter(api_version=checkout_v3).exists()
