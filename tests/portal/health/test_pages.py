"""Dashboard pages, the rows behind every number, CSV exports and constant query counts."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.catalog.factories import ApiFactory, ApiVersionFactory, DependencyFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def test_anonymous_is_redirected(org, client):
    for path in ["/health/", "/health/teams/prov/", "/health/apis/pay/", "/health/rows/consumers/",
                 "/health/export/adoption-per-api.csv", "/health/roadmap/"]:  # fmt: skip
        r = client.get(path)
        assert r.status_code == 302 and "/login/" in r["Location"], path


def test_portal_dashboard_numbers_link_to_their_rows(org, web_client, engineer):
    html = web_client(engineer).get("/health/").content.decode()
    # Velocity: median 10.0 d, linking to the live integrations.
    assert '<a href="/health/rows/integrations/?state=live">10.0 d</a>' in html
    assert '<a href="/health/rows/integrations/?state=pending">1 not live yet</a>' in html
    # Adoption: 4 active consumers; 71% (5/7) on the newest major.
    assert '<a href="/health/rows/consumers/">4</a>' in html
    assert "71% on the newest major" in html
    # No SLA, no rating, no deprecation: shown as no data, not zero.
    assert html.count("no data yet") >= 2 and "no ratings yet" in html
    # Tables link to the per-API dashboard and to the rows.
    assert '<a href="/health/apis/pay/">Pay</a>' in html
    assert "/health/rows/integrations/?api=pay&amp;state=live" in html
    assert "<svg" in html


def test_team_and_api_dashboards_are_scoped(org, web_client, engineer):
    html = web_client(engineer).get("/health/apis/ledger/").content.decode()
    assert "Health of Ledger" in html
    assert '<a href="/health/rows/integrations/?api=ledger&amp;state=live">4.0 d</a>' in html
    assert "(one data point)" in html
    html = web_client(engineer).get("/health/teams/prov/").content.decode()
    assert '<a href="/health/rows/integrations/?team=prov&amp;state=live">15.0 d</a>' in html
    assert web_client(engineer).get("/health/teams/nope/").status_code == 404
    assert web_client(engineer).get("/health/apis/nope/").status_code == 404


def test_bad_filters_are_a_400(org, web_client, engineer):
    c = web_client(engineer)
    assert c.get("/health/?months=0").status_code == 400
    assert c.get("/health/?layer=middle").status_code == 400
    assert c.get("/health/?team=nope").status_code == 400
    assert c.get("/health/rows/integrations/?month=2025-13").status_code == 400
    assert c.get("/health/rows/layer-teams/?state=middle").status_code == 400
    assert c.get("/health/rows/unknown/").status_code == 404
    assert c.get("/health/export/unknown.csv").status_code == 404
    assert c.get("/health/export/adoption-per-api.csv?months=99").status_code == 400


def _rows(html: str) -> int:
    return len(re.findall(r"<tr><td>", html))


def test_rows_behind_the_numbers(org, web_client, engineer):
    c = web_client(engineer)
    assert _rows(c.get("/health/rows/integrations/?state=live").content.decode()) == 5
    assert _rows(c.get("/health/rows/integrations/?state=live&month=2025-03").content.decode()) == 2
    assert _rows(c.get("/health/rows/integrations/?state=pending").content.decode()) == 1
    assert _rows(c.get("/health/rows/integrations/?state=new").content.decode()) == 4
    assert _rows(c.get("/health/rows/consumers/").content.decode()) == 7
    assert _rows(c.get("/health/rows/consumers/?api=pay&newest=no").content.decode()) == 2
    html = c.get("/health/rows/layer-teams/?state=core").content.decode()
    assert _rows(html) == 1 and "Alpha" in html
    assert "No rows behind this number" in c.get("/health/rows/feedback/").content.decode()


def test_rows_csv_exports_every_row(org, web_client, engineer):
    r = web_client(engineer).get("/health/rows/integrations/?state=live&format=csv")
    assert r["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows[0][0] == "Consumer" and len(rows) == 6
    assert sorted(int(row[-1]) for row in rows[1:]) == [4, 10, 10, 20, 30]


def test_table_csv_export(org, web_client, engineer):
    r = web_client(engineer).get("/health/export/velocity-per-api.csv")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    assert rows == [["API", "Integrations", "Median", "p75"], ["pay", "4", "15.0", "22.5"],
                    ["ledger", "1", "4.0", "4.0"]]  # fmt: skip
    r = web_client(engineer).get("/health/export/velocity-by-month.csv?months=3")
    rows = list(csv.reader(io.StringIO(r.content.decode())))
    from django.utils import timezone

    from portal.health import stats

    assert [row[0] for row in rows[1:]] == stats.months_back(timezone.localdate(), 3)
    # Months without integrations export empty cells (no data), not zeros.
    assert all(row[2] == "" and row[3] == "" for row in rows[1:] if row[1] == "")


def _grow(n: int) -> None:
    """More teams, services, APIs, versions and dependencies of every kind."""
    for i in range(n):
        provider = ServiceFactory(layer=["base", "core", "enabling"][i % 3])
        api = ApiFactory(provider=provider)
        version = ApiVersionFactory(api=api, major=1 + i % 2)
        consumer = ServiceFactory()
        import datetime as dt

        DependencyFactory(consumer=consumer, api_version=version,
                          requested_at=dt.date(2025, 1 + i % 5, 1),
                          live_at=dt.date(2025, 1 + i % 5, 10) if i % 4 else None)  # fmt: skip


@pytest.mark.parametrize("path", ["/health/", "/health/teams/prov/", "/health/apis/pay/",
                                  "/health/rows/integrations/", "/health/rows/consumers/",
                                  "/health/roadmap/"])  # fmt: skip
def test_query_count_is_constant_as_the_catalog_grows(org, web_client, engineer, path):
    from portal.health.models import RoadmapItem

    base = RoadmapItem.objects.create(title="Base", layer="base", target_quarter="2025-Q2")
    RoadmapItem.objects.create(title="Top", layer="core", target_quarter="2025-Q3").depends_on.add(
        base
    )
    c = web_client(engineer)
    c.get(path)  # warm up (session, content types)
    with CaptureQueriesContext(connection) as small:
        assert c.get(path).status_code == 200
    _grow(25)
    for i in range(5):
        item = RoadmapItem.objects.create(title=f"I{i}", layer="core", target_quarter="2025-Q3")
        item.depends_on.set(RoadmapItem.objects.exclude(pk=item.pk)[:1])
    with CaptureQueriesContext(connection) as large:
        assert c.get(path).status_code == 200
    assert len(large) == len(small), [q["sql"][:120] for q in large.captured_queries]
