"""Backstage descriptor engine: read, validate and write ``catalog-info.yaml`` files (and
read JSON dumps of Backstage's catalog API).

Pure Python (PyYAML only); the Django importer in ``catalog.services.imports`` turns the
resulting :class:`Catalog` into rows.
"""

from .loader import (
    Document,
    Dump,
    content_hash,
    load_documents,
    load_dump,
    read_catalog,
    read_text,
)
from .model import Catalog, Entity, Problem
from .refs import DEFAULT_NAMESPACE, KINDS, EntityRef, RefError, make_ref, parse_ref
from .validate import REF_FIELDS, check_entity, resolve_catalog
from .writer import dump_documents, entity_document

__all__ = [
    "DEFAULT_NAMESPACE",
    "KINDS",
    "REF_FIELDS",
    "Catalog",
    "Document",
    "Dump",
    "Entity",
    "EntityRef",
    "Problem",
    "RefError",
    "check_entity",
    "content_hash",
    "dump_documents",
    "entity_document",
    "load_documents",
    "load_dump",
    "make_ref",
    "parse_ref",
    "read_catalog",
    "read_text",
    "resolve_catalog",
]
