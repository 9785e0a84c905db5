"""OpenAPI diff engine: parse and diff two generated ~2 MB specs (~1,000 operations).

``manage.py bench openapi [--operations 1000] [--changes 50] [--repeat 5]`` prints the document
sizes, parse times (JSON and YAML) and the diff time (best and median of ``--repeat`` runs).
"""

from __future__ import annotations

import json
import statistics
import time

import yaml

from catalog.openapi import diff, parse_document, synthetic


def add_arguments(parser) -> None:
    parser.add_argument("--operations", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)


def _timed(fn, repeat: int) -> tuple[float, float, object]:
    """Best and median wall time, and the last result. CPU time goes to ``_cpu`` (on a busy
    machine it is the steadier number)."""
    samples, cpu, result = [], [], None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        samples.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    _cpu[:] = [min(cpu)]
    return min(samples), statistics.median(samples), result


_cpu: list[float] = [0.0]


def run(*, stdout, options) -> None:
    base = synthetic.generate(options["operations"])
    rev = synthetic.mutate(base, changes=options["changes"])
    base_json, rev_json = json.dumps(base), json.dumps(rev)
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    base_yaml = yaml.dump(base, Dumper=dumper, sort_keys=False)
    ops = sum(len(item) for item in base["paths"].values())
    stdout.write(
        f"documents: {ops} operations; JSON {len(base_json) / 1e6:.2f} MB + {len(rev_json) / 1e6:.2f} MB; "
        f"YAML {len(base_yaml) / 1e6:.2f} MB (libyaml: {yaml.__with_libyaml__})"
    )
    repeat = max(1, options["repeat"])
    limit = 10**9
    best, median, _ = _timed(lambda: parse_document(base_json, max_bytes=limit), repeat)
    stdout.write(
        f"parse JSON (one document)     best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms"
    )
    best, median, _ = _timed(
        lambda: parse_document(base_yaml, max_bytes=limit), max(1, repeat // 2)
    )
    stdout.write(
        f"parse YAML (one document)     best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms"
    )
    b, r = parse_document(base_json, max_bytes=limit), parse_document(rev_json, max_bytes=limit)
    best, median, findings = _timed(lambda: diff(b, r), repeat)
    errors = sum(1 for f in findings if f.level == "error")
    stdout.write(
        f"diff (two documents)          best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms  "
        f"CPU {_cpu[0] * 1000:6.1f} ms  -> {len(findings)} findings, {errors} errors"
    )
    best, median, _ = _timed(lambda: diff(b, b), repeat)
    stdout.write(
        f"diff (identical documents)    best {best * 1000:7.1f} ms  median {median * 1000:7.1f} ms"
    )
