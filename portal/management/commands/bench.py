"""``manage.py bench <name>``: benchmarks that print numbers (never timed assertions).

Each benchmark is a module ``portal/bench/<name>.py`` with ``run(*, stdout, options)`` and an
optional ``add_arguments(parser)``.
"""

from __future__ import annotations

import importlib
import pkgutil

from django.core.management.base import BaseCommand, CommandError

import portal.bench

ALIASES = {"import": "importer"}


def _available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(portal.bench.__path__))


class Command(BaseCommand):
    help = "Run a benchmark and print its numbers: " + ", ".join(_available())

    def add_arguments(self, parser):
        subparsers = parser.add_subparsers(dest="benchmark", required=True)
        for name in _available():
            module = importlib.import_module(f"portal.bench.{name}")
            public = "import" if name == "importer" else name
            sub = subparsers.add_parser(public, help=(module.__doc__ or "").strip().split("\n")[0])
            if hasattr(module, "add_arguments"):
                module.add_arguments(sub)

    def handle(self, *args, **options):
        name = ALIASES.get(options["benchmark"], options["benchmark"])
        if name not in _available():
            raise CommandError(f"Unknown benchmark '{name}'. Available: {', '.join(_available())}")
        module = importlib.import_module(f"portal.bench.{name}")
        module.run(stdout=self.stdout, options=options)
