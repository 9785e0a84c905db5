"""Read Backstage descriptor files: multi-document YAML with line numbers, JSON dumps of
Backstage's catalog API, directories, ``Location`` following restricted to the given roots,
and ``$text``/``$json``/``$yaml`` placeholder substitution. Pure Python, no Django, no network.
"""

from __future__ import annotations

import codecs
import datetime as dt
import glob
import hashlib
import itertools
import json
import os
import re
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .model import Catalog, Entity, Problem, canonical_kind
from .refs import DEFAULT_NAMESPACE, KINDS, validate_name, validate_namespace

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json",)
SKIP_DIRS = {"node_modules", "__pycache__", "venv", ".venv"}
MAX_FILE_BYTES = 32 * 1024 * 1024
#: list items and mapping entries per document, aliases expanded
MAX_NODES = 1_000_000
PLACEHOLDERS = ("$text", "$json", "$yaml", "$openapi", "$asyncapi")
#: placeholders whose file is substituted as text (Backstage's ``$openapi``/``$asyncapi``
#: also bundle external ``$ref``s; the importer keeps the document as written)
TEXT_PLACEHOLDERS = ("$text", "$openapi", "$asyncapi")
#: kinds Backstage knows that the portal has no equivalent for: skipped with a warning
SKIPPED_KINDS = {"template": "a scaffolder Template"}
_DOC_START = re.compile(r"^---(?=[ \t\r\n]|$)", re.MULTILINE)


# --------------------------------------------------------------------------- YAML


@dataclass(slots=True)
class Document:
    """One YAML document: 1-based ``index`` in its file, 1-based ``line`` of its content.

    ``dump``: an entity of a JSON dump of Backstage's catalog API (see :func:`load_dump`),
    whose placeholders and Locations Backstage already resolved; ``origin`` is where
    Backstage had read it."""

    index: int
    line: int
    data: Any
    lines: dict[str, int] = field(default_factory=dict)
    dump: bool = False
    origin: str = ""


def _node_lines(node: yaml.Node) -> dict[str, int]:
    """Lines of keys up to two levels deep and of list items below them."""
    lines: dict[str, int] = {}
    if not isinstance(node, yaml.MappingNode):
        return lines
    for key_node, value_node in node.value:
        key = str(key_node.value)
        lines[key] = key_node.start_mark.line + 1
        if not isinstance(value_node, yaml.MappingNode):
            continue
        for key2_node, value2_node in value_node.value:
            key2 = f"{key}.{key2_node.value}"
            lines[key2] = key2_node.start_mark.line + 1
            if isinstance(value2_node, yaml.SequenceNode):
                for i, item in enumerate(value2_node.value):
                    lines[f"{key2}[{i}]"] = item.start_mark.line + 1
    return lines


def _parse_stream(text: str, *, line_offset: int = 0, index_offset: int = 0) -> Iterator[Document]:
    loader = Loader(text)
    try:
        index = index_offset
        while loader.check_node():
            node = loader.get_node()
            index += 1
            if node is None:
                continue
            line = node.start_mark.line + 1 + line_offset
            lines = {k: v + line_offset for k, v in _node_lines(node).items()}
            yield Document(index, line, loader.construct_document(node), lines)
    finally:
        loader.dispose()


def _yaml_problem(file: str, document: int | None, exc: yaml.YAMLError, offset: int) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = mark.line + 1 + offset if mark is not None else None
    problem = getattr(exc, "problem", None) or str(exc)
    context = getattr(exc, "context", None)
    message = f"YAML syntax error: {context + ', ' if context else ''}{problem}"
    return Problem(file, document, line, message, code="yaml")


def load_documents(text: str, *, file: str = "<string>") -> tuple[list[Document], list[Problem]]:
    """Parse every document of a YAML stream, keeping line numbers.

    A syntax error does not lose the other documents: the stream is re-read document by
    document (split on ``---`` lines) and only the broken documents are reported.
    """
    try:
        return list(_parse_stream(text)), []
    except (yaml.YAMLError, RecursionError):
        pass
    documents: list[Document] = []
    problems: list[Problem] = []
    starts = [m.start() for m in _DOC_START.finditer(text)]
    if not starts or starts[0] != 0:
        starts.insert(0, 0)
    starts.append(len(text))
    index = 0
    for begin, end in itertools.pairwise(starts):
        chunk = text[begin:end]
        offset = text.count("\n", 0, begin)
        try:
            parsed = list(_parse_stream(chunk, line_offset=offset, index_offset=index))
        except yaml.YAMLError as exc:
            index += 1
            problems.append(_yaml_problem(file, index, exc, offset))
            continue
        except RecursionError:
            index += 1
            problems.append(
                Problem(
                    file,
                    index,
                    offset + 1,
                    "YAML document is nested too deeply",
                    code="yaml",
                )
            )
            continue
        documents.extend(parsed)
        if parsed:
            index = parsed[-1].index
        elif begin != 0 and chunk.strip() != "---":
            index += 1
    return documents, problems


_PLAIN = frozenset({str, int, float, bool, type(None)})


class _TooLarge(Exception):
    pass


def _scalar_text(value: object) -> str:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def content_hash(data: Any) -> str:
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


# --------------------------------------------------------------------------- JSON dumps

#: set by Backstage on every entity it serves: never part of what was written
SERVER_FIELDS = ("relations", "status")
SERVER_METADATA = ("uid", "etag", "generation")
LOCATION_ANNOTATION = "backstage.io/managed-by-location"
ORIGIN_ANNOTATION = "backstage.io/managed-by-origin-location"
VIEW_URL_ANNOTATION = "backstage.io/view-url"
EDIT_URL_ANNOTATION = "backstage.io/edit-url"
SOURCE_LOCATION_ANNOTATION = "backstage.io/source-location"
_JSON_START = re.compile(r'\A\s*(?:\[|\{\s*")')
_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


@dataclass(slots=True)
class Dump:
    """A JSON file read by :func:`load_dump`.

    ``shape``: ``array`` (``GET /api/catalog/entities``), ``page`` (an object with an
    ``items`` array: ``/entities/by-query``, ``/entities/by-refs``), ``entity`` (one entity
    object: ``/entities/by-name/…``), or ``None`` when the JSON is none of those (not a
    Backstage catalog) or does not parse (``problems`` says where). ``total`` is a page's
    ``totalItems``.
    """

    shape: str | None
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    total: int | None = None


def _is_entity_like(value: object) -> bool:
    return isinstance(value, dict) and "apiVersion" in value and "kind" in value


def _is_entity_list(items: object, *, empty_ok: bool) -> bool:
    """Objects (``null`` allowed: by-refs answers it for a missing ref), at least one of
    which has ``apiVersion`` and ``kind``."""
    if not isinstance(items, list) or not all(i is None or isinstance(i, dict) for i in items):
        return False
    return any(_is_entity_like(i) for i in items) or (empty_ok and not items)


def _skip_value(text: str, index: int) -> int:
    return _WS.match(text, _DECODER.raw_decode(text, index)[1]).end()


def _array_offsets(text: str, index: int) -> list[int]:
    """Offsets of the items of the JSON array starting at ``text[index]`` (valid JSON)."""
    offsets: list[int] = []
    index = _WS.match(text, index + 1).end()
    while text[index] != "]":
        offsets.append(index)
        index = _skip_value(text, index)
        if text[index] == ",":
            index = _WS.match(text, index + 1).end()
    return offsets


def _member_offset(text: str, index: int, key: str) -> int:
    """Offset of the value of ``key`` (the last one, as json.loads keeps) in the object
    starting at ``text[index]`` (valid JSON that has ``key``)."""
    found = index
    index = _WS.match(text, index + 1).end()
    while text[index] != "}":
        name, end = _DECODER.raw_decode(text, index)
        index = _WS.match(text, _WS.match(text, end).end() + 1).end()  # past ':'
        if name == key:
            found = index
        index = _skip_value(text, index)
        if text[index] == ",":
            index = _WS.match(text, index + 1).end()
    return found


def _strip_server_fields(data: dict) -> tuple[dict, str]:
    """The entity as it was written: without what Backstage adds when it serves it.

    Drops ``relations``, ``status``, ``metadata.uid/etag/generation``, the
    ``managed-by-location``/``managed-by-origin-location`` annotations, the
    ``view-url``/``edit-url``/``source-location`` annotations when they are the ones
    Backstage derives from that location, and ``metadata.namespace: default`` (Backstage
    writes it on every entity). Returns ``(data, managed-by-location)``.
    """
    data = {k: v for k, v in data.items() if k not in SERVER_FIELDS}
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        return data, ""
    metadata = {k: v for k, v in metadata.items() if k not in SERVER_METADATA}
    if metadata.get("namespace") == DEFAULT_NAMESPACE:
        del metadata["namespace"]
    origin = ""
    annotations = metadata.get("annotations")
    if isinstance(annotations, dict):
        annotations = dict(annotations)
        location = annotations.pop(LOCATION_ANNOTATION, None)
        annotations.pop(ORIGIN_ANNOTATION, None)
        if isinstance(location, str):
            origin = location
            for key, derived in _derived_annotations(location).items():
                if annotations.get(key) in derived:
                    del annotations[key]
        if annotations:
            metadata["annotations"] = annotations
        else:
            del metadata["annotations"]
    data["metadata"] = metadata
    return data, origin


def _derived_annotations(location: str) -> dict[str, set[str]]:
    """What Backstage's AnnotateLocationEntityProcessor adds for a ``url:`` location."""
    if not location.startswith("url:"):
        return {}
    target = location[4:]
    folder = target.split("?", 1)[0].rsplit("/", 1)[0] + "/"
    return {
        VIEW_URL_ANNOTATION: {target},
        EDIT_URL_ANNOTATION: {
            target.replace("/blob/", "/edit/", 1),  # GitHub, GitLab (/-/blob/ → /-/edit/)
            target + ("&" if "?" in target else "?") + "mode=edit",  # Bitbucket
        },
        SOURCE_LOCATION_ANNOTATION: {
            f"url:{folder}",
            f"url:{folder.replace('/blob/', '/tree/', 1)}",
        },
    }


def looks_like_json(text: str) -> bool:
    """Starts as a JSON array or object would (``[`` or ``{"``), not as YAML usually does."""
    return bool(_JSON_START.match(text))


def load_dump(text: str, *, file: str = "<string>") -> Dump:
    """Read a JSON dump of Backstage's catalog API into documents, one per entity.

    ``document`` is the entity's 1-based index in the array (in ``items`` for a page);
    ``line`` is the line where the entity's ``{`` is (pretty-printed dumps; 1 for every
    entity of a one-line dump). Server-side fields are dropped (see
    :func:`_strip_server_fields`). A syntax error is one problem with its line, column
    and character offset; JSON of another shape gives ``shape=None`` and no problem.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = (
            f"JSON syntax error: {exc.msg} (line {exc.lineno}, column {exc.colno}, "
            f"character {exc.pos})"
        )
        return Dump(None, problems=[Problem(file, None, exc.lineno, message, code="json")])
    except RecursionError:
        return Dump(
            None, problems=[Problem(file, None, None, "JSON nested too deeply", code="json")]
        )
    start = _WS.match(text).end()
    if _is_entity_list(data, empty_ok=False):
        shape, items, offsets = "array", data, _array_offsets(text, start)
    elif isinstance(data, dict) and _is_entity_list(
        data.get("items"), empty_ok="totalItems" in data or "pageInfo" in data
    ):
        shape, items = "page", data["items"]
        offsets = _array_offsets(text, _member_offset(text, start, "items"))
    elif _is_entity_like(data):
        shape, items, offsets = "entity", [data], [start]
    else:
        return Dump(None)
    total = data.get("totalItems") if shape == "page" else None
    dump = Dump(shape, total=total if type(total) is int else None)
    line, previous = 1, 0
    for index, (item, offset) in enumerate(zip(items, offsets, strict=True), start=1):
        line += text.count("\n", previous, offset)
        previous = offset
        if item is None:
            continue
        entity, origin = _strip_server_fields(item)
        dump.documents.append(Document(index, line, entity, dump=True, origin=origin))
    return dump


# --------------------------------------------------------------------------- files


def _is_url(target: str) -> bool:
    return "://" in target or target.startswith(("git@", "//"))


class _Roots:
    def __init__(self, roots: Iterable[Path]):
        self.roots = [Path(os.path.realpath(r)) for r in roots]

    def owner(self, path: Path) -> Path | None:
        real = Path(os.path.realpath(path))
        for root in self.roots:
            if real == root or root in real.parents:
                return root
        return None

    def display(self, path: Path) -> str:
        real = Path(os.path.realpath(path))
        root = self.owner(real)
        if root is None:
            return str(path)
        if real == root:
            return real.name
        rel = real.relative_to(root).as_posix()
        return f"{root.name}/{rel}" if len(self.roots) > 1 else rel


def _walk(directory: Path) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(directory):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(filenames):
            if name.endswith(YAML_SUFFIXES + JSON_SUFFIXES) and not name.startswith("."):
                yield Path(dirpath) / name


def _is_backstage_api_version(value: object) -> bool:
    """``backstage.io/v1alpha1``, ``scaffolder.backstage.io/v1beta3``, …"""
    return isinstance(value, str) and value.split("/", 1)[0].endswith("backstage.io")


def _looks_like_descriptor(documents: list[Document]) -> bool:
    """A Backstage document: a backstage.io apiVersion, or a Backstage kind without one.

    Other YAML found while scanning a checkout (Kubernetes manifests, Helm charts, CI
    workflows, OpenAPI files) is skipped silently.
    """
    for d in documents:
        if not isinstance(d.data, dict):
            continue
        api_version = d.data.get("apiVersion")
        if _is_backstage_api_version(api_version):
            return True
        kind = d.data.get("kind")
        if (
            api_version is None
            and isinstance(kind, str)
            and (kind.lower() in KINDS or kind.lower() in SKIPPED_KINDS)
        ):
            return True
    return False


_BACKSTAGE_KIND_LINE = re.compile(
    rb"^kind:\s*[\"']?(?:" + "|".join(KINDS).encode() + rb")[\"']?\s*$", re.M | re.I
)
_SKELETON_MARKERS = ("${{", "{{cookiecutter", "{{ cookiecutter")


def _is_skeleton(text: str, documents: list[Document], problems: list[Problem]) -> bool:
    """A template of a descriptor, not a descriptor: a scaffolder skeleton
    (``${{ values.name }}``), a cookiecutter, or a Jinja/Helm-templated file that is not
    valid YAML as written (``name: {{ declaration.name }}``)."""
    templated = any(marker in text for marker in _SKELETON_MARKERS) or (
        bool(problems) and ("{{" in text or "{%" in text)
    )
    if not templated:
        return False
    return not any(
        isinstance(d.data, dict)
        and isinstance(d.data.get("kind"), str)
        and d.data["kind"].lower() in SKIPPED_KINDS
        for d in documents
    )


def _decode(raw: bytes) -> str:
    """UTF-8 (with or without a BOM) or BOM-marked UTF-16/32; line endings normalised."""
    if raw.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        text = raw.decode("utf-32")
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = raw.decode("utf-16")
    else:
        text = raw.decode("utf-8-sig")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text


class CatalogReader:
    """Reads paths into a :class:`Catalog`. Use :func:`read_catalog`."""

    def __init__(
        self, paths: Iterable[str | os.PathLike[str]], *, max_file_bytes: int = MAX_FILE_BYTES
    ):
        self.max_file_bytes = max_file_bytes
        self.catalog = Catalog()
        self.queue: deque[tuple[Path, bool]] = deque()
        self.seen: set[Path] = set()
        self.placeholder_files: set[Path] = set()
        self._budget = MAX_NODES
        self._pages: list[tuple[str, int, int | None]] = []
        roots = []
        for raw in paths:
            path = Path(raw)
            if path.is_dir():
                roots.append(path)
                self.queue.extend((p, False) for p in _walk(path))
            elif path.is_file():
                roots.append(path.parent)
                self.queue.append((path, True))
            else:
                self.catalog.problems.append(
                    Problem(str(raw), None, None, "no such file or directory", code="missing")
                )
        self.roots = _Roots(roots)

    # -- driving

    def read(self) -> Catalog:
        read_from_scan: dict[Path, str] = {}
        while self.queue:
            path, explicit = self.queue.popleft()
            real = Path(os.path.realpath(path))
            if real in self.seen:
                continue
            self.seen.add(real)
            name = self.roots.display(real)
            text = self._read_text(real, name, None, None, quiet=not explicit)
            if text is None:
                continue
            files = len(self.catalog.files)
            if (real.suffix.lower() in JSON_SUFFIXES or looks_like_json(text)) and self._read_dump(
                real, name, text, explicit=explicit
            ):
                if not explicit and len(self.catalog.files) > files:
                    read_from_scan[real] = name
                continue
            documents, problems = load_documents(text, file=name)
            if not explicit and (
                _is_skeleton(text, documents, problems)
                or not (_looks_like_descriptor(documents) or (problems and "backstage.io/" in text))
            ):
                self.catalog.skipped.append(name)
                continue
            if not explicit:
                read_from_scan[real] = name
            self.catalog.files.append(name)
            self.catalog.problems.extend(problems)
            self._read_documents(real, name, documents)
        # a scanned file that turned out to be a placeholder target is data, not descriptors
        dropped = {name for real, name in read_from_scan.items() if real in self.placeholder_files}
        if dropped:
            catalog = self.catalog
            catalog.entities = [e for e in catalog.entities if e.file not in dropped]
            catalog.problems = [p for p in catalog.problems if p.file not in dropped]
            catalog.files = [f for f in catalog.files if f not in dropped]
            catalog.skipped.extend(sorted(dropped))
        self._check_pages()
        self.catalog.files.sort()
        return self.catalog

    def _read_dump(self, path: Path, name: str, text: str, *, explicit: bool) -> bool:
        """Read a ``*.json`` file, or a file that starts like JSON, as a dump of Backstage's
        catalog API. Returns False when the file is to be read as YAML instead (it is not
        named ``*.json`` and is not a catalog dump, or is YAML that merely starts with ``{``).

        In a directory scan, JSON that never mentions ``backstage.io/`` is ignored without
        parsing it (a checkout holds package.json, lock files, OpenAPI documents …), and
        JSON of another shape, or whose entities are not Backstage ones, is listed as
        skipped. A syntax error is reported for a file
        given explicitly or one that mentions ``backstage.io/`` and ``"apiVersion"``.
        """
        is_json_file = path.suffix.lower() in JSON_SUFFIXES
        mentions = "backstage.io/" in text and '"apiVersion"' in text
        if not explicit and not mentions:
            return is_json_file  # a *.json that is not a candidate: neither read nor listed
        dump = load_dump(text, file=name)
        if dump.problems:
            if not is_json_file and not load_documents(text, file=name)[1]:
                return False  # YAML flow style, not JSON
            if explicit or mentions:
                self.catalog.files.append(name)
                self.catalog.problems.extend(dump.problems)
            else:
                self.catalog.skipped.append(name)
            return True
        if dump.shape is None or not (explicit or _looks_like_descriptor(dump.documents)):
            # in a scan, as for YAML: only Backstage entities make a catalog (not a
            # Kubernetes List that happens to mention backstage.io/)
            if not is_json_file:
                return False
            if explicit:
                self.catalog.files.append(name)
                self.catalog.problems.append(
                    Problem(
                        name,
                        None,
                        None,
                        "not a Backstage catalog: expected a JSON array of entities "
                        "(/api/catalog/entities) or an object with an 'items' array "
                        "(/api/catalog/entities/by-query)",
                        code="not_catalog",
                    )
                )
            else:
                self.catalog.skipped.append(name)
            return True
        self.catalog.files.append(name)
        if dump.shape == "page":
            self._pages.append((name, len(dump.documents), dump.total))
        self._read_documents(path, name, dump.documents)
        return True

    def _check_pages(self) -> None:
        """Warn when the by-query pages read hold fewer entities than Backstage counted."""
        if not self._pages:
            return
        held = sum(n for _, n, _ in self._pages)
        total = max((t for _, _, t in self._pages if t is not None), default=0)
        if held < total:
            first = min(name for name, _, _ in self._pages)
            self.catalog.problems.append(
                Problem(
                    first,
                    None,
                    None,
                    f"the by-query pages read hold {held} entities but Backstage counted "
                    f"totalItems {total}: pages are missing (follow pageInfo.nextCursor)",
                    code="dump_incomplete",
                    level="warning",
                )
            )

    def _read_text(
        self,
        path: Path,
        name: str,
        document: int | None,
        line: int | None,
        *,
        quiet: bool = False,
    ) -> str | None:
        """The file's text, or None (reported). ``quiet``: a file found by the directory
        scan that is not text and does not mention backstage.io is skipped silently."""
        try:
            size = path.stat().st_size
            if size > self.max_file_bytes:
                self.catalog.problems.append(
                    Problem(
                        name,
                        document,
                        line,
                        f"file is larger than {self.max_file_bytes} bytes",
                        code="too_large",
                    )
                )
                return None
            raw = path.read_bytes()
            return _decode(raw)
        except UnicodeDecodeError:
            if quiet and b"backstage.io/" not in raw and not _BACKSTAGE_KIND_LINE.search(raw):
                self.catalog.skipped.append(name)
                return None
            message = "file is not UTF-8 text"
        except OSError as exc:
            message = f"cannot read file: {exc.strerror or exc}"
        self.catalog.problems.append(Problem(name, document, line, message, code="unreadable"))
        return None

    # -- documents

    def _read_documents(self, path: Path, name: str, documents: list[Document]) -> None:
        problems = self.catalog.problems
        for document in documents:
            if document.data is None:
                continue
            before = len(problems)
            if document.dump and self._dumped_location(name, document):
                entity = None
            else:
                entity = self._entity(path, name, document)
            if entity is not None:
                entity.origin = document.origin
                self.catalog.entities.append(entity)
            if document.origin:
                for problem in problems[before:]:
                    problem.origin = problem.origin or document.origin

    def _dumped_location(self, name: str, doc: Document) -> bool:
        """A Location of a dump is skipped with a warning: Backstage already read its
        targets, whose entities are in the dump; the targets are never followed."""
        data = doc.data
        if not isinstance(data, dict) or canonical_kind(data.get("kind")) != "Location":
            return False
        metadata = data.get("metadata")
        label = metadata.get("name") if isinstance(metadata, dict) else None
        subject = f"Location {label!r}" if isinstance(label, str) else "Location"
        self.catalog.problems.append(
            Problem(
                name,
                doc.index,
                doc.line,
                f"{subject} skipped: it comes from a Backstage API dump, where Backstage "
                "already read its targets (their entities are in the dump); its targets "
                "are not followed",
                code="location_dump",
                level="warning",
            )
        )
        return True

    def _entity(self, path: Path, name: str, doc: Document) -> Entity | None:
        def fail(message: str, key: str = "", code: str = "invalid") -> None:
            line = doc.lines.get(key, doc.line) if key else doc.line
            self.catalog.problems.append(Problem(name, doc.index, line, message, code=code))

        data = doc.data
        if not isinstance(data, dict):
            return fail(
                f"a descriptor must be a mapping, not {type(data).__name__}", code="not_mapping"
            )
        kind = data.get("kind")
        if not kind:
            return fail("missing 'kind'", code="missing_kind")
        canonical = canonical_kind(kind)
        if canonical is None and isinstance(kind, str) and kind.lower() in SKIPPED_KINDS:
            metadata = data.get("metadata")
            label = metadata.get("name") if isinstance(metadata, dict) else None
            subject = f"{kind} {label!r}" if isinstance(label, str) else kind
            self.catalog.problems.append(
                Problem(
                    name,
                    doc.index,
                    doc.lines.get("kind", doc.line),
                    f"{subject} skipped: {SKIPPED_KINDS[kind.lower()]} has no portal equivalent",
                    code="skipped_kind",
                    level="warning",
                )
            )
            return None
        if canonical is None:
            return fail(f"unknown kind {kind!r}", "kind", code="unknown_kind")
        api_version = data.get("apiVersion")
        if not isinstance(api_version, str) or not api_version:
            return fail(
                "missing 'apiVersion' (expected backstage.io/v1alpha1)", code="missing_api_version"
            )
        if not api_version.startswith("backstage.io/"):
            return fail(
                f"unsupported apiVersion {api_version!r} (expected backstage.io/v1alpha1)",
                "apiVersion",
                code="unknown_api_version",
            )
        metadata = data.get("metadata")
        if not isinstance(metadata, dict):
            return fail("missing 'metadata' mapping", code="missing_metadata")
        if "name" not in metadata:
            return fail("missing 'metadata.name'", "metadata", code="missing_name")
        if (error := validate_name(metadata["name"])) is not None:
            return fail(error, "metadata.name", code="invalid_name")
        namespace = metadata.get("namespace", DEFAULT_NAMESPACE)
        if (error := validate_namespace(namespace)) is not None:
            return fail(error, "metadata.namespace", code="invalid_namespace")
        spec = data.get("spec", {})
        if spec is None:
            spec = data["spec"] = {}
        if not isinstance(spec, dict):
            return fail("'spec' must be a mapping", "spec", code="invalid_spec")

        entity = Entity(
            kind=canonical,
            api_version=api_version,
            namespace=namespace.lower(),
            name=metadata["name"],
            data=data,
            file=name,
            document=doc.index,
            line=doc.line,
            content_hash="",
            lines=doc.lines,
        )
        before = len(self.catalog.problems)
        self._budget = MAX_NODES
        try:
            # a dump's placeholders were resolved by Backstage: its data is kept as served
            entity.data = data if doc.dump else self._substitute(entity, path, data, "")
        except RecursionError:  # a recursive alias (&a [*a]) or absurd nesting
            return fail("the document is recursive or nested too deeply", code="yaml")
        except _TooLarge:  # aliases expanding exponentially ("billion laughs")
            return fail(
                f"the document expands to more than {MAX_NODES} values (YAML aliases?)",
                code="too_large",
            )
        if any(p.level == "error" for p in self.catalog.problems[before:]):
            return None
        for section in ("metadata", "spec"):  # a placeholder may have replaced a whole section
            if not isinstance(entity.data.get(section, {}), dict):
                return fail(f"'{section}' must be a mapping", section, code=f"invalid_{section}")
        metadata = entity.data["metadata"]
        if metadata.get("name") != entity.name or metadata.get("namespace", namespace) != namespace:
            return fail("metadata.name and metadata.namespace cannot be placeholders", "metadata")
        entity.content_hash = content_hash(entity.data)
        if canonical == "Location":
            self._follow(entity, path)
            # a refused or missing target fails the Location (its other targets are read)
            if any(p.level == "error" for p in self.catalog.problems[before:]):
                return None
        return entity

    # -- placeholders

    def _substitute(self, entity: Entity, path: Path, value: Any, where: str) -> Any:
        kind = type(value)
        if kind in _PLAIN:  # the common case first: this runs for every node of every file
            return value
        if kind is dict or kind is list:
            self._budget -= len(value)
            if self._budget < 0:
                raise _TooLarge
        if kind is dict:
            if len(value) == 1:
                ((key, target),) = value.items()
                if key in PLACEHOLDERS:
                    return self._placeholder(entity, path, key, target, where)
            return {
                (k if type(k) is str else _scalar_text(k)): self._substitute(
                    entity, path, v, f"{where}.{k}" if where else str(k)
                )
                for k, v in value.items()
            }
        if kind is list:
            return [self._substitute(entity, path, v, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, dt.date | bytes):
            # unquoted dates (and !!binary) are not JSON: keep them as the text that was written
            return _scalar_text(value)
        return value

    def _placeholder(self, entity: Entity, path: Path, key: str, target: Any, where: str) -> Any:
        problems = self.catalog.problems
        if not isinstance(target, str) or not target:
            problems.append(
                entity.problem(
                    f"{where}: {key} needs a relative file path", field=where, code="placeholder"
                )
            )
            return None
        if _is_url(target):
            problems.append(
                Problem(
                    entity.file,
                    entity.document,
                    entity.line_of(where),
                    f"{where}: {key} {target!r} is a URL; the importer never reads the network, "
                    "the value is kept as a reference",
                    code="placeholder_url",
                    ref=entity.key,
                    level="warning",
                )
            )
            return {key: target}
        resolved = self._inside(entity, path, target, where, what=key)
        if resolved is None:
            return None
        self.placeholder_files.add(Path(os.path.realpath(resolved)))
        text = self._read_text(
            resolved, self.roots.display(resolved), entity.document, entity.line_of(where)
        )
        if text is None:
            return None
        if key in TEXT_PLACEHOLDERS:
            return text
        try:
            return json.loads(text) if key == "$json" else yaml.load(text, Loader=Loader)
        except (ValueError, yaml.YAMLError) as exc:
            problems.append(
                entity.problem(
                    f"{where}: cannot parse {target!r} for {key}: {exc}",
                    field=where,
                    code="placeholder",
                )
            )
            return None

    def _inside(
        self, entity: Entity, path: Path, target: str, where: str, *, what: str
    ) -> Path | None:
        """``target`` resolved relative to ``path``'s directory, or None (reported) if outside."""
        if os.path.isabs(target):
            self.catalog.problems.append(
                entity.problem(
                    f"{where}: {what} {target!r} must be a relative path",
                    field=where,
                    code="outside_root",
                )
            )
            return None
        resolved = Path(os.path.normpath(path.parent / target))
        if self.roots.owner(resolved) is None:
            self.catalog.problems.append(
                entity.problem(
                    f"{where}: {what} {target!r} points outside the imported directories",
                    field=where,
                    code="outside_root",
                )
            )
            return None
        if not glob.has_magic(target) and not resolved.is_file():
            message = (
                f"{where}: {what} {target!r} is a directory; name a file or a glob "
                f"such as '{target.rstrip('/')}/**/catalog-info.yaml'"
                if resolved.is_dir()
                else f"{where}: {what} {target!r} does not exist"
            )
            self.catalog.problems.append(entity.problem(message, field=where, code="missing"))
            return None
        return resolved

    # -- Location

    def _follow(self, entity: Entity, path: Path) -> None:
        spec = entity.spec
        targets: list[tuple[str, Any]] = []
        if "target" in spec:
            targets.append(("spec.target", spec["target"]))
        raw_targets = spec.get("targets") or []
        if not isinstance(raw_targets, list):
            self.catalog.problems.append(
                entity.problem("spec.targets must be a list", field="spec.targets")
            )
            raw_targets = []
        targets.extend((f"spec.targets[{i}]", t) for i, t in enumerate(raw_targets))
        if not targets:
            self.catalog.problems.append(
                entity.problem(
                    "a Location needs spec.target or spec.targets",
                    field="spec",
                    code="missing_field",
                )
            )
            return
        for where, target in targets:
            if not isinstance(target, str) or not target.strip():
                self.catalog.problems.append(
                    entity.problem(f"{where} must be a non-empty string", field=where)
                )
                continue
            if _is_url(target):
                self.catalog.problems.append(
                    Problem(
                        entity.file,
                        entity.document,
                        entity.line_of(where),
                        f"{where}: {target!r} is a URL and was not followed (the importer never reads the network)",
                        code="location_url",
                        ref=entity.key,
                        level="warning",
                    )
                )
                continue
            resolved = self._inside(entity, path, target, where, what="target")
            if resolved is None:
                continue
            if glob.has_magic(target):
                matches = sorted(glob.glob(str(resolved), recursive=True))
                inside = [
                    Path(m) for m in matches if Path(m).is_file() and self.roots.owner(Path(m))
                ]
                if not inside:
                    self.catalog.problems.append(
                        Problem(
                            entity.file,
                            entity.document,
                            entity.line_of(where),
                            f"{where}: {target!r} matches no file",
                            code="location_empty",
                            ref=entity.key,
                            level="warning",
                        )
                    )
                self.queue.extend((m, True) for m in inside)
            else:
                self.queue.append((resolved, True))


def read_catalog(
    paths: Iterable[str | os.PathLike[str]], *, max_file_bytes: int = MAX_FILE_BYTES
) -> Catalog:
    """Read files and directories (recursively) into a :class:`Catalog`.

    Directories contribute every ``*.yaml``/``*.yml`` file that looks like a descriptor
    (has ``apiVersion`` or ``kind``) and is not the target of a ``$text``/``$json``/``$yaml``
    placeholder. ``Location`` targets that are relative paths inside the given roots are
    followed (globs allowed); URLs are reported as warnings and never fetched. Per-kind
    checks and reference resolution are done by :func:`validate.resolve_catalog`.
    """
    return CatalogReader(paths, max_file_bytes=max_file_bytes).read()


def read_text(text: str, *, file: str = "<string>") -> Catalog:
    """Read descriptors from one YAML string (no placeholders or Locations are followed)."""
    catalog = Catalog(files=[file])
    documents, problems = load_documents(text, file=file)
    catalog.problems.extend(problems)
    reader = CatalogReader([])
    reader.catalog = catalog
    reader.roots = _Roots([])
    reader._read_documents(Path(file), file, documents)
    return catalog
