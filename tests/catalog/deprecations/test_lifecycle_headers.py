"""Gateway support: RFC 9745 Deprecation, RFC 8594 Sunset and Link rel="deprecation"."""

from __future__ import annotations

import datetime as dt

import pytest

from catalog.services.deprecations import deprecation_announce

pytestmark = pytest.mark.django_db

DAY = dt.date(2030, 1, 1)


def _url(version):
    return f"/api/v1/api-versions/{version.pk}/lifecycle-headers/"


def test_not_deprecated_has_no_headers(api_client, world):
    body = api_client(world.sam).get(_url(world.v1)).json()
    assert body["deprecated"] is False
    assert body["headers"] == {} and body["sunset"] is None and body["operations"] == []


def test_drafts_do_not_count(api_client, world, make_draft):
    make_draft()
    assert api_client(world.sam).get(_url(world.v1)).json()["headers"] == {}


def test_worked_example(api_client, world, make_draft):
    d = make_draft(sunset_date=dt.date(2030, 12, 31))
    deprecation_announce(deprecation=d, actor=world.owner, today=DAY)
    resp = api_client(world.sam).get(_url(world.v1))
    assert resp.status_code == 200
    body = resp.json()
    assert body["headers"] == {
        "Deprecation": "@1893456000",
        "Sunset": "Tue, 31 Dec 2030 00:00:00 GMT",
        "Link": '<https://docs.example.com/payments/v1-to-v2>; rel="deprecation"',
    }
    assert body["deprecation"] == "@1893456000"
    assert body["sunset"] == "Tue, 31 Dec 2030 00:00:00 GMT"
    assert body["deprecated"] is True


def test_earliest_dates_win_and_operations_merge(api_client, world, make_draft):
    whole = make_draft(sunset_date=dt.date(2030, 12, 31))
    deprecation_announce(deprecation=whole, actor=world.owner, today=DAY)
    ops = make_draft(
        scope="operations",
        operations=[world.op_charge],
        sunset_date=dt.date(2030, 9, 30),
        migration_guide_url="https://docs.example.com/charges",
        deprecation_date=dt.date(2030, 2, 1),
    )
    deprecation_announce(deprecation=ops, actor=world.owner, today=DAY)
    body = api_client(world.sam).get(_url(world.v1)).json()
    # Version-wide headers come from the version-wide deprecation only.
    assert body["headers"]["Sunset"] == "Tue, 31 Dec 2030 00:00:00 GMT"
    [charge] = body["operations"]
    assert (charge["method"], charge["path"]) == ("POST", "/charges")
    assert charge["headers"] == {
        "Deprecation": "@1893456000",  # the earlier of the two deprecation dates
        "Sunset": "Mon, 30 Sep 2030 00:00:00 GMT",  # the earlier sunset
        "Link": '<https://docs.example.com/charges>; rel="deprecation"',
    }


def test_unknown_version_is_404_and_anonymous_refused(api_client, world):
    assert (
        api_client(world.sam).get("/api/v1/api-versions/999999/lifecycle-headers/").status_code
        == 404
    )
    anonymous = api_client().get(_url(world.v1))
    assert anonymous.status_code == 401 and "Token" in anonymous["WWW-Authenticate"]
