"""Backstage entity references: ``[kind:][namespace/]name`` in every accepted form.

Backstage compares references case-insensitively, so a parsed reference is normalised to
lower case; ``str(ref)`` is the canonical ``kind:namespace/name`` form used as the
import key everywhere in the portal.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

DEFAULT_NAMESPACE = "default"

#: canonical spelling of every kind the importer understands, keyed by lower case.
KINDS: dict[str, str] = {
    "group": "Group",
    "user": "User",
    "component": "Component",
    "api": "API",
    "system": "System",
    "domain": "Domain",
    "resource": "Resource",
    "location": "Location",
}

# Backstage: names are 1-63 chars of [A-Za-z0-9] separated by [-_.]; namespaces are DNS labels.
NAME_RE = re.compile(r"^([A-Za-z0-9][-_.A-Za-z0-9]*)?[A-Za-z0-9]$")
NAMESPACE_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$", re.IGNORECASE)
MAX_NAME_LENGTH = 63


class RefError(ValueError):
    """A value that is not a valid entity reference (the message says why)."""


@dataclass(frozen=True, slots=True, order=True)
class EntityRef:
    kind: str  # lower case, a key of KINDS
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"

    @property
    def key(self) -> str:
        return str(self)

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    def short(self, *, default_kind: str | None = None, namespace: str = DEFAULT_NAMESPACE) -> str:
        """The shortest form Backstage accepts back (``payments``, ``api:payments-api``) in an
        entity of ``namespace`` (a namespace-less reference means the referrer's namespace)."""
        text = self.name if self.namespace == namespace else f"{self.namespace}/{self.name}"
        if default_kind is None or self.kind != default_kind:
            text = f"{self.kind}:{text}"
        return text


def validate_name(name: object) -> str | None:
    """Return an error message if ``name`` is not a valid Backstage ``metadata.name``."""
    if not isinstance(name, str) or not name:
        return "metadata.name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return f"metadata.name {name!r} is longer than {MAX_NAME_LENGTH} characters"
    if not NAME_RE.match(name):
        return (
            f"metadata.name {name!r} is not valid: use letters, digits and '-', '_', '.', "
            "starting and ending with a letter or digit"
        )
    return None


def validate_namespace(namespace: object) -> str | None:
    if not isinstance(namespace, str) or not namespace:
        return "metadata.namespace must be a non-empty string"
    if len(namespace) > MAX_NAME_LENGTH or not NAMESPACE_RE.match(namespace):
        return (
            f"metadata.namespace {namespace!r} is not valid: use lower-case letters, digits and '-'"
        )
    return None


def make_ref(kind: str, namespace: str | None, name: str) -> EntityRef:
    return EntityRef(kind.lower(), (namespace or DEFAULT_NAMESPACE).lower(), name.lower())


def parse_ref(
    value: object,
    *,
    default_kind: str | None = None,
    default_namespace: str = DEFAULT_NAMESPACE,
    allowed_kinds: Collection[str] | None = None,
) -> EntityRef:
    """Parse ``value`` as an entity reference.

    Accepts ``kind:namespace/name``, ``kind:name``, ``namespace/name`` and ``name`` strings
    (kind case-insensitive) and the compound ``{kind, namespace, name}`` mapping. A missing
    kind falls back to ``default_kind``, a missing namespace to ``default_namespace`` (the
    referring entity's namespace, as in Backstage).

    Raises RefError with a human-readable message.
    """
    if isinstance(value, Mapping):
        kind = value.get("kind") or default_kind
        namespace = value.get("namespace") or default_namespace
        name = value.get("name")
        if not isinstance(name, str) or not name:
            raise RefError(f"reference {dict(value)!r} has no name")
        if not isinstance(kind, str) or not isinstance(namespace, str):
            raise RefError(f"reference {dict(value)!r} has an invalid kind or namespace")
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            raise RefError("empty entity reference")
        kind, sep, rest = text.partition(":")
        if not sep:
            kind, rest = default_kind, text
        elif not kind:
            raise RefError(f"reference {value!r} has an empty kind before ':'")
        namespace, sep, name = rest.partition("/")
        if not sep:
            namespace, name = default_namespace, rest
        elif not namespace:
            raise RefError(f"reference {value!r} has an empty namespace before '/'")
        if "/" in name or ":" in name:
            raise RefError(f"reference {value!r} is malformed (too many ':' or '/')")
        if not name:
            raise RefError(f"reference {value!r} has an empty name")
    else:
        raise RefError(f"entity reference must be a string, not {type(value).__name__}")

    if kind is None:
        raise RefError(f"reference {value!r} needs a kind, e.g. 'component:{value}'")
    kind = kind.lower()
    if kind not in KINDS:
        raise RefError(f"reference {value!r} has unknown kind {kind!r}")
    if allowed_kinds is not None and kind not in allowed_kinds:
        allowed = ", ".join(sorted(KINDS[k] for k in allowed_kinds))
        raise RefError(f"reference {value!r} must point to {allowed}, not {KINDS[kind]}")
    if (error := validate_name(name)) is not None:
        raise RefError(f"reference {value!r}: {error.replace('metadata.name', 'name')}")
    if (error := validate_namespace(namespace)) is not None:
        raise RefError(f"reference {value!r}: {error.replace('metadata.namespace', 'namespace')}")
    return make_ref(kind, namespace, name)
