"""Helpers shared by the benchmarks in portal/bench/."""

from __future__ import annotations

import resource
import statistics
import time
from collections.abc import Callable


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    if not ordered:
        return {"p50": float("nan"), "p95": float("nan"), "max": float("nan")}

    def pick(q: float) -> float:
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index]

    return {
        "p50": statistics.median(ordered),
        "p95": pick(0.95),
        "max": ordered[-1],
    }


def measure(fn: Callable[[], object], *, repeat: int, warmup: int = 3) -> dict[str, float]:
    """Run ``fn`` ``warmup`` times, then ``repeat`` times, and return latency percentiles in ms."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def peak_rss_mb() -> float:
    """Peak resident memory of this process, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build_consumers(*, teams: int, services: int, api_version, provider) -> list[int]:
    """``teams`` teams (``bench-team-<i>``) owning ``services`` services (``bench-svc-<i>``,
    dealt round-robin), each service consuming ``api_version`` of ``provider``; bulk inserts of
    1,000. Returns the new teams' ids in creation order."""
    from catalog.models import Dependency, Service, Team

    Team.objects.bulk_create(
        [Team(slug=f"bench-team-{i}", name=f"Bench team {i}") for i in range(teams)],
        batch_size=1000,
    )
    team_ids = list(
        Team.objects.filter(slug__startswith="bench-team-")
        .order_by("id")
        .values_list("id", flat=True)
    )
    Service.objects.bulk_create(
        [
            Service(slug=f"bench-svc-{i}", name=f"Bench service {i}", owner_id=team_ids[i % teams])
            for i in range(services)
        ],
        batch_size=1000,
    )
    consumers = Service.objects.filter(slug__startswith="bench-svc-").values_list("id", flat=True)
    Dependency.objects.bulk_create(
        [
            Dependency(consumer_id=cid, api_version=api_version, provider=provider)
            for cid in consumers.iterator()
        ],
        batch_size=1000,
    )
    return team_ids
