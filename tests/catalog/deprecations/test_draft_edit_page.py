"""The page that edits a draft deprecation: /catalog/deprecations/<id>/edit/.

Who may use it is exactly ``deprecation_update``'s rule (owners of the API's team, staff); the
service validates (dates, scope/operations, reason) and, on *Save and announce*,
``deprecation_announce`` applies the versioning policy — refusals are form errors and nothing is
saved. Only drafts are editable; CSRF is enforced; the Markdown reason is shown sanitised.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from catalog.models import ConsumerMigration, Deprecation, DeprecationTransition
from portal.notifications.models import ChangeEvent
from slas.models import VersioningPolicy
from tests.catalog.factories import ApiOperationFactory

pytestmark = pytest.mark.django_db


def _url(deprecation) -> str:
    return f"/catalog/deprecations/{deprecation.pk}/edit/"


def _state(deprecation) -> tuple:
    """Everything an edit could change, for "nothing changed" assertions."""
    d = Deprecation.objects.get(pk=deprecation.pk)
    return (
        d.state,
        d.scope,
        d.reason,
        d.replacement_version_id,
        d.replacement_operation_id,
        d.migration_guide_url,
        d.deprecation_date,
        d.sunset_date,
        sorted(d.operations.values_list("pk", flat=True)),
        DeprecationTransition.objects.filter(deprecation=d).count(),
        ConsumerMigration.objects.filter(deprecation=d).count(),
        ChangeEvent.objects.count(),
    )


def _form(world, today, **overrides) -> dict:
    """The edit form as the make_draft fixture's draft pre-fills it, with ``overrides``."""
    data = {
        "api_version": world.v1.pk,
        "scope": "version",
        "reason": "v2 has idempotency keys.",
        "replacement_version": world.v2.pk,
        "replacement_operation": "",
        "migration_guide_url": "https://docs.example.com/payments/v1-to-v2",
        "deprecation_date": "",
        "sunset_date": (today + dt.timedelta(days=200)).isoformat(),
        "submit": "draft",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def draft(make_draft):
    return make_draft()


# --- who may ---------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_nothing_changes(client, world, draft, today):
    before = _state(draft)
    for resp in (
        client.get(_url(draft)),
        client.post(_url(draft), _form(world, today, reason="Hijacked")),
    ):
        assert resp.status_code == 302
        assert resp["Location"].startswith("/login/?next=")
    assert _state(draft) == before


@pytest.mark.parametrize(
    "who",
    ["engineer", "provider_team_member", "consumer_team_member", "other_team_owner"],
)
def test_users_who_may_not_manage_get_403_and_nothing_changes(
    web_client, world, draft, today, engineer, who
):
    user = {
        "engineer": engineer,  # in no team
        "provider_team_member": world.member,  # in the providing team, but not an owner
        "consumer_team_member": world.sam,
        "other_team_owner": world.fay,  # owner of another team
    }[who]
    before = _state(draft)
    client = web_client(user)
    resp = client.get(_url(draft))
    assert resp.status_code == 403
    assert "Only an owner of the team that owns Payments API" in resp.content.decode()
    assert 'name="sunset_date"' not in resp.content.decode()
    for submit in ("draft", "announce"):
        resp = client.post(_url(draft), _form(world, today, reason="Hijacked", submit=submit))
        assert resp.status_code == 403
    assert _state(draft) == before


def test_owner_sees_the_form_prefilled_with_the_impact_preview(web_client, world, draft):
    resp = web_client(world.owner).get(_url(draft))
    assert resp.status_code == 200
    html = resp.content.decode()
    assert "Edit draft deprecation of Payments API" in html
    assert "v2 has idempotency keys." in html  # the reason, in its textarea
    assert 'value="https://docs.example.com/payments/v1-to-v2"' in html
    assert f'value="{draft.sunset_date.isoformat()}"' in html
    assert re.search(rf'<option value="{world.v2.pk}" selected>', html)
    assert re.search(r'value="version"[^>]*checked', html)
    # The live impact preview of the create page, fed by this form.
    assert 'data-testid="impact-direct-services">3<' in html
    assert 'hx-get="/catalog/deprecations/impact-preview/"' in html
    assert f'name="api_version" value="{world.v1.pk}"' in html
    assert "csrfmiddlewaretoken" in html
    # What the policy will ask for on announce.
    assert "at least 180 days of notice for a stable version" in html


def test_the_preview_follows_the_drafts_operations(web_client, world, make_draft):
    draft = make_draft(scope="operations", operations=[world.op_refund])
    html = web_client(world.owner).get(_url(draft)).content.decode()
    # billing uses /refunds, ledger declared no operations; checkout only uses /charges.
    assert 'data-testid="impact-direct-services">2<' in html
    assert re.search(rf'value="{world.op_refund.pk}"[^>]*checked', html)
    assert not re.search(rf'value="{world.op_charge.pk}"[^>]*checked', html)


def test_unknown_deprecation_is_404(web_client, world):
    assert web_client(world.owner).get("/catalog/deprecations/999999/edit/").status_code == 404


# --- saving ----------------------------------------------------------------------------------


def test_owner_saves_a_valid_edit_audited_like_the_service(web_client, world, draft, today):
    new_sunset = today + dt.timedelta(days=300)
    resp = web_client(world.owner).post(
        _url(draft),
        _form(
            world,
            today,
            reason="v2 is faster **and** safer.",
            sunset_date=new_sunset.isoformat(),
            deprecation_date=(today + dt.timedelta(days=10)).isoformat(),
        ),
    )
    assert resp.status_code == 302 and resp["Location"] == draft.get_absolute_url()
    d = Deprecation.objects.get(pk=draft.pk)
    assert d.state == "draft"
    assert d.reason == "v2 is faster **and** safer."
    assert d.sunset_date == new_sunset
    assert d.deprecation_date == today + dt.timedelta(days=10)
    assert d.replacement_version == world.v2  # untouched
    edit = DeprecationTransition.objects.get(deprecation=d, action="edited")
    assert edit.actor == world.owner
    assert edit.from_state == "draft" and edit.to_state == "draft"
    # Only the fields the owner changed are passed to (and recorded by) the service.
    assert edit.data == {"fields": ["deprecation_date", "reason", "sunset_date"]}
    assert ChangeEvent.objects.count() == 0  # nobody is told about a draft
    assert ConsumerMigration.objects.filter(deprecation=d).count() == 0


def test_staff_may_edit_and_switch_to_operations(web_client, world, draft, today, admin):
    v2_op = ApiOperationFactory(api_version=world.v2, method="post", path="/payments")
    resp = web_client(admin).post(
        _url(draft),
        _form(
            world,
            today,
            scope="operations",
            operations=[world.op_charge.pk],
            replacement_operation=v2_op.pk,
        ),
    )
    assert resp.status_code == 302
    d = Deprecation.objects.get(pk=draft.pk)
    assert d.scope == "operations"
    assert list(d.operations.all()) == [world.op_charge]
    assert d.replacement_operation == v2_op
    edit = DeprecationTransition.objects.get(deprecation=d, action="edited")
    assert edit.actor == admin
    assert edit.data == {"fields": ["operations", "replacement_operation", "scope"]}


def test_unchanged_form_writes_nothing(web_client, world, draft, today):
    before = _state(draft)
    resp = web_client(world.owner).post(_url(draft), _form(world, today), follow=True)
    assert resp.status_code == 200
    assert "Nothing changed." in resp.content.decode()
    assert _state(draft) == before


def test_save_and_announce_publishes(web_client, world, draft, today):
    resp = web_client(world.owner).post(
        _url(draft), _form(world, today, reason="Edited, then announced.", submit="announce")
    )
    assert resp.status_code == 302
    d = Deprecation.objects.get(pk=draft.pk)
    assert d.state == "announced" and d.reason == "Edited, then announced."
    assert ConsumerMigration.objects.filter(deprecation=d).count() == 3
    actions = list(d.transitions.order_by("id").values_list("action", flat=True))
    assert actions == ["created", "edited", "announced"]


# --- refusals from the service, shown on the form, nothing saved -----------------------------


def test_deprecation_date_after_sunset_is_a_form_error(web_client, world, draft, today):
    before = _state(draft)
    resp = web_client(world.owner).post(
        _url(draft),
        _form(
            world,
            today,
            reason="Changed too",
            deprecation_date=(today + dt.timedelta(days=250)).isoformat(),
        ),
    )
    assert resp.status_code == 400
    html = resp.content.decode()
    assert "Must be on or before the sunset date." in html
    assert 'name="sunset_date"' in html  # the form is shown again, with what was typed
    assert "Changed too" in html
    assert _state(draft) == before


def test_operations_scope_without_operations_is_a_form_error(web_client, world, draft, today):
    before = _state(draft)
    resp = web_client(world.owner).post(_url(draft), _form(world, today, scope="operations"))
    assert resp.status_code == 400
    assert "needs at least one operation" in resp.content.decode()
    assert _state(draft) == before


def test_empty_reason_and_bad_values_are_form_errors(web_client, world, draft, today):
    before = _state(draft)
    resp = web_client(world.owner).post(
        _url(draft),
        _form(
            world,
            today,
            reason="",
            sunset_date="not a date",
            replacement_version="999999",
            operations=["abc"],
        ),
    )
    assert resp.status_code == 400
    assert resp.content.decode().count('<p class="error">') >= 3
    assert _state(draft) == before


def test_an_operation_of_another_version_is_refused(web_client, world, draft, today):
    other = ApiOperationFactory(api_version=world.v2, method="get", path="/x")
    before = _state(draft)
    resp = web_client(world.owner).post(
        _url(draft), _form(world, today, scope="operations", operations=[other.pk])
    )
    assert resp.status_code == 400
    assert f"{other.pk} is not one of the available choices" in resp.content.decode()
    assert _state(draft) == before


def test_notice_too_short_for_the_stability_is_shown_and_nothing_saved(
    web_client, world, draft, today
):
    before = _state(draft)
    short = today + dt.timedelta(days=30)
    resp = web_client(world.owner).post(
        _url(draft),
        _form(world, today, sunset_date=short.isoformat(), reason="Sooner", submit="announce"),
    )
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "at least 180 days of notice for a stable version" in html
    earliest = (today + dt.timedelta(days=180)).isoformat()
    assert f"Must be on or after {earliest}." in html
    assert _state(draft) == before  # not even the edit of the draft was kept


def test_a_shorter_notice_passes_for_a_beta_version(web_client, world, make_draft, today):
    """The minimum notice depends on the version's stability (beta: 90 days)."""
    world.v1.stability = "beta"
    world.v1.save(update_fields=["stability"])
    draft = make_draft()
    sunset = today + dt.timedelta(days=100)
    resp = web_client(world.owner).post(
        _url(draft), _form(world, today, sunset_date=sunset.isoformat(), submit="announce")
    )
    assert resp.status_code == 302
    assert Deprecation.objects.get(pk=draft.pk).state == "announced"


def test_missing_migration_guide_when_the_policy_requires_one(web_client, world, draft, today):
    before = _state(draft)
    client = web_client(world.owner)
    resp = client.post(_url(draft), _form(world, today, migration_guide_url="", submit="announce"))
    assert resp.status_code == 422
    html = resp.content.decode()
    assert "requires a migration guide URL" in html
    assert "Required by the versioning policy." in html
    assert _state(draft) == before
    # The policy applies on announce; a draft may be saved without a guide until then.
    resp = client.post(_url(draft), _form(world, today, migration_guide_url=""))
    assert resp.status_code == 302
    assert Deprecation.objects.get(pk=draft.pk).migration_guide_url == ""


def test_missing_guide_is_fine_when_the_policy_waives_it(web_client, world, draft, today):
    VersioningPolicy.objects.create(
        name="lenient", is_default=True, migration_guide_required=False, successor_required=False
    )
    resp = web_client(world.owner).post(
        _url(draft),
        _form(world, today, migration_guide_url="", replacement_version="", submit="announce"),
    )
    assert resp.status_code == 302
    d = Deprecation.objects.get(pk=draft.pk)
    assert d.state == "announced" and d.migration_guide_url == ""
    assert d.replacement_version is None


def test_missing_successor_for_a_stable_version_is_shown(web_client, world, draft, today):
    before = _state(draft)
    resp = web_client(world.owner).post(
        _url(draft), _form(world, today, replacement_version="", submit="announce")
    )
    assert resp.status_code == 422
    assert "Required for a stable version." in resp.content.decode()
    assert _state(draft) == before


# --- only drafts -----------------------------------------------------------------------------


@pytest.mark.parametrize("state", ["announced", "cancelled"])
def test_a_non_draft_offers_no_form_and_refuses_a_post(
    web_client, world, draft, today, state, admin
):
    from catalog.services.deprecations import deprecation_announce, deprecation_cancel

    if state == "announced":
        deprecation_announce(deprecation=draft, actor=world.owner, today=today)
    else:
        deprecation_cancel(deprecation=draft, actor=world.owner)
    before = _state(draft)
    for user in (world.owner, admin):
        client = web_client(user)
        resp = client.get(_url(draft))
        assert resp.status_code == 200
        html = resp.content.decode()
        assert "can no longer be edited" in html
        assert f"this deprecation is <strong>{state}</strong>" in html
        assert 'name="sunset_date"' not in html and "<form" not in html.split("<main")[-1]
        resp = client.post(
            _url(draft), _form(world, today, reason="Too late", sunset_date="2099-01-01")
        )
        assert resp.status_code == 409
        assert "Not saved: only a draft can be edited" in resp.content.decode()
    assert _state(draft) == before


def test_non_draft_refusal_still_403_for_others(web_client, world, announced, today):
    before = _state(announced)
    assert web_client(world.sam).get(_url(announced)).status_code == 403
    assert web_client(world.sam).post(_url(announced), _form(world, today)).status_code == 403
    assert _state(announced) == before


# --- the detail page's link ------------------------------------------------------------------


def test_detail_page_links_to_the_edit_page_for_managers_of_a_draft(
    web_client, world, draft, engineer, admin
):
    link = f'href="{_url(draft)}"'
    for user in (world.owner, admin):
        assert link in web_client(user).get(draft.get_absolute_url()).content.decode()
    for user in (engineer, world.member, world.sam):
        assert link not in web_client(user).get(draft.get_absolute_url()).content.decode()


def test_detail_page_has_no_edit_link_once_announced(web_client, world, announced):
    html = web_client(world.owner).get(announced.get_absolute_url()).content.decode()
    assert _url(announced) not in html


# --- CSRF and Markdown -----------------------------------------------------------------------


def test_csrf_is_enforced(world, draft, today):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.owner)
    before = _state(draft)
    resp = client.post(_url(draft), _form(world, today, reason="No token"))
    assert resp.status_code == 403
    assert _state(draft) == before
    # With the token from the page the same POST goes through: the 403 was the CSRF check.
    html = client.get(_url(draft)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    resp = client.post(
        _url(draft), {**_form(world, today, reason="With token"), "csrfmiddlewaretoken": token}
    )
    assert resp.status_code == 302
    assert Deprecation.objects.get(pk=draft.pk).reason == "With token"


def test_markdown_reason_is_sanitised_where_shown(web_client, world, draft, today):
    evil = (
        "**Bold** reason <script>alert('x')</script> "
        '<img src=x onerror="alert(1)"> [click](javascript:alert(2))'
    )
    client = web_client(world.owner)
    assert client.post(_url(draft), _form(world, today, reason=evil)).status_code == 302
    assert Deprecation.objects.get(pk=draft.pk).reason == evil  # stored as typed
    edit_html = client.get(_url(draft)).content.decode()
    preview = re.search(r'data-testid="reason-preview">(.*?)</div>', edit_html, re.S).group(1)
    detail_html = client.get(draft.get_absolute_url()).content.decode()
    shown = re.search(r'<div class="reason">(.*?)</div>', detail_html, re.S).group(1)
    for rendered in (preview, shown):
        assert "<strong>Bold</strong>" in rendered
        assert "<script" not in rendered and "onerror" not in rendered
        assert "javascript:" not in rendered
    # In the textarea the raw text is escaped, never live markup.
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in edit_html
    assert "<script>alert('x')</script>" not in edit_html


# --- in a real browser -----------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_owner_edits_a_draft_in_the_browser(page, login, world, make_draft, today):
    """From the draft's page to the form: the preview follows the scope live, a policy refusal is
    shown on the form, and saving the draft brings the owner back to its page."""
    draft = make_draft()
    login(world.owner)
    page.goto(page.portal_url(draft.get_absolute_url()))
    page.get_by_test_id("edit-draft").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("impact-direct-services").inner_text() == "3"
    page.get_by_label("Single operations").check()
    page.get_by_label("POST /refunds").check()
    page.wait_for_function(
        "document.querySelector('[data-testid=impact-direct-services]').innerText === '2'"
    )
    page.get_by_label("Sunset date").fill((today + dt.timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Save and announce").click()
    page.wait_for_load_state()
    assert "at least 180 days of notice" in page.locator("form#deprecation-form").inner_text()
    assert Deprecation.objects.get(pk=draft.pk).scope == "version"  # nothing saved
    page.get_by_role("button", name="Save draft").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("deprecation-state").inner_text() == "Draft"
    d = Deprecation.objects.get(pk=draft.pk)
    assert d.scope == "operations" and list(d.operations.all()) == [world.op_refund]
    assert d.sunset_date == today + dt.timedelta(days=30)  # a draft may have a short notice
