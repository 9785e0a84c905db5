"""``manage.py export_catalog [--team SLUG] [--out DIR]``: the catalog as Backstage YAML."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from catalog.descriptors import dump_documents, entity_document
from catalog.models import Team
from catalog.selectors.imports import catalog_export


class Command(BaseCommand):
    help = "Write the catalog as Backstage catalog-info.yaml files that import back to the same catalog."

    def add_arguments(self, parser):
        parser.add_argument("--team", help="Only this team (slug), its members, services and APIs.")
        parser.add_argument(
            "--out", help="Directory to write (default: one YAML stream on stdout)."
        )

    def handle(self, *args, **options):
        team = options["team"]
        if team is not None and not Team.objects.filter(slug=team).exists():
            raise CommandError(f"No team with slug {team!r}.")
        files = catalog_export(team_slug=team)
        if not files:
            self.stdout.write("Nothing to export: the catalog has no teams.")
            return
        if not options["out"]:
            for path in sorted(files):
                self.stdout.write(f"# {path}")
                self.stdout.write(dump_documents(files[path]), ending="")
            return
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        root = entity_document(
            kind="Location",
            name="portal-export" if team is None else f"portal-export-{team}",
            spec={"type": "file", "targets": [f"./{p}" for p in sorted(files)]},
        )
        (out / "catalog-info.yaml").write_text(dump_documents([root]))
        count = 0
        for path, documents in files.items():
            target = out / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(dump_documents(documents))
            count += len(documents)
        self.stdout.write(f"Wrote {count} entities in {len(files) + 1} files to {out}.")
