"""The catalog's pages: who may see them, what they show, and their empty and error states."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from catalog.models import Service
from tests.catalog.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def page_urls(catalog) -> list[str]:
    return [
        reverse("catalog:service-list"),
        reverse("catalog:service-list") + "?search=gateway&layer=core",
        reverse("catalog:layers"),
        reverse("catalog:service-detail", args=["gateway"]),
        reverse("catalog:service-edit", args=["gateway"]),
        reverse("catalog:service-impact", args=["gateway"]),
        reverse("catalog:apiversion-impact", args=[catalog["gw_v1"].pk]),
        reverse("catalog:dependency-declare"),
        reverse("catalog:team-detail", args=["payments"]),
        reverse("catalog:api-detail", args=["gateway-api"]),
        reverse("catalog:apiversion-detail", args=[catalog["gw_v1"].pk]),
    ]


def test_anonymous_visitors_are_sent_to_login(catalog, web_client):
    client = web_client()
    for url in [*page_urls(catalog), "/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


def test_anonymous_post_to_a_form_is_sent_to_login_and_changes_nothing(catalog, web_client):
    response = web_client().post(
        reverse("catalog:service-edit", args=["gateway"]),
        {"tier": 4, "lifecycle": "retired"},
    )
    assert response.status_code == 302
    assert Service.objects.get(slug="gateway").tier == 1


def test_every_page_renders_for_an_engineer(catalog, web_client, owner):
    client = web_client(owner)  # the owner may also open the edit form
    for url in page_urls(catalog):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert '<a class="skip-link" href="#main">' in body  # keyboard users skip the header
        assert "<h1" in body


def test_home_is_the_catalog(web_client, engineer):
    response = web_client(engineer).get("/?layer=core")
    assert response.status_code == 302
    assert response["Location"] == reverse("catalog:service-list") + "?layer=core"


# --- the catalog home ------------------------------------------------------------------------


def rows(response) -> list[str]:
    return re.findall(r'class="service-link">([^<]+)</a>', response.content.decode())


def test_catalog_lists_services_with_facet_counts(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:service-list"))
    assert rows(response) == ["Checkout", "Ledger", "Payment Gateway", "Risk Scoring"]
    facets = response.context["facets"]
    assert {f.value: f.count for f in facets.layer} == {"base": 1, "core": 2, "enabling": 1}
    body = response.content.decode()
    assert 'for="f-layer-core">Core service <span class="count"' in body
    assert "4 services" in body


def test_search_narrows_the_list(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:service-list"), {"search": "gateway"})
    assert rows(response) == ["Payment Gateway"]
    assert 'value="gateway"' in response.content.decode()  # the box keeps the query


def test_layer_and_tier_filters_combine_and_keep_other_layers_counts(catalog, web_client, engineer):
    url = reverse("catalog:service-list") + "?layer=core&layer=base&tier=2"
    response = web_client(engineer).get(url)
    assert rows(response) == ["Ledger"]
    facets = response.context["facets"]
    # the layer facet ignores the layer filter itself, so other layers still show their counts
    assert {f.value: (f.count, f.selected) for f in facets.layer}["enabling"] == (1, False)
    assert {f.value: f.selected for f in facets.layer}["core"] is True
    assert 'id="f-layer-core" checked' in response.content.decode()


def test_team_and_tag_filters(catalog, web_client, engineer):
    gateway = catalog["gateway"]
    from catalog.services.catalog import tags_resolve

    gateway.tags.set(tags_resolve(names=["pci"]))
    client = web_client(engineer)
    assert rows(client.get(reverse("catalog:service-list"), {"owner": "books"})) == [
        "Ledger",
        "Risk Scoring",
    ]
    response = client.get(reverse("catalog:service-list"), {"tag": "pci"})
    assert rows(response) == ["Payment Gateway"]
    assert [(f.value, f.count) for f in response.context["facets"].tag] == [("pci", 1)]


def test_invalid_filter_shows_an_error_state_with_400(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:service-list"), {"layer": "sky"})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="catalog-error"' in body and "layer" in body
    assert "Clear all filters" in body


def test_no_match_shows_an_empty_state(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:service-list"), {"search": "zzz-nothing"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="empty-state"' in body and "No service matches these filters" in body


def test_empty_catalog_explains_how_to_fill_it(web_client, engineer):
    body = web_client(engineer).get(reverse("catalog:service-list")).content.decode()
    assert "The catalog is empty" in body and "seed_demo" in body


def test_htmx_request_gets_the_results_partial_only(catalog, web_client, engineer):
    response = web_client(engineer).get(
        reverse("catalog:service-list"), {"search": "ledger"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "<header" not in body
    assert rows(response) == ["Ledger"]


def test_catalog_paginates(web_client, engineer, team):
    for i in range(30):
        ServiceFactory(slug=f"svc-{i:02d}", name=f"Svc {i:02d}", owner=team)
    client = web_client(engineer)
    first = client.get(reverse("catalog:service-list"))
    assert len(rows(first)) == 25
    assert 'rel="next"' in first.content.decode()
    second = client.get(reverse("catalog:service-list"), {"page": 2})
    assert rows(second) == [f"Svc {i:02d}" for i in range(25, 30)]
    # out of range and garbage page numbers fall back instead of failing
    assert client.get(reverse("catalog:service-list"), {"page": 99}).status_code == 200
    assert client.get(reverse("catalog:service-list"), {"page": "x"}).status_code == 200


# --- service, team, API, version and layers pages -----------------------------------------


def test_service_page_shows_owners_apis_consumers_dependencies_graph_and_impact(
    catalog, web_client, engineer, owner
):
    response = web_client(engineer).get(reverse("catalog:service-detail", args=["gateway"]))
    body = response.content.decode()
    assert "Payment Gateway" in body and "Payments" in body
    assert owner.get_username() in body  # the team's owner is listed
    assert "Gateway API" in body and "1.0.0" in body  # its API and version
    # consumers: checkout and risk; it depends on the ledger
    consumers = response.context["consumers"]
    assert sorted(d.consumer.slug for d in consumers.rows) == ["checkout", "risk"]
    assert [d.provider.slug for d in response.context["depends_on"].rows] == ["ledger"]
    # the graph: an <svg> whose nodes link to the neighbours
    svg = re.search(r'<svg[^>]*id="neighbourhood".*?</svg>', body, re.S).group(0)
    assert 'href="/catalog/services/checkout/"' in svg
    assert 'href="/catalog/services/ledger/"' in svg
    assert 'data-upstream="1"' in svg and 'data-downstream="2"' in svg
    # the impact summary loads lazily (htmx), with a plain link for browsers without JavaScript
    assert 'hx-get="/catalog/services/gateway/impact/" hx-trigger="load"' in body
    # links for the edit/declare actions are hidden from an outsider
    assert reverse("catalog:service-edit", args=["gateway"]) not in body


def test_onboarding_notes_are_rendered_as_sanitised_markdown(catalog, web_client, engineer):
    body = (
        web_client(engineer).get(reverse("catalog:service-detail", args=["gateway"])).content
    ).decode()
    notes = re.search(r'data-testid="onboarding-notes">(.*?)</div>', body, re.S).group(1)
    assert "<h1>Start here</h1>" in notes and "<strong>this</strong>" in notes
    assert "<script" not in notes and "alert" not in notes


def test_owner_sees_the_edit_link(catalog, web_client, owner):
    body = web_client(owner).get(reverse("catalog:service-detail", args=["gateway"])).content
    assert reverse("catalog:service-edit", args=["gateway"]).encode() in body


def test_service_without_neighbours_has_empty_states(web_client, engineer, team):
    ServiceFactory(slug="lonely", name="Lonely", owner=team)
    body = web_client(engineer).get(reverse("catalog:service-detail", args=["lonely"]))
    text = body.content.decode()
    assert "Nobody consumes Lonely yet" in text
    assert "Lonely depends on nothing in the catalog" in text
    assert "No dependencies in either direction yet." in text
    assert "provides no API yet" in text


@pytest.mark.parametrize(
    "url",
    [
        "/catalog/services/nope/",
        "/catalog/services/nope/edit/",
        "/catalog/teams/nope/",
        "/catalog/apis/nope/",
        "/catalog/api-versions/999999/",
        "/catalog/services/nope/impact/",
        "/catalog/api-versions/999999/impact/",
    ],
)
def test_unknown_objects_are_404(web_client, engineer, url):
    assert web_client(engineer).get(url).status_code == 404


def test_team_page_shows_services_members_and_what_it_consumes(
    catalog, web_client, engineer, owner, member
):
    response = web_client(engineer).get(reverse("catalog:team-detail", args=["payments"]))
    body = response.content.decode()
    assert [s.slug for s in response.context["services"].rows] == ["gateway"]
    assert owner.get_username() in body and member.get_username() in body
    consumes = response.context["consumes"].rows
    assert [(d.consumer.slug, d.provider.slug) for d in consumes] == [("gateway", "ledger")]
    assert "Ledger API 2.1.0" in body


def test_team_page_marks_my_team(catalog, web_client, member):
    body = web_client(member).get(reverse("catalog:team-detail", args=["payments"])).content
    assert b"your team" in body


def test_api_page_lists_versions_with_consumer_counts(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:api-detail", args=["gateway-api"]))
    versions = list(response.context["versions"])
    assert [(v.version, v.consumer_count) for v in versions] == [("1.0.0", 2)]
    assert "Payment Gateway" in response.content.decode()


def test_api_version_page_lists_consumers_and_impact(catalog, web_client, engineer):
    version = catalog["gw_v1"]
    response = web_client(engineer).get(reverse("catalog:apiversion-detail", args=[version.pk]))
    body = response.content.decode()
    assert sorted(d.consumer.slug for d in response.context["consumers"].rows) == [
        "checkout",
        "risk",
    ]
    assert "Gateway API 1.0.0" in body
    assert f'hx-get="/catalog/api-versions/{version.pk}/impact/"' in body
    assert f"api_version={version.pk}" in body  # "declare that we use it"


def test_layers_page_shows_services_by_layer_and_flows(catalog, web_client, engineer):
    response = web_client(engineer).get(reverse("catalog:layers"))
    body = response.content.decode()
    assert 'data-testid="layers-graph"' in body
    # checkout (enabling) → gateway (core); gateway (core) → ledger (base);
    # ledger (base) → risk (core) (upward); risk (core) → gateway (core) (within)
    assert 'data-from="enabling" data-to="core" data-count="1"' in body
    assert 'data-from="core" data-to="base" data-count="1"' in body
    assert 'data-from="base" data-to="core" data-count="1"' in body
    groups = {g["layer"]: [s.slug for s in g["services"]] for g in response.context["groups"]}
    assert groups == {"enabling": ["checkout"], "core": ["gateway", "risk"], "base": ["ledger"]}
    assert response.context["total_dependencies"] == 4


def test_layers_page_empty_state(web_client, engineer):
    body = web_client(engineer).get(reverse("catalog:layers")).content.decode()
    assert "The catalog is empty" in body


@pytest.mark.parametrize("htmx", [True, False])
def test_service_impact_lists_direct_and_transitive_consumers_with_paths(
    catalog, web_client, engineer, htmx
):
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = web_client(engineer).get(
        reverse("catalog:service-impact", args=["gateway"]), **headers
    )
    body = response.content.decode()
    impact = response.context["impact"]
    # checkout and risk directly; ledger (consumes risk) transitively, through the cycle
    assert {s.slug for s in impact.direct} == {"checkout", "risk"}
    assert {s.slug for s in impact.transitive} == {"ledger"}
    assert 'data-testid="impact-direct">2<' in body
    assert 'data-testid="impact-transitive">1<' in body
    assert "Payment Gateway → Risk Scoring → Ledger" in body
    assert ("<html" in body) is not htmx  # a fragment for htmx, a page otherwise


def test_api_version_impact(catalog, web_client, engineer):
    version = catalog["ledger_v2"]  # consumed by gateway, which checkout and risk consume
    response = web_client(engineer).get(
        reverse("catalog:apiversion-impact", args=[version.pk]), HTTP_HX_REQUEST="true"
    )
    impact = response.context["impact"]
    assert [s.slug for s in impact.direct] == ["gateway"]
    assert {s.slug for s in impact.transitive} == {"checkout", "risk"}
    assert "Ledger → Payment Gateway → Checkout" in response.content.decode()
