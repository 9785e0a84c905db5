"""``manage.py import_catalog PATH [PATH …]``: import a Backstage catalog."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from catalog.services.imports import CatalogImportRefused, ImportReport, catalog_import


class Command(BaseCommand):
    help = (
        "Import Backstage catalog-info.yaml files, JSON dumps of Backstage's catalog API "
        "(/api/catalog/entities, /entities/by-query pages) or directories of either "
        "(recursively, following relative Locations and $text references; a dump's "
        "Locations are not followed). Re-running changes only what changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="Files (YAML or JSON dumps) or directories")
        parser.add_argument(
            "--source",
            help="Name of this source (default: the paths). Pruning only touches entities of the same source.",
        )
        parser.add_argument(
            "--prune", action="store_true", help="Delete entities of this source that disappeared."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show the plan without writing.")
        parser.add_argument(
            "--strict", action="store_true", help="Import nothing if any document fails."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")
        parser.add_argument(
            "--max-problems", type=int, default=50, help="Problems to print (default 50)."
        )

    def handle(self, *args, **options):
        console = Console(file=self.stdout, force_terminal=False, width=120, highlight=False)
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        bar = Progress(
            TextColumn("{task.description:<24}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            disable=not show_progress,
        )
        task = bar.add_task("reading", total=None)

        def progress(phase: str, done: int, total: int) -> None:
            bar.update(task, description=phase, completed=done, total=total or None)

        try:
            with bar:
                report = catalog_import(
                    paths=options["paths"],
                    source=options["source"],
                    prune=options["prune"],
                    dry_run=options["dry_run"],
                    strict=options["strict"],
                    progress=progress,
                )
        except CatalogImportRefused as exc:
            render(console, exc.report, options["max_problems"])
            raise CommandError(f"--strict: {exc}") from exc
        render(console, report, options["max_problems"])


def render(console: Console, report: ImportReport, max_problems: int = 50) -> None:
    """Problems, stale entities, the plan (dry run) and the summary table."""
    for problem in report.problems[:max_problems]:
        style = "red" if problem.level == "error" else "yellow"
        console.print(
            f"[{style}]{problem.level}[/]: {escape(str(problem))}", markup=True, soft_wrap=True
        )
    if len(report.problems) > max_problems:
        console.print(f"… and {len(report.problems) - max_problems} more problems")
    if report.stale:
        verb = (
            ("would be pruned" if report.dry_run else "pruned")
            if report.prune
            else "gone from the source (use --prune to remove)"
        )
        console.print(f"Stale entities {verb}:")
        for ref in report.stale[:max_problems]:
            console.print(f"  - {ref}", markup=False)
    if report.dry_run:
        for status in ("created", "updated"):
            refs = report.planned[status]
            if refs:
                console.print(f"Would be {status} ({len(refs)}):")
                for ref in refs[:max_problems]:
                    console.print(f"  + {ref}", markup=False)
                if len(refs) > max_problems:
                    console.print(f"  … and {len(refs) - max_problems} more")
    table = Table(title=f"Import of {report.source}" + (" (dry run)" if report.dry_run else ""))
    for column in ("kind", "created", "updated", "unchanged", "failed", "stale", "pruned"):
        table.add_column(column, justify="left" if column == "kind" else "right")
    for kind, counts in report.as_dict()["kinds"].items():
        table.add_row(
            kind,
            *(
                str(counts[c])
                for c in ("created", "updated", "unchanged", "failed", "stale", "pruned")
            ),
        )
    console.print(table)
    if report.edges:
        console.print(", ".join(f"{name}: {n}" for name, n in sorted(report.edges.items())))
    timings = ", ".join(f"{k} {v:.2f}s" for k, v in report.timings.items())
    console.print(f"{report.summary_line()} ({report.files} files; {timings})")
