"""/api/v1/metrics/: the index with each metric's current value and one endpoint per metric."""

import pytest

pytestmark = pytest.mark.django_db


def test_index_has_every_metric_with_its_value(org, api_client, engineer):
    r = api_client(engineer).get("/api/v1/metrics/")
    assert r.status_code == 200
    metrics = r.json()["metrics"]
    assert set(metrics) == {"integration-velocity", "adoption", "reliability", "satisfaction",
                            "deprecation-health"}  # fmt: skip
    assert metrics["integration-velocity"]["median_days"] == 10
    assert metrics["integration-velocity"]["p75_days"] == 20
    assert metrics["adoption"]["active_consumers"] == 4
    # No data is null, never zero.
    assert metrics["satisfaction"]["average"] is None
    assert metrics["reliability"]["attainment_share"] is None
    assert metrics["deprecation-health"]["done_share"] is None
    assert metrics["adoption"]["url"].endswith("/api/v1/metrics/adoption/")


def test_metric_endpoints_take_the_page_filters(org, api_client, engineer):
    c = api_client(engineer)
    v = c.get("/api/v1/metrics/integration-velocity/", {"api": "pay"}).json()["value"]
    assert (v["count"], v["median_days"], v["p75_days"]) == (4, 15, 22.5)
    v = c.get("/api/v1/metrics/integration-velocity/", {"team": "prov2", "months": 6}).json()
    assert v["filters"] == {"team": "prov2", "months": "6"}
    assert len(v["value"]["by_month"]) == 6 and v["value"]["median_days"] == 4
    a = c.get("/api/v1/metrics/adoption/", {"layer": "core"}).json()["value"]
    assert a["active_consumers"] == 2
    assert [x["api"]["slug"] for x in a["per_api"]] == ["ledger"]


@pytest.mark.parametrize(
    ("query", "field"),
    [({"team": "nope"}, "team"), ({"api": "nope"}, "api"), ({"layer": "x"}, "layer"),
     ({"months": 0}, "months"), ({"months": 37}, "months"), ({"months": "a"}, "months")],
)  # fmt: skip
def test_bad_filters_are_400(org, api_client, engineer, query, field):
    for url in ("/api/v1/metrics/", "/api/v1/metrics/adoption/"):
        r = api_client(engineer).get(url, query)
        assert r.status_code == 400 and field in r.json()["errors"]


def test_unknown_metric_and_anonymous(org, api_client, engineer):
    assert api_client(engineer).get("/api/v1/metrics/happiness/").status_code == 404
    assert api_client().get("/api/v1/metrics/").status_code == 401
    assert api_client().get("/api/v1/metrics/adoption/").status_code == 401


def test_metrics_query_count_is_constant(org, api_client, engineer, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.portal.health.test_pages import _grow

    c = api_client(engineer)
    with CaptureQueriesContext(connection) as small:
        c.get("/api/v1/metrics/")
    _grow(20)
    with CaptureQueriesContext(connection) as large:
        c.get("/api/v1/metrics/")
    assert len(large) == len(small)
