"""Write Backstage-valid YAML (used by ``export_catalog``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import yaml

from .refs import DEFAULT_NAMESPACE, KINDS

API_VERSION = "backstage.io/v1alpha1"

_BaseDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_BaseDumper):  # type: ignore[misc, valid-type]
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_str)


#: free-form fields whose values are written as they are (an annotation may be "")
_VERBATIM = frozenset({"annotations", "labels", "links"})


def _prune(value: Any) -> Any:
    """Drop empty mappings, lists, None and empty strings, recursively (not inside
    annotations, labels and links, which are written as they are)."""
    if isinstance(value, Mapping):
        pruned = {k: (v if k in _VERBATIM else _prune(v)) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if v not in (None, "", [], {})}
    if isinstance(value, list | tuple):
        return [_prune(v) for v in value]
    return value


def entity_document(
    *,
    kind: str,
    name: str,
    namespace: str = DEFAULT_NAMESPACE,
    metadata: Mapping[str, Any] | None = None,
    spec: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """One descriptor in Backstage's key order, with empty fields left out."""
    meta: dict[str, Any] = {"name": name}
    if namespace != DEFAULT_NAMESPACE:
        meta["namespace"] = namespace
    meta.update(metadata or {})
    document = {
        "apiVersion": API_VERSION,
        "kind": KINDS.get(kind.lower(), kind),
        "metadata": _prune(meta),
        "spec": _prune(dict(spec or {})),
    }
    if not document["spec"] and document["kind"] != "User":
        del document["spec"]
    elif not document["spec"]:
        document["spec"] = {}
    return document


def dump_documents(documents: Iterable[Mapping[str, Any]]) -> str:
    """A multi-document YAML stream; multi-line strings use block style."""
    return yaml.dump_all(
        list(documents),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        explicit_start=True,
        width=100,
    )
