"""The pure computations (no database)."""

import datetime as dt

import pytest

from portal.health import stats


def test_percentiles_interpolate_like_percentile_cont():
    values = [30, 4, 10, 20, 10]  # sorted: 4 10 10 20 30
    assert stats.median(values) == 10
    assert stats.percentile(values, 0.75) == 20
    assert stats.median([10, 20, 30, 10]) == 15  # (10 + 20) / 2
    assert stats.percentile([10, 20, 30, 10], 0.75) == 22.5  # 20 + .25 * (30 - 20)


def test_no_data_is_none_and_one_point_is_itself():
    assert stats.median([]) is None
    assert stats.percentile([], 0.75) is None
    assert stats.mean([]) is None
    assert stats.share(3, 0) is None
    assert stats.median([4]) == 4
    assert stats.percentile([4], 0.75) == 4
    with pytest.raises(ValueError):
        stats.percentile([1], 1.5)


def test_distribution_and_weighted_mean():
    rows = stats.distribution({2: 1, 4: 3})
    assert [r["count"] for r in rows] == [0, 1, 0, 3, 0]
    assert rows[3]["share"] == 0.75
    assert stats.weighted_mean({2: 1, 4: 3}) == 3.5
    assert stats.weighted_mean({}) is None
    assert all(r["share"] is None for r in stats.distribution({}))


def test_trend():
    assert stats.trend([1, 2, 3]) == "up"
    assert stats.trend([5, None, 3, 1]) == "down"
    assert stats.trend([3, 3.01, 3]) == "flat"
    assert stats.trend([None, 4, None]) is None
    assert stats.trend([]) is None


def test_months_and_quarters():
    assert stats.months_back(dt.date(2025, 2, 10), 3) == ["2024-12", "2025-01", "2025-02"]
    assert stats.month_end("2024-02") == dt.date(2024, 2, 29)
    assert stats.month_end("2024-12") == dt.date(2024, 12, 31)
    assert stats.parse_quarter("2025-Q3") == (2025, 3)
    assert stats.next_quarter("2025-Q4") == "2026-Q1"
    assert stats.quarter_range("2025-Q3", "2026-Q2") == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert stats.quarter_of(dt.date(2025, 11, 3)) == "2025-Q4"
    for bad in ["2025-Q5", "2025Q1", "", "Q1-2025"]:
        with pytest.raises(ValueError):
            stats.parse_quarter(bad)


# Roadmap: 1 ← 2 ← 4, 1 ← 3, 3 ← 4 (4 depends on 2 and 3), 5 alone.
GRAPH = {1: [], 2: [1], 3: [1], 4: [2, 3], 5: []}
QUARTERS = {1: "2025-Q2", 2: "2025-Q3", 3: "2025-Q4", 4: "2026-Q1", 5: "2025-Q1"}


def test_unlocks_is_transitive_and_cycle_safe():
    assert stats.unlocks(1, GRAPH) == [2, 3, 4]
    assert stats.unlocks(2, GRAPH) == [4]
    assert stats.unlocks(4, GRAPH) == []
    assert stats.unlocks(1, {1: [2], 2: [1]}) == [2]  # a cycle does not loop forever


def test_breaks_if_slips_only_dependents_planned_before_the_slip():
    # Item 1 slips to 2025-Q4: item 2 (Q3) breaks; 3 (Q4, same quarter) and 4 (2026-Q1) do not.
    assert stats.breaks_if_slips(1, "2025-Q4", GRAPH, QUARTERS) == [2]
    # Slipping to 2026-Q2 breaks every dependent.
    assert stats.breaks_if_slips(1, "2026-Q2", GRAPH, QUARTERS) == [2, 3, 4]
    # Shipped dependents never break.
    assert stats.breaks_if_slips(1, "2026-Q2", GRAPH, QUARTERS, shipped={3}) == [2, 4]
    assert stats.breaks_if_slips(5, "2030-Q1", GRAPH, QUARTERS) == []


def test_creates_cycle():
    assert stats.creates_cycle(1, [4], GRAPH)  # 4 already depends on 1
    assert stats.creates_cycle(2, [2], GRAPH)
    assert not stats.creates_cycle(4, [5], GRAPH)


@pytest.mark.parametrize(
    "values",
    [[4], [10, 20], [30, 4, 10, 20, 10], [1, 1, 1, 2, 9, 9], [*range(17), 3, 3, 3]],
)
@pytest.mark.parametrize("q", [0, 0.25, 0.5, 0.75, 0.9, 1])
def test_percentile_of_a_histogram_equals_the_percentile_of_its_values(values, q):
    counts: dict[int, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    assert stats.percentile_of_counts(counts, q) == pytest.approx(stats.percentile(values, q))


def test_percentile_of_an_empty_histogram_is_none():
    assert stats.percentile_of_counts({}, 0.5) is None
    assert stats.percentile_of_counts({3: 0}, 0.5) is None
    assert stats.percentile_of_counts({3: 2, 5: 2}, 0.5) == 4
    with pytest.raises(ValueError):
        stats.percentile_of_counts({1: 1}, -0.1)
