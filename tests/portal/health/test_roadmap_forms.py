"""The roadmap item pages: /health/roadmap/new/, /health/roadmap/<id>/edit/ and .../delete/.

Who: staff, or owners of the providing team (the API's rule, ``user_can_edit_roadmap_item``);
everyone else gets 403 (anonymous: the login) and the database does not change. What: the
service's refusals (quarter, cycle, self-dependency, title) come back as form errors.
"""

from __future__ import annotations

import pytest

from catalog.models import Membership
from portal.health.models import RoadmapItem
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

NEW = "/health/roadmap/new/"


def edit_url(item) -> str:
    return f"/health/roadmap/{item.pk}/edit/"


def delete_url(item) -> str:
    return f"/health/roadmap/{item.pk}/delete/"


def state() -> tuple[list, list]:
    """Every roadmap item and every prerequisite link, to prove a refusal changed nothing."""
    links = RoadmapItem.depends_on.through.objects.order_by("pk")
    return (
        list(RoadmapItem.objects.order_by("pk").values()),
        list(links.values_list("from_roadmapitem_id", "to_roadmapitem_id")),
    )


@pytest.fixture
def roadmap(org):
    """mesh (base 2025-Q2, prov) ← gateway (core 2025-Q3, prov, service p) ← portal (enabling
    2026-Q1, prov2)."""
    mesh = RoadmapItem.objects.create(
        title="Service mesh", layer="base", target_quarter="2025-Q2", team=org.prov
    )
    gateway = RoadmapItem.objects.create(
        title="API gateway", layer="core", target_quarter="2025-Q3", team=org.prov, service=org.p
    )
    gateway.depends_on.set([mesh])
    portal = RoadmapItem.objects.create(
        title="Self-service portal", layer="enabling", target_quarter="2026-Q1", team=org.prov2
    )
    portal.depends_on.set([gateway])
    return {"mesh": mesh, "gateway": gateway, "portal": portal}


def _user(make_user, name, team=None, role=Membership.Role.MEMBER):
    user = make_user(name)
    if team is not None:
        Membership.objects.create(team=team, user=user, role=role)
    return user


@pytest.fixture
def users(org, make_user, engineer, admin):
    """One user per role, relative to the providing team ``prov``."""
    return {
        "engineer": engineer,  # signed in, no team
        "other_member": _user(make_user, "amy", org.alpha),  # member of another team
        "other_owner": _user(make_user, "otto", org.prov2, Membership.Role.OWNER),
        "provider_member": _user(make_user, "pam", org.prov),  # a member, not an owner
        "provider_owner": _user(make_user, "paul", org.prov, Membership.Role.OWNER),
        "admin": admin,
    }


def body(**change) -> dict:
    return {
        "title": "Tracing",
        "description": "Distributed **tracing**.",
        "layer": "base",
        "team": "prov",
        "service": "",
        "target_quarter": "2025-Q4",
        "status": "planned",
        **change,
    }


# --- who may -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_and_nothing_changes(roadmap, client):
    mesh = roadmap["mesh"]
    before = state()
    for url in (NEW, edit_url(mesh), delete_url(mesh)):
        for response in (client.get(url), client.post(url, body())):
            assert response.status_code == 302, url
            assert response["Location"].startswith("/login/?next="), url
    assert state() == before


@pytest.mark.parametrize("role", ["engineer", "other_member", "provider_member"])
def test_who_owns_no_team_may_not_add_items(roadmap, users, web_client, role):
    client = web_client(users[role])
    before = state()
    assert client.get(NEW).status_code == 403
    assert client.post(NEW, body()).status_code == 403
    assert state() == before


@pytest.mark.parametrize("role", ["engineer", "other_member", "other_owner", "provider_member"])
def test_who_does_not_own_the_providing_team_may_not_edit_or_delete(
    roadmap, users, web_client, role
):
    client = web_client(users[role])
    mesh = roadmap["mesh"]
    before = state()
    assert client.get(edit_url(mesh)).status_code == 403
    assert client.post(edit_url(mesh), body(title="Hijacked")).status_code == 403
    assert client.get(delete_url(mesh)).status_code == 403
    assert client.post(delete_url(mesh)).status_code == 403
    assert state() == before


def test_an_owner_of_another_team_may_not_add_items_for_the_provider(roadmap, users, web_client):
    client = web_client(users["other_owner"])
    page = client.get(NEW)
    assert page.status_code == 200
    assert b'value="prov2"' in page.content and b'value="prov"' not in page.content
    before = state()
    # Another team is not among the choices ...
    response = client.post(NEW, body(team="prov"))
    assert response.status_code == 400 and b"Select a valid choice" in response.content
    # ... and a service of another team is refused by the service's own rule.
    response = client.post(NEW, body(team="", service="p"))
    assert response.status_code == 403
    assert b"Only staff, or owners of the providing team" in response.content
    assert state() == before


@pytest.mark.parametrize("role", ["provider_owner", "admin"])
def test_owners_of_the_providing_team_and_staff_add_items(roadmap, users, web_client, role):
    client = web_client(users[role])
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, body(depends_on=[roadmap["mesh"].pk]))
    item = RoadmapItem.objects.get(title="Tracing")
    assert response.status_code == 302
    assert response["Location"] == f"/health/roadmap/?selected={item.pk}#item"
    assert (item.layer, item.team.slug, item.target_quarter, item.status) == (
        "base", "prov", "2025-Q4", "planned",
    )  # fmt: skip
    assert list(item.depends_on.all()) == [roadmap["mesh"]]
    page = client.get(response["Location"])
    assert f'data-item="{item.pk}"' in page.content.decode()  # its card
    assert "Roadmap item &#x27;Tracing&#x27; was added." in page.content.decode()


def test_the_team_defaults_to_the_owner_of_the_providing_service(roadmap, users, web_client):
    client = web_client(users["provider_owner"])
    response = client.post(NEW, body(team="", service="p"))
    assert response.status_code == 302
    item = RoadmapItem.objects.get(title="Tracing")
    assert (item.service.slug, item.team.slug) == ("p", "prov")


@pytest.mark.parametrize("role", ["provider_owner", "admin"])
def test_owners_and_staff_edit_and_delete(roadmap, users, web_client, role):
    client = web_client(users[role])
    mesh = roadmap["mesh"]
    page = client.get(edit_url(mesh))
    assert page.status_code == 200
    assert b'value="Service mesh"' in page.content and b'value="2025-Q2"' in page.content
    response = client.post(edit_url(mesh), body(title="Mesh v2", target_quarter="2025-Q3"))
    assert response.status_code == 302
    assert response["Location"] == f"/health/roadmap/?selected={mesh.pk}#item"
    mesh.refresh_from_db()
    assert (mesh.title, mesh.target_quarter) == ("Mesh v2", "2025-Q3")
    assert client.post(delete_url(mesh)).status_code == 302
    assert not RoadmapItem.objects.filter(pk=mesh.pk).exists()


def test_the_owner_of_one_team_does_not_edit_the_other_teams_items(roadmap, users, web_client):
    client = web_client(users["provider_owner"])
    portal = roadmap["portal"]  # provided by prov2
    before = state()
    assert client.get(edit_url(portal)).status_code == 403
    assert client.post(edit_url(portal), body(team="prov")).status_code == 403
    assert client.post(delete_url(portal)).status_code == 403
    assert state() == before


def test_links_on_the_roadmap_page_follow_the_permission(roadmap, users, web_client):
    mesh, portal = roadmap["mesh"], roadmap["portal"]

    def page(role, item=None):
        url = "/health/roadmap/" + (f"?selected={item.pk}" if item else "")
        return web_client(users[role]).get(url).content.decode()

    for role in ("engineer", "other_member", "provider_member"):
        html = page(role, mesh)
        assert NEW not in html and edit_url(mesh) not in html and delete_url(mesh) not in html
    html = page("other_owner", mesh)
    assert NEW in html and edit_url(mesh) not in html
    html = page("provider_owner", mesh)
    assert NEW in html and edit_url(mesh) in html and delete_url(mesh) in html
    assert edit_url(portal) not in page("provider_owner", portal)
    assert edit_url(portal) in page("admin", portal)


def test_no_such_item_is_a_404(roadmap, users, web_client):
    client = web_client(users["admin"])
    for pk in (999999, 2**63, 10**20):
        assert client.get(f"/health/roadmap/{pk}/edit/").status_code == 404
        assert client.post(f"/health/roadmap/{pk}/delete/").status_code == 404


def test_other_methods_are_refused(roadmap, users, web_client):
    client = web_client(users["admin"])
    before = state()
    assert client.put(edit_url(roadmap["mesh"])).status_code == 405
    assert client.delete(delete_url(roadmap["mesh"])).status_code == 405
    assert state() == before


# --- what the service refuses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"target_quarter": "2025-Q5"}, "target_quarter", "is not a quarter like 2025-Q3"),
        ({"target_quarter": "next year"}, "target_quarter", "is not a quarter like 2025-Q3"),
        ({"target_quarter": "\u0662\u0660\u0662\u0665-Q3"}, "target_quarter", "not a quarter"),
        ({"title": ""}, "title", "This field is required."),
        ({"title": "   "}, "title", "This field is required."),
        ({"layer": "middle"}, "layer", "Select a valid choice."),
        ({"service": "nope"}, "service", "No service with that slug."),
        ({"depends_on": ["999999"]}, "depends_on", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_and_writes_nothing(roadmap, users, web_client, change, field, message):
    client = web_client(users["admin"])
    before = state()
    for url in (NEW, edit_url(roadmap["mesh"])):
        response = client.post(url, body(**change))
        assert response.status_code == 400, url
        errors = response.context["form"].errors
        assert field in errors and any(message in e for e in errors[field]), errors
        assert 'role="alert"' in response.content.decode()
    assert state() == before


def test_a_cycle_is_refused_naming_the_items(roadmap, users, web_client):
    mesh, portal = roadmap["mesh"], roadmap["portal"]
    client = web_client(users["admin"])
    before = state()
    response = client.post(
        edit_url(mesh), body(title="Service mesh", target_quarter="2025-Q2", depends_on=[portal.pk])
    )
    assert response.status_code == 400
    [error] = response.context["form"].errors["depends_on"]
    assert error == (
        "'Service mesh' cannot depend on 'Self-service portal': "
        "they already depend on it (a cycle)."
    )
    assert "&#x27;Self-service portal&#x27;" in response.content.decode()
    assert state() == before


def test_self_dependency_is_refused(roadmap, users, web_client):
    mesh = roadmap["mesh"]
    client = web_client(users["provider_owner"])
    before = state()
    response = client.post(edit_url(mesh), body(title="Service mesh", depends_on=[mesh.pk]))
    assert response.status_code == 400
    assert response.context["form"].errors["depends_on"] == [
        "'Service mesh' cannot depend on itself (a cycle)."
    ]
    assert state() == before


def test_editing_keeps_the_item_its_dependents_and_its_history(roadmap, users, web_client):
    gateway, mesh, portal = roadmap["gateway"], roadmap["mesh"], roadmap["portal"]
    created = gateway.created_at
    client = web_client(users["provider_owner"])
    response = client.post(
        edit_url(gateway),
        body(title="API gateway 2", layer="core", service="p", status="in_progress",
             target_quarter="2025-Q4", depends_on=[]),
    )  # fmt: skip
    assert response.status_code == 302
    gateway.refresh_from_db()
    assert (gateway.title, gateway.status, gateway.created_at) == (
        "API gateway 2", "in_progress", created,
    )  # fmt: skip
    assert gateway.updated_at > created
    assert not gateway.depends_on.exists()  # its prerequisites are what the form said
    assert list(portal.depends_on.all()) == [gateway]  # what depends on it is kept
    assert RoadmapItem.objects.filter(pk=mesh.pk).exists()


def test_the_edit_form_shows_what_is_stored(roadmap, users, web_client):
    gateway = roadmap["gateway"]
    form = web_client(users["admin"]).get(edit_url(gateway)).context["form"]
    assert form.initial["service"] == "p" and form.initial["team"] == "prov"
    assert form.initial["depends_on"] == [roadmap["mesh"].pk]


def test_delete_asks_first_then_removes_the_item_and_its_links(roadmap, users, web_client):
    gateway, portal = roadmap["gateway"], roadmap["portal"]
    client = web_client(users["provider_owner"])
    before = state()
    page = client.get(delete_url(gateway))
    assert page.status_code == 200 and state() == before
    html = page.content.decode()
    assert 'data-testid="dependents"' in html and "Self-service portal" in html
    assert 'name="csrfmiddlewaretoken"' in html
    response = client.post(delete_url(gateway))
    assert response.status_code == 302 and response["Location"] == "/health/roadmap/"
    assert not RoadmapItem.objects.filter(pk=gateway.pk).exists()
    assert RoadmapItem.objects.filter(pk=portal.pk).exists()
    assert not portal.depends_on.exists()


# --- CSRF and Markdown --------------------------------------------------------------------------


def test_every_form_needs_the_csrf_token(roadmap, users, web_client):
    mesh = roadmap["mesh"]
    client = web_client(users["admin"], enforce_csrf=True)
    before = state()
    for url, data in ((NEW, body()), (edit_url(mesh), body()), (delete_url(mesh), {})):
        response = client.post(url, data)
        assert response.status_code == 403 and b"CSRF verification failed" in response.content
    assert state() == before
    page = client.get(NEW)
    assert 'name="csrfmiddlewaretoken"' in page.content.decode()
    token = client.cookies["csrftoken"].value
    assert client.post(NEW, {**body(), "csrfmiddlewaretoken": token}).status_code == 302
    assert RoadmapItem.objects.filter(title="Tracing").exists()


def test_the_description_is_markdown_rendered_sanitised(roadmap, users, web_client):
    client = web_client(users["admin"])
    description = "**Bold** plan <script>alert('x')</script> <img src=x onerror=alert(1)>"
    client.post(NEW, body(description=description))
    item = RoadmapItem.objects.get(title="Tracing")
    assert item.description == description  # stored as written, sanitised when shown
    for url in (f"/health/roadmap/?selected={item.pk}", delete_url(item)):
        html = client.get(url).content.decode()
        assert "<strong>Bold</strong>" in html, url
        assert "<script>alert" not in html and "onerror" not in html, url
    form = client.get(edit_url(item)).content.decode()
    assert "&lt;script&gt;" in form and "<script>alert" not in form  # escaped in the textarea


# --- in a real browser --------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_owner_adds_an_item_in_the_browser(page, live_server, make_user):
    from tests.catalog.factories import TeamFactory

    team = TeamFactory(slug="infra", name="Infra")
    RoadmapItem.objects.create(title="Service mesh", layer="base", target_quarter="2025-Q2")
    owner = make_user("olga")
    Membership.objects.create(team=team, user=owner, role=Membership.Role.OWNER)
    page.goto(page.portal_url("/login/"))
    page.fill("#id_username", "olga")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(page.portal_url("/health/roadmap/"))
    page.click("[data-testid=roadmap-new]")
    page.fill("#id_title", "Tracing")
    page.select_option("#id_layer", "core")
    page.select_option("#id_team", "infra")
    page.fill("#id_target_quarter", "2025-Q3")
    page.select_option("#id_depends_on", label="Service mesh (2025-Q2)")
    page.click("text=Add item")
    page.wait_for_selector("[data-testid=roadmap] svg")
    item = RoadmapItem.objects.get(title="Tracing")
    card = page.locator(f"svg.roadmap a[data-item='{item.pk}']")
    assert "selected" in card.get_attribute("class")
    assert page.locator("#item").inner_text() == "Tracing"
    assert page.locator("[data-testid=roadmap-edit]").count() == 1
