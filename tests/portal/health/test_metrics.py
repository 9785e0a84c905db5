"""Every metric on the hand-built organisation of conftest.py; answers worked out by hand."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import ApiVersion, ConsumerMigration, Deprecation
from portal.health import selectors
from portal.health.models import Feedback, FeedbackRevision
from slas.models import Sla

pytestmark = pytest.mark.django_db


# --- integration velocity -----------------------------------------------------------------------


def test_velocity_portal_wide(org, filters):
    v = selectors.integration_velocity(filters=filters())
    # Durations 10, 20, 30, 4, 10 → sorted 4 10 10 20 30: median 10, p75 20.
    assert v["count"] == 5
    assert v["median_days"] == 10
    assert v["p75_days"] == 20
    # d5 requested 2025-05-01, not live: 45 days before 2025-06-15.
    assert v["pending_count"] == 1
    assert v["pending_oldest_days"] == 45


def test_velocity_by_month(org, filters):
    months = {m["month"]: m for m in selectors.integration_velocity(filters=filters())["by_month"]}
    assert len(months) == 12 and "2024-07" in months and "2025-06" in months
    assert (months["2025-01"]["count"], months["2025-01"]["median"]) == (1, 10)
    # March: 30 and 4 → median 17, p75 4 + .75 * 26 = 23.5
    assert months["2025-03"]["count"] == 2
    assert months["2025-03"]["median"] == 17
    assert months["2025-03"]["p75"] == 23.5
    # A month without integrations is "no data", not zero.
    assert months["2025-05"]["median"] is None
    assert months["2025-05"]["count"] is None


def test_velocity_per_api_and_team(org, filters):
    v = selectors.integration_velocity(filters=filters())
    per_api = {r["api"].slug: r for r in v["per_api"]}
    # pay: 10, 20, 30, 10 → median 15, p75 22.5; ledger: the one data point 4.
    assert (per_api["pay"]["median"], per_api["pay"]["p75"]) == (15, 22.5)
    assert (per_api["ledger"]["count"], per_api["ledger"]["median"]) == (1, 4)
    assert [r["api"].slug for r in v["per_api"]] == ["pay", "ledger"]  # slowest first
    per_team = {r["team"].slug: r for r in v["per_team"]}
    assert per_team["prov"]["median"] == 15 and per_team["prov2"]["median"] == 4


def test_velocity_filtered_by_api(org, filters):
    v = selectors.integration_velocity(filters=filters(api=org.ledger))
    assert (v["count"], v["median_days"], v["p75_days"]) == (1, 4, 4)
    assert v["pending_count"] == 1


def test_velocity_never_live_and_no_data(org, filters):
    # Only the pending integration in scope: no velocity, but the pending one is shown.
    org.deps.d4.delete()
    v = selectors.integration_velocity(filters=filters(api=org.ledger))
    assert v["count"] == 0
    assert v["median_days"] is None and v["p75_days"] is None
    assert v["pending_count"] == 1


def test_velocity_on_an_empty_catalog(db, filters):
    v = selectors.integration_velocity(filters=filters())
    assert v["count"] == 0 and v["median_days"] is None and v["pending_oldest_days"] is None
    assert v["per_api"] == [] and all(m["median"] is None for m in v["by_month"])


# --- adoption -----------------------------------------------------------------------------------


def test_adoption_portal_wide(org, filters):
    a = selectors.adoption(filters=filters())
    # Active: d1 d2 d3 d4 d6 d7 d8 (d5 is pending). Consumers C1..C4.
    assert a["edges"] == 7
    assert a["active_consumers"] == 4
    assert a["apis_consumed"] == 2
    # On the newest major (pay 2, ledger 1): d2 d3 d4 d6 d7 → 5 / 7.
    assert a["newest_share"] == pytest.approx(5 / 7)


def test_adoption_per_api_and_team(org, filters):
    a = selectors.adoption(filters=filters())
    per_api = {r["api"].slug: r for r in a["per_api"]}
    # pay: C1 C2 C3 C4; on v2: C1 (d7) C2 C3 → 3 / 4; consumer teams alpha, beta.
    assert per_api["pay"]["consumers"] == 4
    assert per_api["pay"]["on_newest"] == 3
    assert per_api["pay"]["newest_share"] == 0.75
    assert per_api["pay"]["teams"] == 2
    # ledger: C1 C2 (C3 still pending), all on v1 which is the newest.
    assert (per_api["ledger"]["consumers"], per_api["ledger"]["newest_share"]) == (2, 1.0)
    per_team = {r["team"].slug: r for r in a["per_team"]}
    assert per_team["prov"]["consumers"] == 4 and per_team["prov"]["consumer_teams"] == 2
    assert per_team["prov2"]["consumers"] == 2 and per_team["prov2"]["consumer_teams"] == 1


def test_new_consumers_per_month_ignore_upgrades(org, filters):
    a = selectors.adoption(filters=filters())
    months = {m["month"]: m["count"] for m in a["new_by_month"]}
    # New (consumer, API) pairs: d1 Jan, d2 Feb, d3 + d4 Mar; d7 is C1 upgrading pay: not new.
    assert months["2025-01"] == 1
    assert months["2025-02"] == 1
    assert months["2025-03"] == 2
    assert months["2025-04"] == 0
    assert a["new_total"] == 4


def test_teams_per_layer(org, filters):
    layers = {r["layer"]: r for r in selectors.adoption(filters=filters())["per_layer"]}
    assert (layers["base"]["teams"], layers["base"]["consumers"]) == (2, 4)
    assert (layers["core"]["teams"], layers["core"]["consumers"]) == (1, 2)
    assert (layers["enabling"]["teams"], layers["enabling"]["consumers"]) == (0, 0)
    teams = selectors.teams_depending_on_layer(filters=filters(), layer="core")
    assert [t.slug for t in teams] == ["alpha"]


def test_retired_versions_do_not_count_as_adoption(org, filters):
    ApiVersion.objects.filter(pk=org.pay1.pk).update(status=ApiVersion.Status.RETIRED)
    a = selectors.adoption(filters=filters(api=org.pay))
    # d1 and d8 are on the retired v1: C2 C3 C1 remain, all on v2.
    assert a["active_consumers"] == 3
    assert a["newest_share"] == 1.0


def test_adoption_no_data(db, filters):
    a = selectors.adoption(filters=filters())
    assert a["active_consumers"] is None
    assert a["newest_share"] is None
    assert a["per_api"] == []


# --- satisfaction -------------------------------------------------------------------------------


def _rate(team, api, *ratings, when=None, hidden=False):
    feedback = Feedback.objects.create(
        consumer_team=team, api=api, rating=ratings[-1], hidden=hidden
    )
    for i, rating in enumerate(ratings):
        rev = FeedbackRevision.objects.create(feedback=feedback, rating=rating)
        if when:
            FeedbackRevision.objects.filter(pk=rev.pk).update(created_at=when[i])
    return feedback


def _at(y, m, d):
    return timezone.make_aware(dt.datetime(y, m, d, 12))


def test_satisfaction(org, filters):
    _rate(org.alpha, org.pay, 4, when=[_at(2025, 4, 2)])
    _rate(org.beta, org.pay, 5, 2, when=[_at(2025, 3, 2), _at(2025, 5, 2)])
    _rate(org.alpha, org.ledger, 5, when=[_at(2025, 5, 3)], hidden=True)  # moderated away
    s = selectors.satisfaction(filters=filters())
    # Current visible ratings 4 and 2: average 3, one 2 and one 4.
    assert s["count"] == 2
    assert s["average"] == 3
    assert [r["count"] for r in s["distribution"]] == [0, 1, 0, 1, 0]
    months = {m["month"]: m for m in s["by_month"]}
    # History: March 5, April 4, May 2 (the hidden ledger rating is left out) → going down.
    assert (months["2025-03"]["average"], months["2025-04"]["average"]) == (5, 4)
    assert months["2025-05"]["average"] == 2 and months["2025-05"]["count"] == 1
    assert months["2025-06"]["average"] is None
    assert s["trend"] == "down"
    assert [(r["api"].slug, r["average"]) for r in s["per_api"]] == [("pay", 3)]


def test_satisfaction_no_data_and_one_point(org, filters):
    s = selectors.satisfaction(filters=filters())
    assert s["count"] == 0 and s["average"] is None and s["trend"] is None
    _rate(org.alpha, org.pay, 4, when=[_at(2025, 6, 1)])
    s = selectors.satisfaction(filters=filters())
    assert s["average"] == 4 and s["trend"] is None  # one point: no trend


# --- reliability --------------------------------------------------------------------------------


def _sla(*, target, attained=None, budget=None, breached=False, **subject):
    return Sla.objects.create(
        availability_target=Decimal(target),
        attained_availability=None if attained is None else Decimal(attained),
        budget_remaining=None if budget is None else Decimal(budget),
        is_breached=breached,
        **subject,
    )


def test_reliability(org, filters):
    _sla(api=org.pay, target="99.9", attained="99.95", budget="0.5")
    _sla(service=org.q, target="99.9", attained="99.5", budget="-3", breached=True)
    _sla(api=org.ledger, target="99.0", attained="99.2", budget="0.8")
    _sla(service=org.p, target="99.0")  # not measured yet
    r = selectors.reliability(filters=filters())
    assert r["slas"] == 4
    assert r["measured"] == 3
    assert r["met"] == 2
    assert r["attainment_share"] == pytest.approx(2 / 3)
    assert r["breaching"] == 1
    assert r["budget_remaining_avg"] == pytest.approx((0.5 - 3 + 0.8) / 3)
    # Worst offender first: Q (budget overspent), then pay, then ledger.
    assert [w["subject"].slug for w in r["worst"]] == ["q", "pay", "ledger"]
    # Scoped to the pay API: its own SLA and its provider P's (unmeasured).
    r = selectors.reliability(filters=filters(api=org.pay))
    assert (r["slas"], r["measured"], r["met"], r["breaching"]) == (2, 1, 1, 0)


def test_reliability_no_data(org, filters):
    r = selectors.reliability(filters=filters())
    assert r["slas"] == 0
    assert r["attainment_share"] is None and r["breaching"] is None and r["met"] is None
    _sla(service=org.p, target="99.0")
    r = selectors.reliability(filters=filters())
    assert r["slas"] == 1 and r["measured"] == 0 and r["attainment_share"] is None


# --- deprecation health -------------------------------------------------------------------------


def test_deprecation_health(org, filters):
    announced = _at(2025, 1, 1)
    dep = Deprecation.objects.create(
        api_version=org.pay1, reason="v2 is out", sunset_date=dt.date(2025, 6, 1),
        state=Deprecation.State.ANNOUNCED, announced_at=announced,
    )  # fmt: skip
    ConsumerMigration.objects.create(
        deprecation=dep, consumer=org.c1, state="migrated", migrated_at=_at(2025, 1, 11)
    )
    ConsumerMigration.objects.create(
        deprecation=dep, consumer=org.c2, state="migrated", migrated_at=_at(2025, 1, 31)
    )
    ConsumerMigration.objects.create(deprecation=dep, consumer=org.c4, state="notified")
    ConsumerMigration.objects.create(
        deprecation=dep, consumer=org.c3, state="exempted", reason="batch job, shutting down"
    )
    # A draft and a cancelled deprecation count for nothing.
    Deprecation.objects.create(api_version=org.ledger1, reason="x", sunset_date=dt.date(2026, 1, 1))
    h = selectors.deprecation_health(filters=filters())
    assert h["open"] == 1
    assert h["migrations"] == 4
    assert h["done"] == 3  # two migrated, one exempted
    assert h["done_share"] == 0.75
    # Sunset 2025-06-01 passed on 2025-06-15 and C4 is not done.
    assert h["overdue"] == 1
    # Announced → migrated: 10 and 30 days → median 20.
    assert h["median_days_to_migrated"] == 20
    assert [d["deprecation"].pk for d in h["open_deprecations"]] == [dep.pk]
    assert h["open_deprecations"][0]["overdue"] is True
    # Other teams' APIs are out of scope.
    assert selectors.deprecation_health(filters=filters(team=org.prov2))["open"] == 0


def test_deprecation_health_no_data(org, filters):
    h = selectors.deprecation_health(filters=filters())
    assert h["open"] == 0 and h["migrations"] == 0
    assert h["done_share"] is None and h["overdue"] is None
    assert h["median_days_to_migrated"] is None
