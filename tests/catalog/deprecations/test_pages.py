"""The deprecation pages: the form with its live impact preview, the deprecation page with the
migration board and actions, the team and version panels. Roles, CSRF, refusals shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from catalog.models import ConsumerMigration, Deprecation
from portal.notifications.models import ChangeEvent

pytestmark = pytest.mark.django_db
NEW = "/catalog/deprecations/new/"


def _form_data(world, today, **overrides):
    data = {
        "api_version": world.v1.pk,
        "scope": "version",
        "reason": "v2 is better",
        "replacement_version": world.v2.pk,
        "migration_guide_url": "https://docs.example.com/v2",
        "sunset_date": (today + dt.timedelta(days=200)).isoformat(),
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client, world):
    resp = client.get(f"{NEW}?api_version={world.v1.pk}")
    assert resp.status_code == 302 and "/login/" in resp["Location"]


def test_owner_sees_form_with_impact_preview(web_client, world):
    resp = web_client(world.owner).get(f"{NEW}?api_version={world.v1.pk}")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-testid="impact-preview"' in html
    assert 'data-testid="impact-direct-teams">2<' in html
    assert 'data-testid="impact-direct-services">3<' in html
    assert "hx-get" in html and "csrfmiddlewaretoken" in html


def test_version_picker_lists_owned_versions(web_client, world, engineer):
    html = web_client(world.owner).get(NEW).content.decode()
    assert f"?api_version={world.v1.pk}" in html
    html = web_client(engineer).get(NEW).content.decode()
    assert "You own no API versions" in html


def test_non_owner_gets_403(web_client, world, engineer):
    for user in (engineer, world.member, world.sam):
        assert web_client(user).get(f"{NEW}?api_version={world.v1.pk}").status_code == 403
        resp = web_client(user).post(NEW, _form_data(world, dt.date.today()))
        assert resp.status_code == 403
    assert Deprecation.objects.count() == 0


def test_preview_partial_follows_scope_and_operations(web_client, world):
    url = "/catalog/deprecations/impact-preview/"
    client = web_client(world.owner)
    html = client.get(url, {"api_version": world.v1.pk, "scope": "version"}).content.decode()
    assert 'data-testid="impact-direct-services">3<' in html
    html = client.get(
        url,
        {"api_version": world.v1.pk, "scope": "operations", "operations": [world.op_refund.pk]},
    ).content.decode()
    # billing uses /refunds, ledger declared nothing; checkout only uses /charges.
    assert 'data-testid="impact-direct-services">2<' in html
    assert "Billing" in html and "Ledger" in html and "Checkout" not in html
    assert client.get(url).status_code == 400


def test_save_draft_then_announce_from_the_page(web_client, world, today):
    client = web_client(world.owner)
    resp = client.post(NEW, {**_form_data(world, today), "submit": "draft"})
    assert resp.status_code == 302
    d = Deprecation.objects.get()
    assert d.state == "draft" and ChangeEvent.objects.count() == 0
    resp = client.post(f"/catalog/deprecations/{d.pk}/announce/")
    assert resp.status_code == 302
    d.refresh_from_db()
    assert d.state == "announced"
    assert ConsumerMigration.objects.filter(deprecation=d).count() == 3


def test_announce_now_refusal_is_shown_and_nothing_written(web_client, world, today):
    data = _form_data(world, today, sunset_date=(today + dt.timedelta(days=30)).isoformat())
    resp = web_client(world.owner).post(NEW, {**data, "submit": "announce"})
    assert resp.status_code == 400
    assert "at least 180 days of notice" in resp.content.decode()
    assert Deprecation.objects.count() == 0  # the draft was rolled back too
    assert ChangeEvent.objects.count() == 0


def test_announce_now(web_client, world, today):
    resp = web_client(world.owner).post(NEW, {**_form_data(world, today), "submit": "announce"})
    assert resp.status_code == 302
    d = Deprecation.objects.get()
    assert resp["Location"] == d.get_absolute_url()
    assert d.state == "announced"


def test_form_errors_are_shown(web_client, world, today):
    resp = web_client(world.owner).post(NEW, _form_data(world, today, reason="", sunset_date=""))
    assert resp.status_code == 400
    assert resp.content.decode().count('class="error"') >= 2


def test_pages_need_csrf(web_client, world, announced, today):
    client = web_client(world.owner, enforce_csrf=True)
    assert client.post(NEW, _form_data(world, today)).status_code == 403
    assert client.post(f"/catalog/deprecations/{announced.pk}/cancel/").status_code == 403
    m = ConsumerMigration.objects.filter(deprecation=announced).first()
    assert client.post(f"/catalog/migrations/{m.pk}/acknowledge/").status_code == 403
    assert Deprecation.objects.get(pk=announced.pk).state == "announced"


def test_detail_page_shows_board_and_actions_by_role(web_client, world, announced, engineer):
    url = announced.get_absolute_url()
    html = web_client(world.owner).get(url).content.decode()
    assert 'data-testid="migration-board"' in html
    assert "Reschedule" in html and "Cancel deprecation" in html
    assert "Deprecation: @" in html  # gateway headers
    assert "/exempt/" in html  # the API owner may exempt
    assert "/acknowledge/" not in html  # but not act for consumers
    html = web_client(world.sam).get(url).content.decode()
    assert "/acknowledge/" in html and "Reschedule" not in html and "/exempt/" not in html
    html = web_client(engineer).get(url).content.decode()
    assert "/acknowledge/" not in html and "Reschedule" not in html
    assert "days left" in html


def test_consumer_acknowledges_from_the_board(web_client, world, announced):
    m = ConsumerMigration.objects.get(deprecation=announced, consumer=world.checkout)
    resp = web_client(world.sam).post(f"/catalog/migrations/{m.pk}/acknowledge/", follow=True)
    assert resp.status_code == 200
    m.refresh_from_db()
    assert m.state == "acknowledged" and m.acknowledged_by == world.sam
    assert "acknowledged by sam" in resp.content.decode()


def test_refusals_on_pages_are_messages(web_client, world, announced, engineer):
    m = ConsumerMigration.objects.get(deprecation=announced, consumer=world.checkout)
    resp = web_client(engineer).post(f"/catalog/migrations/{m.pk}/complete/", follow=True)
    assert "Only members of the team" in resp.content.decode()
    assert ConsumerMigration.objects.get(pk=m.pk).state == "notified"
    resp = web_client(world.owner).post(
        f"/catalog/deprecations/{announced.pk}/retire/", follow=True
    )
    assert "has not been reached" in resp.content.decode()
    resp = web_client(world.sam).post(
        f"/catalog/migrations/{m.pk}/object/", {"reason": ""}, follow=True
    )
    assert "a reason is required" in resp.content.decode()
    assert (
        web_client(world.owner).post(f"/catalog/deprecations/{announced.pk}/nope/").status_code
        == 400
    )


def test_detail_query_count_constant(web_client, world, announced, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.catalog.factories import DependencyFactory, ServiceFactory

    client = web_client(world.sam)
    with CaptureQueriesContext(connection) as few:
        client.get(announced.get_absolute_url())
    for i in range(15):
        s = ServiceFactory(slug=f"more-{i}", owner=world.shop)
        DependencyFactory(consumer=s, api_version=world.v1)
        ConsumerMigration.objects.create(deprecation=announced, consumer=s, state="notified")
    with CaptureQueriesContext(connection) as many:
        client.get(announced.get_absolute_url())
    assert len(many) == len(few)


def test_list_page_filters(web_client, world, announced):
    client = web_client(world.sam)
    html = client.get("/catalog/deprecations/?affecting_team=shop").content.decode()
    assert announced.get_absolute_url() in html
    html = client.get("/catalog/deprecations/?state=retired").content.decode()
    assert "No deprecations match" in html


def _render(template, **context):
    request = RequestFactory().get("/")
    request.user = context.pop("user")
    return Template("{% load deprecation_tags %}" + template).render(
        Context({"request": request, **context})
    )


def test_team_changes_panel(world, announced, make_draft, today):
    html = _render("{% team_changes_panel team %}", team=world.shop, user=world.sam)
    assert "What is changing under Shop" in html
    assert str(world.v1) in html and "Checkout" in html and "Billing" in html
    assert "200 days left" in html
    html = _render("{% team_changes_panel team %}", team=world.team, user=world.sam)
    assert "Nothing this team consumes is being deprecated" in html


def test_team_panel_orders_by_sunset(world, announced, make_draft, today):
    from catalog.services.deprecations import deprecation_announce

    sooner = make_draft(
        scope="operations", operations=[world.op_charge], sunset_date=today + dt.timedelta(days=185)
    )
    deprecation_announce(deprecation=sooner, actor=world.owner)
    html = _render("{% team_changes_panel team %}", team=world.shop, user=world.sam)
    assert html.index("some operations") < html.index("200 days left")


def test_version_panel(world, announced, engineer):
    html = _render("{% version_deprecations_panel v %}", v=world.v1, user=world.owner)
    assert announced.get_absolute_url() in html and "0 of 3 consumers done" in html
    html = _render("{% version_deprecations_panel v %}", v=world.v2, user=world.owner)
    assert "Not deprecated" in html and "Deprecate…" in html
    html = _render("{% version_deprecations_panel v %}", v=world.v2, user=engineer)
    assert "Deprecate…" not in html


def test_team_panel_query_count_constant(world, announced, today):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalog.services.deprecations import deprecation_announce, deprecation_create
    from slas.models import VersioningPolicy
    from tests.catalog.factories import ApiFactory, ApiVersionFactory, DependencyFactory

    with CaptureQueriesContext(connection) as one:
        _render("{% team_changes_panel team %}", team=world.shop, user=world.sam)
    VersioningPolicy.objects.create(
        name="lenient", is_default=True, migration_guide_required=False, successor_required=False
    )
    for i in range(5):
        v = ApiVersionFactory(api=ApiFactory(slug=f"more-api-{i}", provider=world.provider))
        DependencyFactory(consumer=world.checkout, api_version=v)
        d = deprecation_create(
            actor=world.owner,
            api_version=v,
            reason="old",
            sunset_date=today + dt.timedelta(days=190 + i),
        )
        deprecation_announce(deprecation=d, actor=world.owner)
    with CaptureQueriesContext(connection) as six:
        html = _render("{% team_changes_panel team %}", team=world.shop, user=world.sam)
    assert html.count("days left") == 6
    assert len(six) == len(one)
