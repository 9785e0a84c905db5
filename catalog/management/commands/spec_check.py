"""``manage.py spec_check <api-slug> <file> [--format text|json|markdown]``

Like ``oasdiff breaking`` in CI: prints the findings of a candidate OpenAPI document against the
latest supported version of the API, stores nothing, and exits 1 when there are error-level
findings (2 when the document or the API is unusable).
"""

from __future__ import annotations

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
        if result.base_version is None and options["format"] == "text":
            self.stderr.write(
                f"{api.slug} has no version with a spec yet; nothing to compare with."
            )
        elif options["format"] == "text":
            self.stderr.write(f"Compared with {api.slug} {result.base_version.version}.")
        self.stdout.write(render(result.findings, options["format"]), ending="")
        if result.breaking:
            sys.exit(1)
