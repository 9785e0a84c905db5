"""Helpers shared by the benchmarks in portal/bench/."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path


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


# --- CPU accounting from /proc (Linux) ----------------------------------------------------------

PROC = Path("/proc")


@dataclass(frozen=True)
class ProcStat:
    """What ``/proc/<pid>/stat`` says about one process, in CPU seconds.

    ``start`` (clock ticks after boot) tells a process from a later one given the same pid."""

    pid: int
    ppid: int
    cpu: float  # utime + stime: the process itself
    children_cpu: float  # cutime + cstime: its children that exited and were waited for
    start: int

    @property
    def key(self) -> tuple[int, int]:
        return (self.pid, self.start)


def parse_proc_stat(text: str, *, clock_ticks: int) -> ProcStat:
    """Parse one ``/proc/<pid>/stat`` line (proc(5)); the command name may hold spaces and
    parentheses, so fields are counted after its last ``)``."""
    head, rest = text.rsplit(")", 1)
    fields = rest.split()
    # fields[0] is field 3 (state): field n is fields[n - 3].
    return ProcStat(
        pid=int(head.split("(", 1)[0]),
        ppid=int(fields[1]),
        cpu=(int(fields[11]) + int(fields[12])) / clock_ticks,
        children_cpu=(int(fields[13]) + int(fields[14])) / clock_ticks,
        start=int(fields[19]),
    )


def _clock_ticks() -> int:
    return os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def read_proc_stat(pid: int, *, proc: Path = PROC) -> ProcStat | None:
    """The stat of ``pid``, or None when it is gone (or there is no /proc)."""
    try:
        text = (proc / str(pid) / "stat").read_text()
    except OSError:
        return None
    return parse_proc_stat(text, clock_ticks=_clock_ticks())


def child_pids(pid: int, *, proc: Path = PROC) -> list[int]:
    """The children of ``pid`` now (``/proc/<pid>/task/<pid>/children``; [] when unreadable)."""
    try:
        return [
            int(p) for p in (proc / str(pid) / "task" / str(pid) / "children").read_text().split()
        ]
    except OSError:
        return []


def children_cpu_seconds(master: int, *, proc: Path = PROC) -> float | None:
    """CPU seconds all children of ``master`` have used so far, including those that exited:
    the live children's own time plus the master's ``cutime + cstime`` (a child's time moves
    there when the master reaps it). The difference of two readings is the children's CPU over
    the interval, whatever was replaced in between (a gunicorn worker recycled after
    ``max_requests``): never negative. None when the master is gone or there is no /proc."""
    stat = read_proc_stat(master, proc=proc)
    if stat is None:
        return None
    live = (read_proc_stat(pid, proc=proc) for pid in child_pids(master, proc=proc))
    return stat.children_cpu + sum(s.cpu for s in live if s is not None)


@dataclass
class CpuAccount:
    """CPU seconds of a changing set of processes over an interval, summed per process seen.

    ``sample`` records the processes' readings (call it at the start, now and then, and at the
    end). Each process counts from its first reading — 0 when it was first seen after the first
    sample (it started during the interval) — to its last one. A process that exits between two
    samples loses only what it used after the last sample before it exited: the total is a lower
    bound, never negative. ``started`` and ``ended`` count processes born and gone since the
    first sample."""

    first: dict[tuple[int, int], float] = field(default_factory=dict)
    last: dict[tuple[int, int], float] = field(default_factory=dict)
    samples: int = 0
    _present: set[tuple[int, int]] = field(default_factory=set)

    def sample(self, stats: Iterable[ProcStat | None]) -> None:
        present = {s.key: s.cpu for s in stats if s is not None}
        if self.samples == 0:
            self.first = dict(present)
        self.last.update(present)
        self._present = set(present)
        self.samples += 1

    @property
    def seconds(self) -> float:
        return sum(max(0.0, cpu - self.first.get(key, 0.0)) for key, cpu in self.last.items())

    @property
    def started(self) -> int:
        return len(self.last.keys() - self.first.keys())

    @property
    def ended(self) -> int:
        return len(self.last.keys() - self._present)
