"""Error-budget maths of an SLA, as pure Python (no Django import).

Definitions follow the Google SRE workbook ("Implementing SLOs", "Alerting on SLOs"):

- attained availability = good / total (percent);
- error budget = (1 - target) x total events, so 99.9 % over 3,000,000 requests allows 3,000
  errors;
- budget consumed = bad events / error budget (1,500 errors of 3,000 allowed = 50 %), remaining =
  1 - consumed (it can go below zero when the budget is overspent, never above 100 %);
- burn rate over a period = observed error rate / (1 - target): a burn rate of 1.0 spends exactly
  the whole budget over the whole window;
- projected exhaustion: at the recent burn rate, the remaining budget lasts
  remaining x window days / burn rate.

All quantities that must come out exactly use ``Decimal`` and integer event counts. Measurements
are daily, so 1 h and 6 h burn rates are reported as unknown (``None``): the data does not allow
them.
"""

from __future__ import annotations

import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

HUNDRED = Decimal(100)
ONE = Decimal(1)
BURN_PERIODS_HOURS: dict[str, int] = {"1h": 1, "6h": 6, "1d": 24, "3d": 72}


@dataclass(frozen=True)
class DayCount:
    """Good and total events of one day."""

    day: date
    good: int
    total: int

    @property
    def bad(self) -> int:
        return self.total - self.good


@dataclass(frozen=True)
class IncidentSpan:
    """An incident's time span (aware datetimes), its impact fraction and exclusion flag."""

    start: datetime
    end: datetime
    impact: Decimal = ONE
    excluded: bool = False


@dataclass(frozen=True)
class SupportHours:
    """24x7 (``always``) or business hours on ISO weekdays ``days`` from ``start`` to ``end``."""

    always: bool = True
    days: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    start: time | None = None
    end: time | None = None
    tz: str = "UTC"


@dataclass(frozen=True)
class DailyPoint:
    """One day of the chart: attained availability that day, and the share of the window's
    error budget consumed by the end of that day (the last point equals ``consumed``)."""

    day: date
    attained: Decimal | None
    consumed: Decimal | None


@dataclass(frozen=True)
class Compliance:
    target: Decimal
    window_start: date
    window_end: date
    window_days: int
    good: int
    total: int
    attained: Decimal | None
    budget: Decimal
    bad: int
    consumed: Decimal | None
    remaining: Decimal | None
    burn_rates: dict[str, Decimal | None]
    exhaustion_on: date | None
    exhausted: bool
    met: bool | None
    incident_minutes: int
    incident_minutes_weighted: Decimal
    daily: list[DailyPoint] = field(default_factory=list)

    @property
    def budget_errors_remaining(self) -> Decimal:
        return self.budget - self.bad


def _dec(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def error_budget(*, target: Decimal, total: int) -> Decimal:
    """Allowed bad events: (1 - target/100) x total."""
    return (ONE - _dec(target) / HUNDRED) * total


def attained_percent(*, good: int, total: int) -> Decimal | None:
    """Good / total as a percentage, or None without traffic."""
    if total <= 0:
        return None
    return Decimal(good) * HUNDRED / Decimal(total)


def budget_consumed(*, target: Decimal, good: int, total: int) -> Decimal | None:
    """Fraction of the error budget spent (1 = all of it), or None without traffic."""
    budget = error_budget(target=target, total=total)
    if budget <= 0:
        return None
    return Decimal(total - good) / budget


def burn_rate(*, target: Decimal, good: int, total: int) -> Decimal | None:
    """Observed error rate divided by the allowed error rate; None without traffic."""
    if total <= 0:
        return None
    allowed = ONE - _dec(target) / HUNDRED
    return (Decimal(total - good) / Decimal(total)) / allowed


def window_bounds(*, kind: str, days: int, today: date) -> tuple[date, date, int]:
    """(first day, last day, length in days) of the compliance window containing ``today``.

    ``rolling``: the ``days`` days ending today. ``calendar_month``: the month of ``today`` (the
    length is the number of days in that month; the window so far ends today).
    """
    if kind == "calendar_month":
        length = calendar.monthrange(today.year, today.month)[1]
        return today.replace(day=1), today, length
    return today - timedelta(days=days - 1), today, days


def support_minutes(*, start: datetime, end: datetime, hours: SupportHours) -> int:
    """Whole minutes of ``[start, end)`` that fall inside the support hours."""
    if end <= start:
        return 0
    if hours.always or hours.start is None or hours.end is None:
        return int((end - start).total_seconds() // 60)
    tz = ZoneInfo(hours.tz)
    local_start = start.astimezone(tz)
    local_end = end.astimezone(tz)
    seconds = 0.0
    day = local_start.date()
    while day <= local_end.date():
        if day.isoweekday() in hours.days:
            open_at = datetime.combine(day, hours.start, tzinfo=tz)
            close_at = datetime.combine(day, hours.end, tzinfo=tz)
            lo = max(open_at, local_start)
            hi = min(close_at, local_end)
            if hi > lo:
                seconds += (hi - lo).total_seconds()
        day += timedelta(days=1)
    return int(seconds // 60)


def _sum(days: Iterable[DayCount]) -> tuple[int, int]:
    good = total = 0
    for d in days:
        good += d.good
        total += d.total
    return good, total


def compliance(
    *,
    target: Decimal,
    days: Sequence[DayCount],
    today: date,
    window_kind: str = "rolling",
    window_days: int = 28,
    incidents: Sequence[IncidentSpan] = (),
    hours: SupportHours | None = None,
    now: datetime | None = None,
) -> Compliance:
    """Compliance of one SLA over the window that contains ``today``.

    ``days`` may hold any days; only those inside the window count. Incident minutes count the
    part of each non-excluded incident inside the window and inside support hours (an open
    incident runs until ``now``).
    """
    target = _dec(target)
    start, end, length = window_bounds(kind=window_kind, days=window_days, today=today)
    in_window = sorted((d for d in days if start <= d.day <= end), key=lambda d: d.day)
    good, total = _sum(in_window)
    budget = error_budget(target=target, total=total)
    bad = total - good
    consumed = budget_consumed(target=target, good=good, total=total)
    remaining = None if consumed is None else ONE - consumed
    attained = attained_percent(good=good, total=total)

    burn: dict[str, Decimal | None] = {}
    last_day = in_window[-1].day if in_window else None
    for name, hours_ in BURN_PERIODS_HOURS.items():
        if hours_ % 24 or last_day is None:
            burn[name] = None  # daily measurements cannot resolve sub-day periods
            continue
        span = hours_ // 24
        recent = [d for d in in_window if d.day > last_day - timedelta(days=span)]
        if len(recent) < span:
            burn[name] = None
            continue
        g, t = _sum(recent)
        burn[name] = burn_rate(target=target, good=g, total=t)

    exhausted = remaining is not None and remaining <= 0
    exhaustion_on: date | None = None
    if exhausted:
        exhaustion_on = today
    elif remaining is not None:
        rate = burn.get("3d") if burn.get("3d") is not None else burn.get("1d")
        if rate is not None and rate > 0:
            days_left = remaining * length / rate
            exhaustion_on = today + timedelta(days=math.floor(days_left))

    met = None if attained is None else attained >= target

    hours = hours or SupportHours()
    window_open = datetime.combine(start, time.min, tzinfo=ZoneInfo("UTC"))
    window_close = datetime.combine(end + timedelta(days=1), time.min, tzinfo=ZoneInfo("UTC"))
    minutes = 0
    weighted = Decimal(0)
    for incident in incidents:
        if incident.excluded:
            continue
        lo = max(incident.start, window_open)
        hi = min(incident.end, window_close, now or window_close)
        m = support_minutes(start=lo, end=hi, hours=hours)
        minutes += m
        weighted += Decimal(m) * _dec(incident.impact)

    # The burn-down: share of the window's whole error budget spent by the end of each day.
    daily: list[DailyPoint] = []
    run_bad = 0
    for d in in_window:
        run_bad += d.bad
        daily.append(
            DailyPoint(
                day=d.day,
                attained=attained_percent(good=d.good, total=d.total),
                consumed=None if budget <= 0 else Decimal(run_bad) / budget,
            )
        )

    return Compliance(
        target=target,
        window_start=start,
        window_end=end,
        window_days=length,
        good=good,
        total=total,
        attained=attained,
        budget=budget,
        bad=bad,
        consumed=consumed,
        remaining=remaining,
        burn_rates=burn,
        exhaustion_on=exhaustion_on,
        exhausted=exhausted,
        met=met,
        incident_minutes=minutes,
        incident_minutes_weighted=weighted,
        daily=daily,
    )
