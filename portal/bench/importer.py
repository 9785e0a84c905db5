"""Backstage import: generate a catalog, import it, re-import it unchanged, then with changes.

``manage.py bench import [--groups 200 --components 10000 --apis 15000 --edges 100000]``
prints wall time per phase and peak RSS. Run it against PostgreSQL (DATABASE_URL) on an
empty database: it imports into the configured database.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from django.db import connection

from catalog.models import Dependency, EntitySource
from catalog.services.imports import catalog_import
from portal.benchutil import peak_rss_mb
from tests.bench.backstage_gen import Shape, generate


def add_arguments(parser) -> None:
    parser.add_argument("--groups", type=int, default=200)
    parser.add_argument("--components", type=int, default=10_000)
    parser.add_argument("--apis", type=int, default=15_000)
    parser.add_argument("--edges", type=int, default=100_000)
    parser.add_argument(
        "--dir", help="Generate into (or reuse) this directory instead of a temporary one."
    )
    parser.add_argument(
        "--changed", type=int, default=100, help="APIs given a new version for the incremental run."
    )


def run(*, stdout, options) -> None:
    shape = Shape(
        groups=options["groups"],
        components=options["components"],
        apis=options["apis"],
        edges=options["edges"],
    )
    with tempfile.TemporaryDirectory(prefix="backstage-bench-") as tmp:
        out = Path(options.get("dir") or tmp)
        start = time.perf_counter()
        counts = generate(out, shape)
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        stdout.write(
            f"generated {sum(v for k, v in counts.items() if k != 'consumesApis')} entities "
            f"({counts}) in {out}: {size / 1e6:.1f} MB in {time.perf_counter() - start:.1f}s"
        )
        stdout.write(f"database: {connection.vendor} {connection.settings_dict.get('NAME')}")
        if EntitySource.objects.exists():
            stdout.write(
                "warning: the database already holds imported entities; the first run is not a cold import"
            )

        def timed(label: str, **kwargs) -> None:
            start = time.perf_counter()
            report = catalog_import(paths=[str(out)], source="bench", **kwargs)
            elapsed = time.perf_counter() - start
            phases = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
            stdout.write(
                f"{label:<28} {elapsed:7.2f}s  {report.summary_line()}  [{phases}]  peak RSS {peak_rss_mb():.0f} MB"
            )

        timed("import (cold)")
        stdout.write(f"  dependencies in database: {Dependency.objects.count()}")
        timed("re-import unchanged")
        generate(out, shape, version_bump=options["changed"])
        timed(f"re-import, {options['changed']} APIs changed")
        timed("dry run unchanged", dry_run=True)
        stdout.write(f"peak RSS {peak_rss_mb():.0f} MB")
