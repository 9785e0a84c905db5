"""CPU accounting of ``manage.py bench http`` (portal/benchutil.py) on a fake /proc: a gunicorn
worker recycled during a run is counted, and no column goes negative."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from portal.benchutil import (
    CpuAccount,
    ProcStat,
    child_pids,
    children_cpu_seconds,
    parse_proc_stat,
    read_proc_stat,
)

TICKS = os.sysconf("SC_CLK_TCK")


def stat_line(pid: int, *, ppid: int = 1, cpu: int = 0, children: int = 0, start: int = 1000,
              comm: str = "gunicorn") -> str:  # fmt: skip
    """A /proc/<pid>/stat line; ``cpu`` and ``children`` in clock ticks, split user/system."""
    fields = ["S", str(ppid)] + ["0"] * 9  # state, ppid, pgrp … majflt, cmajflt (fields 3-13)
    fields += [str(cpu - cpu // 3), str(cpu // 3)]  # utime, stime (14, 15)
    fields += [str(children - children // 2), str(children // 2)]  # cutime, cstime (16, 17)
    fields += ["20", "0", "1", "0", str(start)]  # priority … starttime (18-22)
    fields += ["0"] * 30
    return f"{pid} ({comm}) " + " ".join(fields) + "\n"


class FakeProc:
    """A /proc with a master and its workers, whose times the test moves forward."""

    def __init__(self, root: Path, master: int = 100) -> None:
        self.root, self.master = root, master
        self.reaped = 0
        self.workers: dict[int, tuple[int, int]] = {}  # pid → (cpu ticks, start)
        self.write()

    def write(self) -> None:
        for path in sorted(self.root.glob("*/stat")):
            path.unlink()
        self._stat(self.master, stat_line(self.master, cpu=50, children=self.reaped))
        for pid, (cpu, start) in self.workers.items():
            self._stat(pid, stat_line(pid, ppid=self.master, cpu=cpu, start=start))
        task = self.root / str(self.master) / "task" / str(self.master)
        task.mkdir(parents=True, exist_ok=True)
        (task / "children").write_text(" ".join(map(str, self.workers)) + " ")

    def _stat(self, pid: int, text: str) -> None:
        (self.root / str(pid)).mkdir(exist_ok=True)
        (self.root / str(pid) / "stat").write_text(text)

    def run(self, pid: int, ticks: int) -> None:
        cpu, start = self.workers[pid]
        self.workers[pid] = (cpu + ticks, start)
        self.write()

    def recycle(self, pid: int, new_pid: int, *, startup_ticks: int) -> None:
        """``pid`` exits (the master reaps it: its time moves to cutime+cstime), ``new_pid``
        starts and spends ``startup_ticks`` importing Django."""
        self.reaped += self.workers.pop(pid)[0]
        self.workers[new_pid] = (startup_ticks, 5000 + new_pid)
        self.write()

    def stats(self) -> list[ProcStat | None]:
        return [read_proc_stat(pid, proc=self.root) for pid in child_pids(self.master, proc=self.root)]  # fmt: skip


def test_parse_proc_stat_reads_cpu_children_and_start_past_a_tricky_name():
    line = stat_line(
        42, ppid=7, cpu=300, children=120, start=98765, comm="gunicorn: worker (x) [p]"
    )
    stat = parse_proc_stat(line, clock_ticks=100)
    assert stat == ProcStat(pid=42, ppid=7, cpu=3.0, children_cpu=1.2, start=98765)
    assert stat.key == (42, 98765)


def test_a_recycled_worker_is_counted_and_the_web_column_never_goes_negative(tmp_path):
    proc = FakeProc(tmp_path)
    proc.workers = {201: (1000, 1), 202: (2000, 2)}
    proc.write()
    before = children_cpu_seconds(proc.master, proc=tmp_path)
    assert before == pytest.approx(3000 / TICKS)

    proc.run(201, 100)
    proc.run(202, 100)
    proc.recycle(201, 203, startup_ticks=90)  # 201 exits after 1,100 ticks; 203 starts
    proc.run(203, 10)
    after = children_cpu_seconds(proc.master, proc=tmp_path)
    # 100 (201 before it exited) + 100 (202) + 90 + 10 (203, start-up included).
    assert after - before == pytest.approx(300 / TICKS)

    # What the old accounting did: the pids seen at the start, read again at the end.
    old_after = sum(s.cpu for s in (read_proc_stat(p, proc=tmp_path) for p in (201, 202)) if s)
    assert old_after - before < 0


def test_cpu_account_sums_per_process_seen_and_is_a_lower_bound(tmp_path):
    proc = FakeProc(tmp_path)
    proc.workers = {301: (500, 1), 302: (700, 2)}
    proc.write()
    account = CpuAccount()
    account.sample(proc.stats())
    proc.run(301, 40)
    proc.run(302, 20)
    account.sample(proc.stats())  # 301 last seen at +40
    proc.run(301, 5)  # not sampled: lost when it exits
    proc.recycle(301, 303, startup_ticks=30)
    proc.run(302, 10)
    account.sample(proc.stats())
    assert account.seconds == pytest.approx((40 + 30 + 30) / TICKS)
    assert account.started == 1 and account.ended == 1
    assert account.seconds <= (40 + 5 + 30 + 30) / TICKS  # the true total


def test_a_pid_reused_by_a_new_process_counts_from_zero(tmp_path):
    proc = FakeProc(tmp_path)
    proc.workers = {401: (800, 1)}
    proc.write()
    account = CpuAccount()
    account.sample(proc.stats())
    proc.workers = {401: (25, 9999)}  # same pid, a different process
    proc.write()
    account.sample(proc.stats())
    assert account.seconds == pytest.approx(25 / TICKS)
    assert account.started == 1 and account.ended == 1


def test_nothing_to_read_gives_none_and_zero(tmp_path):
    assert children_cpu_seconds(12345, proc=tmp_path) is None
    assert child_pids(12345, proc=tmp_path) == []
    assert read_proc_stat(12345, proc=tmp_path) is None
    account = CpuAccount()
    account.sample([None])
    assert account.seconds == 0 and account.started == 0 and account.ended == 0
