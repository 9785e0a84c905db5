"""/api/v1/metrics/<name>/: the body each metric's selector answer is reshaped into (names,
renames, order, ``{slug, name}`` references and null for a missing one), with the selector
stubbed so every field has a value of its own."""

import datetime as dt
from types import SimpleNamespace

import pytest

from portal.health import selectors
from portal.health import views as _views  # noqa: F401  its tables capture the real selectors

pytestmark = pytest.mark.django_db


def ref(slug):
    return SimpleNamespace(slug=slug, name=slug.upper())


DEPRECATION = SimpleNamespace(
    pk=7,
    sunset_date=dt.date(2026, 3, 1),
    api_version=SimpleNamespace(version="1.2.0", api=ref("pay")),
)

CASES = {
    "integration-velocity": (
        "integration_velocity",
        {"count": 1, "median_days": 2, "p75_days": 3, "pending_count": 4,
         "pending_oldest_days": 5, "by_month": [6],
         "per_api": [{"api": ref("pay"), "count": 7, "median": 8, "p75": 9}],
         "per_team": [{"team": None, "count": 10, "median": 11, "p75": 12}]},
        {"count": 1, "median_days": 2, "p75_days": 3, "pending_count": 4,
         "pending_oldest_days": 5, "by_month": [6],
         "per_api": [{"api": {"slug": "pay", "name": "PAY"}, "count": 7, "median_days": 8,
                      "p75_days": 9}],
         "per_team": [{"team": None, "count": 10, "median_days": 11, "p75_days": 12}]},
    ),
    "adoption": (
        "adoption",
        {"active_consumers": 1, "apis_consumed": 2, "newest_share": 0.5, "new_total": 3,
         "new_by_month": [4],
         "per_api": [{"api": ref("pay"), "consumers": 5, "teams": 6, "on_newest": 7,
                      "newest_share": 0.25}],
         "per_team": [{"team": ref("prov"), "consumers": 8, "consumer_teams": 9, "apis": 10}],
         "per_layer": [{"layer": "base", "teams": 11, "consumers": 12}]},
        {"active_consumers": 1, "apis_consumed": 2, "newest_major_share": 0.5,
         "new_consumers_total": 3, "new_by_month": [4],
         "per_api": [{"api": {"slug": "pay", "name": "PAY"}, "consumers": 5, "consumer_teams": 6,
                      "on_newest_major": 7, "newest_major_share": 0.25}],
         "per_team": [{"team": {"slug": "prov", "name": "PROV"}, "consumers": 8,
                       "consumer_teams": 9, "apis": 10}],
         "per_layer": [{"layer": "base", "teams": 11, "consumers": 12}]},
    ),
    "satisfaction": (
        "satisfaction",
        {"count": 1, "average": 4.5, "distribution": {"5": 1}, "trend": 0.1, "by_month": [2],
         "per_api": [{"api": ref("pay"), "average": 4.5, "count": 1}]},
        {"count": 1, "average": 4.5, "distribution": {"5": 1}, "trend": 0.1, "by_month": [2],
         "per_api": [{"api": {"slug": "pay", "name": "PAY"}, "average": 4.5, "count": 1}]},
    ),
    "reliability": (
        "reliability",
        {"slas": 1, "measured": 2, "met": 3, "attainment_share": 0.5, "breaching": 4,
         "budget_remaining_avg": 0.75,
         "worst": [{"kind": "service", "subject": None, "target": 99.9, "attained": 98.0,
                    "budget_remaining": -0.5, "breached": True}]},
        {"slas": 1, "measured": 2, "met": 3, "attainment_share": 0.5, "breaching": 4,
         "budget_remaining_avg": 0.75,
         "worst": [{"kind": "service", "subject": None, "target": 99.9, "attained": 98.0,
                    "budget_remaining": -0.5, "breached": True}]},
    ),
    "deprecation-health": (
        "deprecation_health",
        {"open": 1, "migrations": 2, "done": 3, "done_share": 0.5, "overdue": 4,
         "median_days_to_migrated": 5,
         "open_deprecations": [{"deprecation": DEPRECATION, "total": 6, "done": 7,
                                "done_share": 0.25, "overdue": 8}]},
        {"open": 1, "migrations": 2, "done": 3, "done_share": 0.5, "overdue": 4,
         "median_days_to_migrated": 5,
         "open_deprecations": [{"id": 7, "api": {"slug": "pay", "name": "PAY"},
                                "version": "1.2.0", "sunset_date": "2026-03-01",
                                "migrations": 6, "done": 7, "done_share": 0.25, "overdue": 8}]},
    ),
}  # fmt: skip


@pytest.mark.parametrize("metric", list(CASES))
def test_a_metric_body_is_its_selector_answer_reshaped(api_client, engineer, monkeypatch, metric):
    selector, answer, body = CASES[metric]
    monkeypatch.setattr(selectors, selector, lambda *, filters: answer)
    response = api_client(engineer).get(f"/api/v1/metrics/{metric}/")
    assert response.status_code == 200, response.content
    value = response.json()["value"]
    assert value == body
    assert list(value) == list(body)  # the order of the fields too
