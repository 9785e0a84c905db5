"""``manage.py spec_check <api-slug> <file> [--format text|json|markdown]``

Like ``oasdiff breaking`` in CI: prints the findings of a candidate OpenAPI document against the
latest supported version of the API — or against every supported version, each in its own
section, when the API's versioning policy has ``compare_against: all_supported`` (the same set
``POST /api/v1/apis/{slug}/spec-check/`` and a publish use) — stores nothing, and exits 1 when
there are error-level findings (2 when the document or the API is unusable).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Api
from catalog.openapi import render
from catalog.services.specs import spec_check
from portal.api.exceptions import DomainError


class Command(BaseCommand):
    help = "Check an OpenAPI document against the latest version of an API; exit 1 on breaking changes."

    def add_arguments(self, parser):
        parser.add_argument("api_slug")
        parser.add_argument(
            "file", help="Path to the OpenAPI document (YAML or JSON), or - for stdin."
        )
        parser.add_argument("--format", choices=["text", "json", "markdown"], default="text")

    def handle(self, *args, **options):
        api = Api.objects.filter(slug=options["api_slug"]).first()
        if api is None:
            raise CommandError(f"No API with slug {options['api_slug']!r}.", returncode=2)
        source = options["file"]
        try:
            data = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {source}: {exc.strerror}", returncode=2) from exc
        try:
            result = spec_check(api=api, document=data)
        except DomainError as exc:
            raise CommandError(exc.detail, returncode=2) from exc
        fmt = options["format"]
        versions = ", ".join(c.base.version for c in result.comparisons)
        if result.base_version is None and fmt == "text":
            self.stderr.write(
                f"{api.slug} has no version with a spec yet; nothing to compare with."
            )
        elif fmt == "text":
            self.stderr.write(f"Compared with {api.slug} {versions}.")
        self.stdout.write(self._render(result, fmt), ending="")
        if result.breaking:
            sys.exit(1)

    @staticmethod
    def _render(result, fmt: str) -> str:
        """One rendering of the findings; under ``all_supported``, one section per base version
        (JSON: the findings each name their ``base_version``, plus ``base_versions``)."""
        if not result.all_supported:
            return render(result.findings, fmt)
        if fmt == "json":
            data = result.as_dict()
            return json.dumps(
                {
                    "summary": data["summary"],
                    "base_versions": data["base_versions"],
                    "findings": data["findings"],
                },
                indent=2,
            )
        heading = "### Against {}\n\n" if fmt == "markdown" else "Against {}:\n"
        return "\n".join(
            heading.format(c.base.version) + render(c.findings, fmt) for c in result.comparisons
        )
