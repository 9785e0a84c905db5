"""Admin: deprecations and migrations are listed with their audit; state changes go through the
same services (announce/cancel actions), so the guards hold in admin too."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.models import ConsumerMigration, Deprecation

pytestmark = pytest.mark.django_db


def test_admin_lists_and_detail_pages(web_client, admin, announced):
    client = web_client(admin)
    assert client.get("/admin/catalog/deprecation/").status_code == 200
    resp = client.get(f"/admin/catalog/deprecation/{announced.pk}/change/")
    assert resp.status_code == 200 and "announced" in resp.content.decode()
    assert client.get("/admin/catalog/consumermigration/").status_code == 200
    m = ConsumerMigration.objects.filter(deprecation=announced).first()
    assert client.get(f"/admin/catalog/consumermigration/{m.pk}/change/").status_code == 200


def test_admin_announce_action_uses_the_service(web_client, admin, make_draft, today):
    ok = make_draft()
    too_soon = make_draft(
        scope="operations",
        operations=[ok.api_version.operations.first()],
        sunset_date=today + dt.timedelta(days=10),
    )
    resp = web_client(admin).post(
        "/admin/catalog/deprecation/",
        {"action": "announce", "_selected_action": [ok.pk, too_soon.pk]},
        follow=True,
    )
    assert resp.status_code == 200
    assert Deprecation.objects.get(pk=ok.pk).state == "announced"
    assert Deprecation.objects.get(pk=too_soon.pk).state == "draft"
    assert "at least 180 days of notice" in resp.content.decode()
    assert ConsumerMigration.objects.filter(deprecation=ok).count() == 3


def test_admin_is_staff_only(web_client, world, announced):
    resp = web_client(world.owner).get("/admin/catalog/deprecation/")
    assert resp.status_code == 302
