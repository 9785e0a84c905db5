"""The pure error-budget maths: SRE-workbook cases exactly, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from slas import budget
from slas.budget import DayCount, IncidentSpan, SupportHours

TODAY = date(2025, 3, 28)


def test_sre_workbook_allowed_errors_exact():
    assert budget.error_budget(target=Decimal("99.9"), total=3_000_000) == Decimal(3000)


def test_sre_workbook_half_budget_consumed_exact():
    consumed = budget.budget_consumed(
        target=Decimal("99.9"), good=3_000_000 - 1_500, total=3_000_000
    )
    assert consumed == Decimal("0.5")


def test_compliance_over_a_window_matches_the_workbook():
    days = [
        DayCount(day=TODAY - timedelta(days=i), good=100_000 - 50, total=100_000) for i in range(30)
    ]
    # 28-day rolling window: 2,800,000 requests, 1,400 errors, 2,800 allowed at 99.9 %.
    result = budget.compliance(target=Decimal("99.9"), days=days, today=TODAY)
    assert result.total == 2_800_000
    assert result.bad == 1_400
    assert result.budget == Decimal(2800)
    assert result.consumed == Decimal("0.5")
    assert result.remaining == Decimal("0.5")
    assert result.attained == Decimal("99.95")
    assert result.met is True
    assert result.burn_rates["1d"] == Decimal("0.5")
    assert result.burn_rates["3d"] == Decimal("0.5")
    assert result.burn_rates["1h"] is None and result.burn_rates["6h"] is None
    # Half the budget left at half the sustainable rate: 0.5 x 28 / 0.5 = 28 days.
    assert result.exhaustion_on == TODAY + timedelta(days=28)


def test_no_traffic_gives_unknowns_not_errors():
    result = budget.compliance(target=Decimal("99.9"), days=[], today=TODAY)
    assert result.attained is None and result.consumed is None and result.remaining is None
    assert result.met is None and result.exhaustion_on is None and not result.exhausted
    assert all(v is None for v in result.burn_rates.values())


def test_overspent_budget_is_exhausted_today_and_breached():
    days = [DayCount(day=TODAY, good=990, total=1000)]
    result = budget.compliance(target=Decimal("99.9"), days=days, today=TODAY)
    assert result.consumed == Decimal(10)
    assert result.remaining == Decimal(-9)
    assert result.exhausted and result.exhaustion_on == TODAY
    assert result.met is False


def test_burn_rate_three_days_needs_three_days_of_data():
    days = [
        DayCount(day=TODAY, good=999, total=1000),
        DayCount(day=TODAY - timedelta(days=1), good=1000, total=1000),
    ]
    result = budget.compliance(target=Decimal("99.9"), days=days, today=TODAY)
    assert result.burn_rates["1d"] == Decimal(1)
    assert result.burn_rates["3d"] is None


def test_days_outside_the_window_are_ignored():
    days = [
        DayCount(day=TODAY - timedelta(days=28), good=0, total=1000),
        DayCount(day=TODAY, good=1000, total=1000),
    ]
    result = budget.compliance(target=Decimal("99.9"), days=days, today=TODAY)
    assert result.total == 1000 and result.bad == 0


def test_calendar_month_window():
    start, end, length = budget.window_bounds(
        kind="calendar_month", days=28, today=date(2024, 2, 10)
    )
    assert (start, end, length) == (date(2024, 2, 1), date(2024, 2, 10), 29)
    start, end, length = budget.window_bounds(kind="rolling", days=7, today=date(2024, 2, 10))
    assert (start, end, length) == (date(2024, 2, 4), date(2024, 2, 10), 7)


def test_support_minutes_24x7_and_business_hours_across_time_zone():
    start = datetime(2025, 3, 7, 15, 0, tzinfo=UTC)  # a Friday
    end = datetime(2025, 3, 10, 10, 0, tzinfo=UTC)  # the Monday after
    assert budget.support_minutes(start=start, end=end, hours=SupportHours()) == 67 * 60
    berlin = SupportHours(
        always=False,
        days=frozenset({1, 2, 3, 4, 5}),
        start=time(9),
        end=time(17),
        tz="Europe/Berlin",
    )
    # Friday 16:00-17:00 Berlin (60 min) + Monday 09:00-11:00 Berlin (120 min).
    assert budget.support_minutes(start=start, end=end, hours=berlin) == 180


def test_incident_minutes_skip_excluded_and_weight_impact():
    base = datetime.combine(TODAY, time(10), tzinfo=UTC)
    incidents = [
        IncidentSpan(start=base, end=base + timedelta(minutes=30), impact=Decimal("0.5")),
        IncidentSpan(start=base, end=base + timedelta(minutes=90), excluded=True),
    ]
    result = budget.compliance(target=Decimal("99.9"), days=[], today=TODAY, incidents=incidents)
    assert result.incident_minutes == 30
    assert result.incident_minutes_weighted == Decimal("15.0")


targets = st.decimals(min_value=Decimal("90"), max_value=Decimal("99.999"), places=3)
counts = st.lists(
    st.tuples(st.integers(min_value=0, max_value=10**9), st.integers(min_value=0, max_value=10**9)),
    min_size=0,
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(target=targets, rows=counts)
def test_remaining_budget_never_exceeds_100_percent(target, rows):
    days = [
        DayCount(day=TODAY - timedelta(days=i), good=min(a, b), total=max(a, b))
        for i, (a, b) in enumerate(rows)
    ]
    result = budget.compliance(target=target, days=days, today=TODAY)
    if result.remaining is not None:
        assert result.remaining <= 1
        assert result.consumed >= 0
        # remaining and consumed always add up to the whole budget
        assert result.remaining + result.consumed == 1
    for rate in result.burn_rates.values():
        assert rate is None or rate >= 0


@settings(max_examples=200, deadline=None)
@given(
    target=targets,
    window=st.integers(min_value=1, max_value=60),
    units=st.lists(st.integers(min_value=1, max_value=50), min_size=60, max_size=60),
)
def test_burn_rate_one_spends_exactly_the_budget_over_the_window(target, window, units):
    # Each day's traffic is a multiple of 100,000 so that (1 - target) x total is whole.
    allowed = (Decimal(1) - target / 100) * 100_000
    assert allowed == allowed.to_integral_value()
    days = []
    for i in range(window):
        total = units[i] * 100_000
        bad = int(allowed) * units[i]
        days.append(DayCount(day=TODAY - timedelta(days=i), good=total - bad, total=total))
    result = budget.compliance(target=target, days=days, today=TODAY, window_days=window)
    assert result.burn_rates["1d"] == 1
    assert result.consumed == 1
    assert result.remaining == 0
    assert result.exhausted


@settings(max_examples=100, deadline=None)
@given(target=targets, good=st.integers(0, 10**7), extra=st.integers(0, 10**7))
def test_attained_below_target_iff_budget_overspent(target, good, extra):
    total = good + extra
    if total == 0:
        return
    consumed = budget.budget_consumed(target=target, good=good, total=total)
    attained = budget.attained_percent(good=good, total=total)
    assert (attained < target) == (consumed > 1)


@pytest.mark.parametrize("module", ["slas.budget"])
def test_budget_module_has_no_django_import(module):
    import importlib
    import inspect

    source = inspect.getsource(importlib.import_module(module))
    assert "django" not in source.replace("Django-free", "")


def test_daily_burn_down_rises_to_the_window_consumption():
    days = [DayCount(day=TODAY - timedelta(days=i), good=999, total=1000) for i in range(4)]
    result = budget.compliance(target=Decimal("99.8"), days=days, today=TODAY, window_days=4)
    assert [p.consumed for p in result.daily] == [
        Decimal("0.125"),
        Decimal("0.25"),
        Decimal("0.375"),
        Decimal("0.5"),
    ]
    assert result.daily[-1].consumed == result.consumed
    assert [p.attained for p in result.daily] == [Decimal("99.9")] * 4
