"""Pure computations of the health dashboard and the roadmap. No Django import.

Everything here takes plain values and returns plain values, so it is unit-tested without a
database. ``None`` means "no data" (never zero): callers show it as such.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

# --- percentiles --------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float | None:
    """The ``q``-quantile (0 ≤ q ≤ 1) with linear interpolation, like PostgreSQL's
    ``percentile_cont``. ``None`` for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    ordered = sorted(values)
    if not ordered:
        return None
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(ordered[low])
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float | None:
    return percentile(values, 0.5)


def mean(values: Sequence[float]) -> float | None:
    values = list(values)
    if not values:
        return None
    return sum(values) / len(values)


def share(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction, ``None`` when there is nothing to divide."""
    if not whole:
        return None
    return part / whole


def distribution(ratings: Mapping[int, int], *, scale: Iterable[int] = range(1, 6)) -> list[dict]:
    """Counts per rating on the whole scale (missing ratings are 0), with each one's share."""
    total = sum(ratings.values())
    return [
        {
            "rating": r,
            "count": int(ratings.get(r, 0)),
            "share": (ratings.get(r, 0) / total) if total else None,
        }
        for r in scale
    ]


def weighted_mean(counts: Mapping[int, int]) -> float | None:
    """Mean of a ``{value: count}`` histogram."""
    total = sum(counts.values())
    if not total:
        return None
    return sum(value * count for value, count in counts.items()) / total


def trend(points: Sequence[float | None]) -> str | None:
    """Direction of a series: ``up``, ``down`` or ``flat`` (least-squares slope over the points
    that have data, ±0.05 per step counts as flat). ``None`` with fewer than two points."""
    pairs = [(i, v) for i, v in enumerate(points) if v is not None]
    if len(pairs) < 2:
        return None
    n = len(pairs)
    mx = sum(i for i, _ in pairs) / n
    my = sum(v for _, v in pairs) / n
    den = sum((i - mx) ** 2 for i, _ in pairs)
    slope = sum((i - mx) * (v - my) for i, v in pairs) / den
    if slope > 0.05:
        return "up"
    if slope < -0.05:
        return "down"
    return "flat"


# --- months and quarters ------------------------------------------------------------------------


def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def months_back(today: date, count: int) -> list[str]:
    """The ``count`` month keys ending with ``today``'s month, oldest first."""
    year, month = today.year, today.month
    keys = []
    for _ in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        month -= 1
        if month == 0:
            year, month = year - 1, 12
    return list(reversed(keys))


def month_start(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)


def month_end(key: str) -> date:
    start = month_start(key)
    following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


QUARTER_RE = re.compile(r"^([0-9]{4})-Q([1-4])\Z")


def parse_quarter(value: str) -> tuple[int, int]:
    """``"2025-Q3"`` → ``(2025, 3)``; ``ValueError`` for anything else."""
    match = QUARTER_RE.match(value or "")
    if not match:
        raise ValueError(f"'{value}' is not a quarter like 2025-Q3")
    return int(match.group(1)), int(match.group(2))


def quarter_index(value: str) -> int:
    year, q = parse_quarter(value)
    return year * 4 + (q - 1)


def quarter_from_index(index: int) -> str:
    return f"{index // 4:04d}-Q{index % 4 + 1}"


def quarter_of(d: date) -> str:
    return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"


def next_quarter(value: str) -> str:
    return quarter_from_index(quarter_index(value) + 1)


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from ``first`` to ``last`` inclusive (empty if ``last`` < ``first``)."""
    return [quarter_from_index(i) for i in range(quarter_index(first), quarter_index(last) + 1)]


# --- the roadmap graph --------------------------------------------------------------------------


def unlocks(item_id: int, depends_on: Mapping[int, Iterable[int]]) -> list[int]:
    """Everything that depends on ``item_id``, transitively (breadth first, cycle-safe).

    ``depends_on`` maps each item to the items it depends on (its prerequisites).
    """
    dependents: dict[int, list[int]] = {}
    for item, prerequisites in depends_on.items():
        for prerequisite in prerequisites:
            dependents.setdefault(prerequisite, []).append(item)
    seen: set[int] = {item_id}
    order: list[int] = []
    queue = deque([item_id])
    while queue:
        current = queue.popleft()
        for dependent in sorted(dependents.get(current, [])):
            if dependent not in seen:
                seen.add(dependent)
                order.append(dependent)
                queue.append(dependent)
    return order


def breaks_if_slips(
    item_id: int,
    slip_to: str,
    depends_on: Mapping[int, Iterable[int]],
    target_quarter: Mapping[int, str],
    *,
    shipped: Iterable[int] = (),
) -> list[int]:
    """Dependents of ``item_id`` (transitively) whose target quarter comes before ``slip_to``.

    If the item ships in ``slip_to`` instead, these can no longer ship on time. Items already
    shipped are never broken.
    """
    limit = quarter_index(slip_to)
    done = set(shipped)
    return [
        dependent
        for dependent in unlocks(item_id, depends_on)
        if dependent not in done and quarter_index(target_quarter[dependent]) < limit
    ]


def creates_cycle(item_id: int, new_prerequisites: Iterable[int], depends_on: Mapping) -> bool:
    """Would making ``item_id`` depend on ``new_prerequisites`` close a cycle?"""
    new = set(new_prerequisites)
    if item_id in new:
        return True
    return bool(new & set(unlocks(item_id, depends_on)))


def percentile_of_counts(counts: Mapping[float, int], q: float) -> float | None:
    """:func:`percentile` of the values a ``{value: count}`` histogram stands for (each value
    repeated ``count`` times), without expanding it. ``None`` for no values."""
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    total = sum(counts.values())
    if not total:
        return None
    position = q * (total - 1)
    low, high = math.floor(position), math.ceil(position)
    wanted = {low: None, high: None}
    seen = 0
    for value in sorted(counts):
        count = counts[value]
        for index in wanted:
            if wanted[index] is None and index < seen + count:
                wanted[index] = value
        seen += count
        if wanted[high] is not None:
            break
    lo, hi = wanted[low], wanted[high]
    if low == high:
        return float(lo)
    return lo + (hi - lo) * (position - low)
