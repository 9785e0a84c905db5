"""The breaking-change engine: two OpenAPI documents in, a sorted list of findings out.

Direction matters. A request may accept more than before (a new optional field, an added enum
value, looser limits) but not less; a response may not return less (removed fields, fields
becoming optional or nullable, a wider type) and should not return values clients have never
seen (added enum values: warning).

Schema pairs are compared once per direction and the result (relative to the schema) is reused
at every operation that uses them, so a change inside a `$ref`'d component is reported at each
operation, and shared components cost one comparison. Cycles are cut on the (base, revision)
pair: a pair already being compared higher up the stack is not compared again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from catalog.openapi.errors import guarded
from catalog.openapi.findings import Finding, sort_findings
from catalog.openapi.operations import (
    iter_operations,
    normalise_path,
    parse_sunset,
    path_parameter_names,
)
from catalog.openapi.refs import Resolver, escape
from catalog.openapi.rules import CONTEXTUAL_LEVEL_RULES, ERROR, INFO, RULES, WARNING
from catalog.openapi.schemas import Schema, SchemaIndex, allowed_values, describe_type

REQUEST = "request"
RESPONSE = "response"

# A change found inside a schema, relative to it: (kind, level, pointer tokens, sentence).
# `kind` is a suffix ("type-changed") completed by the context ("request-property-"), or a full
# rule id when it starts with "!".
Change = tuple[str, str, tuple[str, ...], str]

# Formats whose value range is wider than another's: (narrow, wide).
_WIDER_FORMATS = {("int32", "int64"), ("float", "double")}


# Keywords through which a schema reaches other schemas (so equal text may hide a changed $ref).
_LEAF_FREE = frozenset(
    ("properties", "items", "allOf", "oneOf", "anyOf", "additionalProperties", "not", "prefixItems")
)

_LEAF_OR_REF = _LEAF_FREE | {"$ref"}

# In a change's pointer, what follows `_AT` points inside the schema (discriminator/mapping/dog)
# rather than to a property: it extends the finding's location, not its property path.
_AT = "\x00at"

# A media type that goes or comes: (section, change) -> (rule, level, sentence).
_MEDIA_TYPE_RULES = {
    (REQUEST, "removed"): (
        "request-body-media-type-removed",
        ERROR,
        "Removed the request media type {media}.",
    ),
    (REQUEST, "added"): (
        "request-body-media-type-added",
        INFO,
        "Added the request media type {media}.",
    ),
    (RESPONSE, "removed"): (
        "response-media-type-removed",
        ERROR,
        "Removed the media type {media} from the {code} response.",
    ),
    (RESPONSE, "added"): (
        "response-media-type-added",
        INFO,
        "Added the media type {media} to the {code} response.",
    ),
}

# JSON Schema 2020-12 keywords (OpenAPI 3.1) compared by presence on the schema itself:
# (keyword, rule stem, whether appearing restricts). One that restricts the instance refuses
# requests it accepted when it appears (error) and lets a response return more when it goes
# (error); the opposite changes are info. prefixItems reads the other way round, as in oasdiff.
_PRESENCE_KEYWORDS = (
    ("prefixItems", "prefix-items", False),
    ("if", "if", True),
    ("then", "then", True),
    ("else", "else", True),
    ("contains", "contains", True),
    ("propertyNames", "property-names", True),
    ("unevaluatedItems", "unevaluated-items", True),
    ("unevaluatedProperties", "unevaluated-properties", True),
    ("contentSchema", "content-schema", True),
)

# The same for the entries of keyword maps: (keyword, rule stem); every entry restricts.
_ENTRY_KEYWORDS = (
    ("patternProperties", "pattern-property"),
    ("dependentSchemas", "dependent-schema"),
    ("dependentRequired", "dependent-required"),
)

# Keywords that say how a string is encoded: any change breaks both sides.
_ENCODING_KEYWORDS = (
    ("contentMediaType", "content-media-type"),
    ("contentEncoding", "content-encoding"),
)

_KEYWORDS = frozenset(
    k for table in (_PRESENCE_KEYWORDS, _ENTRY_KEYWORDS, _ENCODING_KEYWORDS) for k, *_ in table
)

# A media type whose schema comes or goes: (section, change) -> (rule, sentence); levels from
# RULES. A media type without a schema admits any body: a request schema that appears restricts
# what clients may send (error), a response schema that goes leaves clients without a contract.
_MEDIA_SCHEMA_RULES = {
    (REQUEST, "added"): (
        "request-body-media-type-schema-added",
        "The request media type {media} now has a schema; bodies that do not match it are refused.",
    ),
    (REQUEST, "removed"): (
        "request-body-media-type-schema-removed",
        "The request media type {media} no longer has a schema.",
    ),
    (RESPONSE, "added"): (
        "response-body-media-type-schema-added",
        "The media type {media} of the {code} response now has a schema.",
    ),
    (RESPONSE, "removed"): (
        "response-body-media-type-schema-removed",
        "The media type {media} of the {code} response no longer has a schema; clients lose"
        " the description of what it returns.",
    ),
}

# A parameter's default is what the server assumes when the client omits it: changing or
# removing it changes the meaning of existing calls (oasdiff: error); adding one is documentation.
_PARAMETER_DEFAULT_RULES = frozenset(
    (
        "request-parameter-default-value-changed",
        "request-parameter-default-value-removed",
        "request-parameter-default-value-added",
    )
)


@dataclass(frozen=True, slots=True)
class DiffOptions:
    """`today` anchors sunset checks; `deprecation_days` is the minimum notice between
    deprecating an operation and its `x-sunset` (0: a sunset is not required)."""

    today: date | None = None
    deprecation_days: int = 0


@guarded("compare the documents")
def diff(base: dict, revision: dict, *, options: DiffOptions | None = None) -> list[Finding]:
    """Compare two parsed documents (see loader.load_document) and return sorted findings."""
    return _Differ(base, revision, options or DiffOptions()).run()


def _q(value: Any) -> str:
    return f"'{value}'"


def _types_cover(wide: frozenset[str], narrow: frozenset[str]) -> bool:
    """Every type in `narrow` is accepted by `wide` (an integer is a number)."""
    return all(t in wide or (t == "integer" and "number" in wide) for t in narrow)


def _format_relation(before: str | None, after: str | None) -> str:
    """ "wider" when `after` admits every value `before` did, "narrower" for the reverse,
    "different" otherwise. No format admits everything."""
    if before == after:
        return "same"
    if after is None:
        return "wider"
    if before is None:
        return "narrower"
    if (before, after) in _WIDER_FORMATS:
        return "wider"
    if (after, before) in _WIDER_FORMATS:
        return "narrower"
    return "different"


def _media_map(content: Any) -> dict[str, tuple[str, Any]]:
    """`content` keyed by media type without parameters, lower case -> (original key, object)."""
    result: dict[str, tuple[str, Any]] = {}
    if isinstance(content, dict):
        for media in sorted(content, key=str):
            key = str(media).split(";", 1)[0].strip().lower()
            result.setdefault(key, (str(media), content[media]))
    return result


def _media_covers(wide: str, narrow: str) -> bool:
    """`application/*` and `*/*` cover `application/json`."""
    if wide == narrow or wide in ("*/*", "*"):
        return True
    w_type, _, w_sub = wide.partition("/")
    n_type, _, _ = narrow.partition("/")
    return w_sub == "*" and w_type == n_type


def _statuses(responses: Any) -> dict[str, tuple[str, Any]]:
    """Responses keyed by status in upper case ("2xx" -> "2XX") -> (original key, response)."""
    if not isinstance(responses, dict):
        return {}
    return {str(k).upper(): (str(k), v) for k, v in responses.items()}


def _status_match(code: str, others: dict) -> str | None:
    """The status in `others` that describes the same responses as `code`: its range
    (200 -> 2XX), or, for a range, the first concrete code inside it (2XX -> 200)."""
    if len(code) == 3 and code[0].isdigit() and code[1:].isdigit():
        wide = code[0] + "XX"
        return wide if wide in others else None
    if len(code) == 3 and code[0].isdigit() and code[1:] == "XX":
        inside = sorted(k for k in others if k[0] == code[0] and k[1:].isdigit())
        return inside[0] if inside else None
    return None


def _property_path(ptr: tuple[str, ...]) -> str:
    """("properties", "data", "items", "properties", "name") -> "data/items/name"."""
    names = []
    i = 0
    while i < len(ptr):
        token = ptr[i]
        if token == "properties" and i + 1 < len(ptr):
            names.append(ptr[i + 1])
            i += 2
            continue
        if token in ("oneOf", "anyOf") and i + 1 < len(ptr):
            i += 2
            continue
        names.append(token)
        i += 1
    return "/".join(names)


@dataclass(frozen=True, slots=True)
class _Limit:
    """A limit keyword (maxLength, minimum, maxItems...) and the changes an edit to it gives.

    A request may accept more, not less: a limit that appears is `<rule>-set` (warning), one
    that tightens `<rule>-decreased` for a maximum or `-increased` for a minimum (error). A
    response may return less, not more: a limit that loosens or goes is the other one (error),
    or `<rule>-unset` where the family has that rule. Anything else says nothing."""

    attr: str  # the Schema field
    rule: str  # the rule id stem: "max-length" -> max-length-set, -decreased, -increased
    keyword: str  # as written in the document, for the sentences
    upper: bool  # a maximum (a smaller value is stricter); else a minimum (a larger one is)
    pair: bool = False  # a (bound, exclusive) pair, shown by its number: minimum, maximum
    unset: bool = False  # a response limit that goes is `<rule>-unset`, not a loosening
    unbounded: str = "none"  # how a response limit that went reads after "increased to"
    # maxItems reads a new limit of 0 as unbounded too, as it always has (a 0 only loosens a
    # negative maxItems, which validation refuses on upload).
    zero_unbounded: bool = False
    # The family has no `<rule>-set`: a limit that appears in a request is a tightening from
    # unbounded (maxContains).
    has_set: bool = True
    # A Schema flag both sides must have for the limit to mean anything ("contains").
    within: str = ""

    def changes(self, old: Any, new: Any, req: bool) -> Iterator[Change]:
        if old == new:
            return
        tightened, loosened = (
            ("decreased", "increased") if self.upper else ("increased", "decreased")
        )
        if req:
            if old is None and not self.has_set:
                yield (
                    f"{self.rule}-{tightened}",
                    ERROR,
                    (),
                    f"{self.keyword} {tightened} from {self.unbounded} to {self._show(new)}",
                )
            elif old is None:
                yield (f"{self.rule}-set", WARNING, (), f"{self.keyword} set to {self._show(new)}")
            elif new is not None and self._stricter(new, old):
                yield (
                    f"{self.rule}-{tightened}",
                    ERROR,
                    (),
                    f"{self.keyword} {tightened} from {self._show(old)} to {self._show(new)}",
                )
        elif self.unset and new is None:
            yield (f"{self.rule}-unset", ERROR, (), f"{self.keyword} {self._show(old)} removed")
        elif old is not None and (new is None or self._stricter(old, new)):
            after = (
                self.unbounded
                if new is None or (self.zero_unbounded and not new)
                else self._show(new)
            )
            yield (
                f"{self.rule}-{loosened}",
                ERROR,
                (),
                f"{self.keyword} {loosened} from {self._show(old)} to {after}",
            )

    def _show(self, value: Any) -> Any:
        return value[0] if self.pair else value

    def _stricter(self, value: Any, than: Any) -> bool:
        if self.pair:  # an exclusive bound is stricter than an inclusive one at the same number
            value, than = (value[0], value[1] != self.upper), (than[0], than[1] != self.upper)
        return value < than if self.upper else value > than


# In the order their findings are reported.
_LIMITS = (
    _Limit("max_length", "max-length", "maxLength", upper=True, unset=True),
    _Limit("min_length", "min-length", "minLength", upper=False),
    _Limit("lower", "min", "minimum", upper=False, pair=True),
    _Limit("upper", "max", "maximum", upper=True, pair=True),
    _Limit(
        "max_items", "max-items", "maxItems", upper=True, unbounded="unbounded", zero_unbounded=True
    ),
    _Limit("min_items", "min-items", "minItems", upper=False),
    _Limit("min_contains", "min-contains", "minContains", upper=False, within="contains"),
    _Limit(
        "max_contains",
        "max-contains",
        "maxContains",
        upper=True,
        unbounded="unbounded",
        has_set=False,
        within="contains",
    ),
)


@dataclass(frozen=True, slots=True)
class _Lifecycle:
    """The rule ids for deprecating one kind of thing (a parameter, a request or response
    property). Deprecating needs no sunset unless the policy asks for notice (`deprecation_days`);
    a sunset given must be a date far enough away; once deprecated, its sunset may not go nor
    move earlier than the notice allows."""

    deprecated: str
    with_sunset: str
    sunset_missing: str
    sunset_parse: str
    too_small: str
    reactivated: str
    sunset_deleted: str = ""  # "" : oasdiff has no id for it
    sunset_changed: str = ""


_PARAMETER_LIFECYCLE = _Lifecycle(
    deprecated="request-parameter-deprecated",
    with_sunset="request-parameter-deprecated",
    sunset_missing="request-parameter-deprecated-sunset-missing",
    sunset_parse="request-parameter-sunset-parse",
    too_small="request-parameter-sunset-date-too-small",
    reactivated="request-parameter-reactivated",
    sunset_deleted="request-parameter-sunset-deleted",
    sunset_changed="request-parameter-sunset-date-changed-too-small",
)

# Endpoints: `_lifecycle` reports deprecating and reactivating with its own sentences (as it
# always has); only the sunset ids are used through `_sunset_moved`.
_ENDPOINT_SUNSET = _Lifecycle(
    deprecated="endpoint-deprecated",
    with_sunset="endpoint-deprecated-with-sunset",
    sunset_missing="api-deprecated-sunset-missing",
    sunset_parse="api-deprecated-sunset-parse",
    too_small="api-sunset-date-too-small",
    reactivated="endpoint-reactivated",
    sunset_deleted="sunset-deleted",
    sunset_changed="api-sunset-date-changed-too-small",
)

_PROPERTY_LIFECYCLE = {
    section: _Lifecycle(
        deprecated=f"{section}-property-deprecated",
        with_sunset=f"{section}-property-deprecated-with-sunset",
        sunset_missing=f"{section}-property-deprecated-sunset-missing",
        sunset_parse=f"{section}-property-deprecated-sunset-invalid",
        too_small=f"{section}-property-sunset-date-too-small",
        reactivated=f"{section}-property-reactivated",
    )
    for section in (REQUEST, RESPONSE)
}


def _parse_date(value: Any) -> date | None:
    try:
        return parse_sunset(value)
    except ValueError:
        return None


@dataclass(slots=True)
class _Subject:
    """Where a schema sits in an operation, to name the rules and write the sentences."""

    section: str  # request | response
    kind: str  # body | parameter | header
    where: str  # "request body (application/json)", "query parameter 'limit'"
    pointer: tuple[str, ...]


class _Differ:
    def __init__(self, base: dict, revision: dict, options: DiffOptions) -> None:
        self.base, self.rev = base, revision
        self.options = options
        self.today = options.today or date.today()
        self.b_resolver, self.r_resolver = Resolver(base), Resolver(revision)
        self.b_schemas = SchemaIndex(base, self.b_resolver)
        self.r_schemas = SchemaIndex(revision, self.r_resolver)
        self._memo: dict[tuple[int, int, str], tuple[Change, ...]] = {}
        self._open: set[tuple[int, int, str]] = set()  # pairs being compared (cycle guard)
        # Results inside cycles, with the pairs their traversal entered and the open pairs it
        # cut at; and one (entered, cut) frame per pair being compared (the bottom one is a sink).
        self._cyclic: dict[tuple, tuple[tuple[Change, ...], frozenset, frozenset]] = {}
        self._frames: list[tuple[set, set]] = [(set(), set())]
        self.findings: list[Finding] = []
        self._clean = self._clean_components()

    def _clean_components(self) -> frozenset[str]:
        """Refs of component schemas identical in both documents, as is every schema they reach."""
        prefix = "#/components/schemas/"
        b_schemas = (self.base.get("components") or {}).get("schemas") or {}
        r_schemas = (self.rev.get("components") or {}).get("schemas") or {}
        refs: dict[str, set[str]] = {}
        for name, schema in r_schemas.items():
            found: set[str] = set()
            stack = [schema]
            while stack:
                node = stack.pop()
                if isinstance(node, dict):
                    ref = node.get("$ref")
                    if isinstance(ref, str):
                        found.add(ref)
                    stack.extend(v for v in node.values() if isinstance(v, dict | list))
                elif isinstance(node, list):
                    stack.extend(v for v in node if isinstance(v, dict | list))
            refs[prefix + escape(name)] = found
        clean = {prefix + escape(n) for n, s in r_schemas.items() if b_schemas.get(n) == s}
        changed = True
        while changed:  # a schema reaching a changed (or non-schema) ref is not clean
            changed = False
            for ref in list(clean):
                if not refs[ref] <= clean:
                    clean.discard(ref)
                    changed = True
        return frozenset(clean)

    # ------------------------------------------------------------------ document level

    def run(self) -> list[Finding]:
        self._servers()
        self._webhooks()
        base_ops = {
            (method, normalise_path(path)): (path, method, item, op)
            for path, method, item, op in iter_operations(self.base)
        }
        rev_ops = {
            (method, normalise_path(path)): (path, method, item, op)
            for path, method, item, op in iter_operations(self.rev)
        }
        rev_paths = {normalise_path(p) for p in (self.rev.get("paths") or {})}
        for key, (path, method, _item, op) in base_ops.items():
            if key not in rev_ops:
                self._removed(path, method, op, path_removed=key[1] not in rev_paths)
        for key, (path, method, _item, op) in rev_ops.items():
            if key not in base_ops:
                self._add(
                    (method, path, op),
                    "endpoint-added",
                    INFO,
                    f"Added the endpoint {method.upper()} {path}.",
                )
        for key in base_ops.keys() & rev_ops.keys():
            self._operation(base_ops[key], rev_ops[key])
        return sort_findings(self.findings)

    def _servers(self) -> None:
        def urls(doc: dict) -> list[str]:
            servers = doc.get("servers") or []
            return [
                s.get("url")
                for s in servers
                if isinstance(s, dict) and isinstance(s.get("url"), str)
            ]

        rev_urls = set(urls(self.rev))
        for url in urls(self.base):
            if url not in rev_urls:
                self.findings.append(
                    Finding(
                        id="api-server-removed",
                        level=WARNING,
                        text=f"Removed the server {url}; clients configured with it lose the API.",
                        location="/servers",
                    )
                )

    def _webhooks(self) -> None:
        """OpenAPI 3.1 `webhooks`, matched by name: one removed is `webhook-removed` (error,
        subscribers stop receiving it), one added `webhook-added` (info). What a webhook sends is
        not compared (see docs/openapi.md)."""

        def names(doc: dict) -> dict[str, str]:
            hooks = doc.get("webhooks")
            return {str(k): str(k) for k in hooks} if isinstance(hooks, dict) else {}

        b_hooks, r_hooks = names(self.base), names(self.rev)
        for name in sorted(b_hooks.keys() - r_hooks.keys()):
            self.findings.append(
                Finding(
                    id="webhook-removed",
                    level=RULES["webhook-removed"],
                    text=f"Removed the webhook {_q(name)}; subscribers stop receiving it.",
                    location="/webhooks/" + escape(name),
                )
            )
        for name in sorted(r_hooks.keys() - b_hooks.keys()):
            self.findings.append(
                Finding(
                    id="webhook-added",
                    level=RULES["webhook-added"],
                    text=f"Added the webhook {_q(name)}.",
                    location="/webhooks/" + escape(name),
                )
            )

    def _add(
        self,
        ctx: tuple,
        rule: str,
        level: str,
        text: str,
        *,
        location: tuple = (),
        prop: str = "",
        section: str = "",
    ) -> None:
        """Record a finding about the operation `ctx` = (method, path, operation object).

        The level is the rule's level in RULES (oasdiff's default unless rules.py overrides it),
        whatever the caller computed, except for the ids whose level depends on the change
        (CONTEXTUAL_LEVEL_RULES); an id RULES does not know keeps the caller's level."""
        method, path, op = ctx
        if rule not in CONTEXTUAL_LEVEL_RULES:
            level = RULES.get(rule, level)
        self.findings.append(
            Finding(
                id=rule,
                level=level,
                text=text,
                method=method.upper(),
                path=path,
                operation_id=str(op.get("operationId") or ""),
                location="".join("/" + escape(t) for t in location),
                property_path=prop,
                section=section,
            )
        )

    def _removed(self, path: str, method: str, op: dict, *, path_removed: bool) -> None:
        ctx = (method, path, op)
        family = "api-path-removed" if path_removed else "api-removed"
        what = f"the path {path}" if path_removed else f"the endpoint {method.upper()} {path}"
        location = ("paths", path) if path_removed else ("paths", path, method)
        if not op.get("deprecated"):
            self._add(
                ctx,
                f"{family}-without-deprecation",
                ERROR,
                f"Removed {what} without deprecating it first.",
                location=location,
            )
            return
        sunset_value = op.get("x-sunset")
        if sunset_value is not None:
            try:
                sunset = parse_sunset(sunset_value)
            except ValueError:
                sunset = None
            if sunset is not None and sunset > self.today:
                self._add(
                    ctx,
                    f"{family}-before-sunset",
                    ERROR,
                    f"Removed {what} before its sunset date {sunset.isoformat()}.",
                    location=location,
                )
                return
        self._add(
            ctx,
            f"{family}-with-deprecation",
            INFO,
            f"Removed the deprecated {what}.",
            location=location,
        )

    # ------------------------------------------------------------------ operation level

    def _operation(self, base: tuple, rev: tuple) -> None:
        b_path, method, b_item, b_op = base
        r_path, _, r_item, r_op = rev
        ctx = (method, r_path, r_op)
        self._lifecycle(ctx, b_op, r_op)
        b_id, r_id = b_op.get("operationId"), r_op.get("operationId")
        if b_id and r_id != b_id:
            change = f"changed to {_q(r_id)}" if r_id else "was removed"
            self._add(
                ctx,
                "api-operation-id-removed",
                RULES["api-operation-id-removed"],
                f"The operationId {_q(b_id)} {change}; generated clients lose the method.",
                location=("paths", r_path, method, "operationId"),
            )
        elif r_id and not b_id:
            self._add(ctx, "api-operation-id-added", INFO, f"Added the operationId {_q(r_id)}.")
        self._parameters(ctx, b_path, b_item, b_op, r_item, r_op)
        self._request_body(ctx, b_op, r_op)
        self._responses(ctx, b_op, r_op)
        self._security(ctx, b_op, r_op)

    def _deprecation(self, ids: _Lifecycle, b: dict, r: dict) -> Iterator[tuple[str, str, str]]:
        """(rule, level, fragment) for the `deprecated` flag and `x-sunset` of `b` -> `r` (a
        parameter or a property schema); fragments read after "<the thing>: "."""
        was, now = b.get("deprecated") is True, r.get("deprecated") is True
        if was and not now:
            yield (ids.reactivated, INFO, "no longer deprecated")
            return
        if not now:
            return
        if was:
            yield from self._sunset_moved(ids, b.get("x-sunset"), r.get("x-sunset"))
            return
        sunset_value = r.get("x-sunset")
        days = self.options.deprecation_days
        if sunset_value is None:
            yield (ids.deprecated, INFO, "deprecated")
            if days > 0:
                yield (
                    ids.sunset_missing,
                    ERROR,
                    f"deprecated without an x-sunset date (at least {days} days of notice are"
                    " required)",
                )
            return
        yield (ids.with_sunset, INFO, f"deprecated with sunset {sunset_value}")
        sunset = _parse_date(sunset_value)
        if sunset is None:
            yield (ids.sunset_parse, ERROR, f"the x-sunset value {sunset_value!r} is not a date")
            return
        left = (sunset - self.today).days
        if left < days or left < 0:
            yield (
                ids.too_small,
                ERROR,
                f"the sunset date {sunset.isoformat()} is {left} days away; at least {days} are"
                " required",
            )

    def _sunset_moved(
        self, ids: _Lifecycle, b_value: Any, r_value: Any
    ) -> Iterator[tuple[str, str, str]]:
        """Still deprecated: its sunset removed (error: the promised date is gone), or moved
        earlier to a date less than the required notice away (error)."""
        if b_value is None or b_value == r_value:
            return
        if r_value is None:
            if ids.sunset_deleted:
                yield (ids.sunset_deleted, ERROR, f"the sunset date {b_value} was removed")
            return
        before, after = _parse_date(b_value), _parse_date(r_value)
        if before is None or after is None or after >= before:
            return
        days = self.options.deprecation_days
        left = (after - self.today).days
        if left <= days and ids.sunset_changed:
            yield (
                ids.sunset_changed,
                ERROR,
                f"the sunset date moved from {before.isoformat()} to {after.isoformat()},"
                f" {left} days away (at least {days} are required)",
            )

    def _lifecycle(self, ctx: tuple, b_op: dict, r_op: dict) -> None:
        method, path, _ = ctx
        was, now = bool(b_op.get("deprecated")), bool(r_op.get("deprecated"))
        location = ("paths", path, method, "deprecated")
        if now and not was:
            sunset_value = r_op.get("x-sunset")
            sunset_text = f" with sunset {sunset_value}" if sunset_value is not None else ""
            self._add(
                ctx,
                "endpoint-deprecated"
                if sunset_value is None
                else "endpoint-deprecated-with-sunset",
                INFO,
                f"Deprecated the endpoint{sunset_text}.",
                location=location,
            )
            days = self.options.deprecation_days
            if sunset_value is None:
                if days > 0:
                    self._add(
                        ctx,
                        "api-deprecated-sunset-missing",
                        ERROR,
                        f"Deprecated the endpoint without an x-sunset date (at least {days} days of notice are required).",
                        location=location,
                    )
                return
            try:
                sunset = parse_sunset(sunset_value)
            except ValueError:
                self._add(
                    ctx,
                    "api-deprecated-sunset-parse",
                    ERROR,
                    f"The x-sunset value {sunset_value!r} is not a date.",
                    location=("paths", path, method, "x-sunset"),
                )
                return
            left = (sunset - self.today).days
            if left < days or left < 0:
                self._add(
                    ctx,
                    "api-sunset-date-too-small",
                    ERROR,
                    f"The sunset date {sunset.isoformat()} is {left} days away; at least {days} are required.",
                    location=("paths", path, method, "x-sunset"),
                )
        elif was and now:
            for rule, level, fragment in self._sunset_moved(
                _ENDPOINT_SUNSET, b_op.get("x-sunset"), r_op.get("x-sunset")
            ):
                self._add(
                    ctx,
                    rule,
                    level,
                    f"The deprecated endpoint: {fragment}.",
                    location=("paths", path, method, "x-sunset"),
                )
        elif was and not now:
            self._add(
                ctx,
                "endpoint-reactivated",
                INFO,
                "The endpoint is no longer deprecated.",
                location=location,
            )

    # ------------------------------------------------------------------ parameters

    def _param_map(self, resolver: Resolver, path: str, item: dict, op: dict) -> dict[tuple, dict]:
        names = path_parameter_names(path)
        params: dict[tuple, dict] = {}
        for source in (item.get("parameters") or [], op.get("parameters") or []):
            for raw in source:
                param = resolver.resolve(raw)
                if not isinstance(param, dict) or "name" not in param:
                    continue
                where, name = str(param.get("in", "")), str(param["name"])
                if where == "path":
                    key = ("path", names.index(name) if name in names else name)
                elif where == "header":
                    key = ("header", name.lower())
                else:
                    key = (where, name)
                params[key] = param
        return params

    @staticmethod
    def _param_schema(param: dict) -> Any:
        if "schema" in param:
            return param["schema"]
        content = param.get("content")
        if isinstance(content, dict) and content:
            media = next(iter(content.values()))
            if isinstance(media, dict):
                return media.get("schema")
        return None

    def _parameters(
        self, ctx: tuple, b_path: str, b_item: dict, b_op: dict, r_item: dict, r_op: dict
    ) -> None:
        method, path, _ = ctx
        b_params = self._param_map(self.b_resolver, b_path, b_item, b_op)
        r_params = self._param_map(self.r_resolver, path, r_item, r_op)
        for key in sorted(b_params.keys() | r_params.keys(), key=str):
            b, r = b_params.get(key), r_params.get(key)
            param = r or b
            label = f"{param.get('in')} parameter {_q(param['name'])}"
            location = (
                "paths",
                path,
                method,
                "parameters",
                str(param.get("in")),
                str(param["name"]),
            )
            if r is None:
                sunset = _parse_date(b.get("x-sunset")) if b.get("x-sunset") is not None else None
                if b.get("deprecated") and sunset is not None and sunset > self.today:
                    self._add(
                        ctx,
                        "request-parameter-removed-before-sunset",
                        ERROR,
                        f"Removed the {label} before its sunset date {sunset.isoformat()}.",
                        location=location,
                        section=REQUEST,
                    )
                    continue
                if b.get("deprecated"):
                    rule, level = "request-parameter-removed-with-deprecation", INFO
                else:
                    rule, level = "request-parameter-removed", RULES["request-parameter-removed"]
                self._add(
                    ctx, rule, level, f"Removed the {label}.", location=location, section=REQUEST
                )
                continue
            if b is None:
                if r.get("in") == "path":
                    rule, level = "new-request-path-parameter", ERROR
                elif r.get("required"):
                    rule, level = "new-required-request-parameter", ERROR
                else:
                    rule, level = "new-optional-request-parameter", INFO
                required = "required " if r.get("required") else ""
                self._add(
                    ctx,
                    rule,
                    level,
                    f"Added the {required}{label}.",
                    location=location,
                    section=REQUEST,
                )
                continue
            self._requiredness(ctx, "request-parameter", label, b, r, location)
            for rule, level, fragment in self._deprecation(_PARAMETER_LIFECYCLE, b, r):
                self._add(
                    ctx,
                    rule,
                    level,
                    f"{label[0].upper()}{label[1:]}: {fragment}.",
                    location=location,
                    section=REQUEST,
                )
            b_schema, r_schema = self._param_schema(b), self._param_schema(r)
            if b_schema is not None and r_schema is not None:
                subject = _Subject(REQUEST, "parameter", label, (*location, "schema"))
                self._emit(ctx, subject, self._compare(b_schema, r_schema, REQUEST))

    def _requiredness(
        self, ctx: tuple, family: str, what: str, b: dict, r: dict, location: tuple
    ) -> None:
        """`<family>-became-required` (error) or `-became-optional` (info) when a request
        parameter's or body's `required` flips."""
        was, now = bool(b.get("required")), bool(r.get("required"))
        if now and not was:
            self._add(
                ctx,
                f"{family}-became-required",
                ERROR,
                f"The {what} became required.",
                location=location,
                section=REQUEST,
            )
        elif was and not now:
            self._add(
                ctx,
                f"{family}-became-optional",
                INFO,
                f"The {what} became optional.",
                location=location,
                section=REQUEST,
            )

    # ------------------------------------------------------------------ request body

    def _request_body(self, ctx: tuple, b_op: dict, r_op: dict) -> None:
        method, path, _ = ctx
        b = self.b_resolver.resolve(b_op.get("requestBody")) if "requestBody" in b_op else None
        r = self.r_resolver.resolve(r_op.get("requestBody")) if "requestBody" in r_op else None
        location = ("paths", path, method, "requestBody")
        if b is None and r is None:
            return
        if b is None:
            if r.get("required"):
                self._add(
                    ctx,
                    "request-body-added-required",
                    ERROR,
                    "Added a required request body.",
                    location=location,
                    section=REQUEST,
                )
            else:
                self._add(
                    ctx,
                    "request-body-added-optional",
                    INFO,
                    "Added an optional request body.",
                    location=location,
                    section=REQUEST,
                )
            return
        if r is None:
            self._add(
                ctx,
                "request-body-removed",
                ERROR,
                "Removed the request body.",
                location=location,
                section=REQUEST,
            )
            return
        self._requiredness(ctx, "request-body", "request body", b, r, location)
        self._contents(ctx, REQUEST, b.get("content"), r.get("content"), location)

    # ------------------------------------------------------------------ responses

    def _responses(self, ctx: tuple, b_op: dict, r_op: dict) -> None:
        method, path, _ = ctx
        b_resps = _statuses(b_op.get("responses"))
        r_resps = _statuses(r_op.get("responses"))
        for code in sorted(b_resps.keys() | r_resps.keys()):
            success = code.startswith("2")
            location = ("paths", path, method, "responses", r_resps.get(code, b_resps.get(code))[0])
            if code not in r_resps:
                # 200 now described by 2XX (or 2XX by 200/201...): the response is still there.
                match = _status_match(code, r_resps)
                if match is not None:
                    self._response(ctx, match, location, b_resps[code][1], r_resps[match][1])
                    continue
                if success:
                    self._add(
                        ctx,
                        "response-success-status-removed",
                        ERROR,
                        f"Removed the success response status {code}.",
                        location=location,
                        section=RESPONSE,
                    )
                else:
                    self._add(
                        ctx,
                        "response-non-success-status-removed",
                        INFO,
                        f"Removed the response status {code}.",
                        location=location,
                        section=RESPONSE,
                    )
                continue
            if code not in b_resps:
                rule = (
                    "response-success-status-added"
                    if success
                    else "response-non-success-status-added"
                )
                self._add(
                    ctx,
                    rule,
                    INFO,
                    f"Added the response status {code}.",
                    location=location,
                    section=RESPONSE,
                )
                continue
            self._response(ctx, code, location, b_resps[code][1], r_resps[code][1])

    def _response(self, ctx: tuple, code: str, location: tuple, b_raw: Any, r_raw: Any) -> None:
        b = self.b_resolver.resolve(b_raw) or {}
        r = self.r_resolver.resolve(r_raw) or {}
        if not isinstance(b, dict) or not isinstance(r, dict):
            return
        self._response_headers(ctx, code, location, b, r)
        self._contents(ctx, RESPONSE, b.get("content"), r.get("content"), location, code=code)

    def _contents(
        self,
        ctx: tuple,
        section: str,
        b_content: Any,
        r_content: Any,
        location: tuple,
        *,
        code: str = "",
    ) -> None:
        """Compare two `content` maps. Media types match without their parameters
        (`application/json; charset=utf-8` is `application/json`); a request type the revision
        still accepts through a range (`application/*`, `*/*`) is not removed, nor is a response
        type the revision narrows to a concrete type it covered."""
        req = section == REQUEST
        b_map, r_map = _media_map(b_content), _media_map(r_content)
        matched: set[str] = set()
        pairs: list[tuple[str, str]] = []
        for key in sorted(b_map):
            if key in r_map:
                pairs.append((key, key))
                continue
            if req:
                candidates = [k for k in sorted(r_map) if _media_covers(k, key)]
            else:
                candidates = [k for k in sorted(r_map) if k not in b_map and _media_covers(key, k)]
            if candidates:
                pairs.append((key, candidates[0]))
                matched.add(candidates[0])
                continue
            self._media_type(ctx, section, "removed", b_map[key][0], location, code)
        for key in sorted(r_map.keys() - b_map.keys() - matched):
            self._media_type(ctx, section, "added", r_map[key][0], location, code)
        for b_key, r_key in pairs:
            b_media, r_media = b_map[b_key][1], r_map[r_key][1]
            b_schema = b_media.get("schema") if isinstance(b_media, dict) else None
            r_schema = r_media.get("schema") if isinstance(r_media, dict) else None
            original = r_map[r_key][0]
            if b_schema is None or r_schema is None:
                if (b_schema is None) != (r_schema is None):
                    change = "added" if b_schema is None else "removed"
                    rule, text = _MEDIA_SCHEMA_RULES[section, change]
                    self._add(
                        ctx,
                        rule,
                        RULES[rule],
                        text.format(media=original, code=code),
                        location=(*location, "content", original, "schema"),
                        section=section,
                    )
                continue
            where = f"request body ({original})" if req else f"{code} response ({original})"
            subject = _Subject(section, "body", where, (*location, "content", original, "schema"))
            self._emit(ctx, subject, self._compare(b_schema, r_schema, section))

    def _media_type(
        self, ctx: tuple, section: str, change: str, media: str, location: tuple, code: str
    ) -> None:
        """A media type `change`d ("added" or "removed") in a request body or `code` response."""
        rule, level, text = _MEDIA_TYPE_RULES[section, change]
        self._add(
            ctx,
            rule,
            level,
            text.format(media=media, code=code),
            location=(*location, "content", media),
            section=section,
        )

    def _response_headers(self, ctx: tuple, code: str, location: tuple, b: dict, r: dict) -> None:
        b_headers = {str(k).lower(): (k, v) for k, v in (b.get("headers") or {}).items()}
        r_headers = {str(k).lower(): (k, v) for k, v in (r.get("headers") or {}).items()}
        b_headers.pop("content-type", None)
        r_headers.pop("content-type", None)
        for name in sorted(b_headers.keys() | r_headers.keys()):
            original = (r_headers.get(name) or b_headers[name])[0]
            hloc = (*location, "headers", original)
            if name not in r_headers:
                header = self.b_resolver.resolve(b_headers[name][1]) or {}
                if header.get("required"):
                    self._add(
                        ctx,
                        "required-response-header-removed",
                        ERROR,
                        f"Removed the required header {original} from the {code} response.",
                        location=hloc,
                        section=RESPONSE,
                    )
                else:
                    self._add(
                        ctx,
                        "optional-response-header-removed",
                        WARNING,
                        f"Removed the optional header {original} from the {code} response.",
                        location=hloc,
                        section=RESPONSE,
                    )
                continue
            if name not in b_headers:
                self._add(
                    ctx,
                    "response-header-added",
                    INFO,
                    f"Added the header {original} to the {code} response.",
                    location=hloc,
                    section=RESPONSE,
                )
                continue
            bh = self.b_resolver.resolve(b_headers[name][1]) or {}
            rh = self.r_resolver.resolve(r_headers[name][1]) or {}
            if bh.get("required") and not rh.get("required"):
                self._add(
                    ctx,
                    "response-header-became-optional",
                    ERROR,
                    f"The header {original} of the {code} response became optional.",
                    location=hloc,
                    section=RESPONSE,
                )
            if "schema" in bh and "schema" in rh:
                subject = _Subject(
                    RESPONSE,
                    "header",
                    f"header {original} of the {code} response",
                    (*hloc, "schema"),
                )
                self._emit(ctx, subject, self._compare(bh["schema"], rh["schema"], RESPONSE))

    # ------------------------------------------------------------------ security

    def _security(self, ctx: tuple, b_op: dict, r_op: dict) -> None:
        method, path, _ = ctx
        b_reqs = self._requirements(self.base, b_op)
        r_reqs = self._requirements(self.rev, r_op)
        if b_reqs == r_reqs:
            return
        location = ("paths", path, method, "security")

        def names(req: dict) -> str:
            return (
                " + ".join(
                    f"{s}[{', '.join(sorted(scopes))}]" if scopes else s
                    for s, scopes in sorted(req.items())
                )
                or "none"
            )

        b_public = not b_reqs or any(not req for req in b_reqs)
        r_public = not r_reqs or any(not req for req in r_reqs)
        if b_public:
            if not r_public:
                alternatives = " or ".join(names(req) for req in r_reqs)
                self._add(
                    ctx,
                    "api-security-added",
                    ERROR,
                    f"The public endpoint now requires credentials: {alternatives}.",
                    location=location,
                )
            return
        if r_public:
            self._add(
                ctx,
                "api-security-removed",
                INFO,
                "The endpoint no longer requires credentials.",
                location=location,
            )
            return
        reported: set[frozenset[str]] = set()
        for req in b_reqs:
            if any(self._satisfies(req, alt) for alt in r_reqs):
                continue
            same = [alt for alt in r_reqs if alt.keys() == req.keys()]
            if same:
                alt = same[0]
                for scheme in sorted(alt):
                    added = alt[scheme] - req[scheme]
                    if added:
                        self._add(
                            ctx,
                            "api-security-scope-added",
                            ERROR,
                            f"The security scheme {scheme} now also requires the scope(s) {', '.join(sorted(added))}; tokens that worked before are refused.",
                            location=location,
                        )
                reported.add(frozenset(alt))
                continue
            wider = [alt for alt in r_reqs if alt.keys() > req.keys()]
            if wider:
                extra = sorted(wider[0].keys() - req.keys())
                self._add(
                    ctx,
                    "api-security-added",
                    ERROR,
                    f"Credentials {names(req)} no longer suffice: {', '.join(extra)} is now also required.",
                    location=location,
                )
                reported.add(frozenset(wider[0]))
                continue
            self._add(
                ctx,
                "api-security-removed",
                ERROR,
                f"The security requirement {names(req)} is no longer accepted.",
                location=location,
            )
        for alt in r_reqs:
            if frozenset(alt) in reported:
                continue
            if not any(alt.keys() == req.keys() for req in b_reqs):
                self._add(
                    ctx,
                    "api-security-added",
                    INFO,
                    f"Added the alternative security requirement {names(alt)}.",
                    location=location,
                )
            else:
                for req in b_reqs:
                    if req.keys() == alt.keys():
                        for scheme in sorted(req):
                            if req[scheme] - alt[scheme]:
                                self._add(
                                    ctx,
                                    "api-security-scope-removed",
                                    INFO,
                                    f"The security scheme {scheme} no longer requires {', '.join(sorted(req[scheme] - alt[scheme]))}.",
                                    location=location,
                                )

    @staticmethod
    def _requirements(doc: dict, op: dict) -> list[dict[str, frozenset[str]]]:
        raw = op["security"] if "security" in op else doc.get("security")
        result = []
        for req in raw or []:
            if isinstance(req, dict):
                result.append({str(k): frozenset(v or ()) for k, v in req.items()})
        return result

    @staticmethod
    def _satisfies(old: dict, new: dict) -> bool:
        """Credentials meeting `old` also meet `new`."""
        return all(scheme in old and scopes <= old[scheme] for scheme, scopes in new.items())

    # ------------------------------------------------------------------ schemas

    def _emit(self, ctx: tuple, subject: _Subject, changes: tuple[Change, ...]) -> None:
        for kind, level, ptr, sentence in changes:
            inside: tuple[str, ...] = ()
            if _AT in ptr:
                cut = ptr.index(_AT)
                ptr, inside = ptr[:cut], ptr[cut + 1 :]
            nested = bool(ptr)
            rule = kind[1:] if kind.startswith("!") else self._rule(subject, kind, nested)
            if rule in _PARAMETER_DEFAULT_RULES:
                if nested:
                    rule = "request-property-" + kind
                else:
                    level = RULES[rule]
            prop = _property_path(ptr)
            if subject.kind == "body" and nested:
                where = f"{subject.section} property {_q(prop)} in the {subject.where}"
            elif nested:
                where = f"property {_q(prop)} of the {subject.where}"
            else:
                where = subject.where
            self._add(
                ctx,
                rule,
                level,
                f"{where[0].upper()}{where[1:]}: {sentence}.",
                location=subject.pointer + ptr + inside,
                prop=prop,
                section=subject.section,
            )

    @staticmethod
    def _rule(subject: _Subject, kind: str, nested: bool) -> str:
        if subject.kind == "parameter":
            chain = (
                ("request-parameter-property", "request-parameter", "request-property")
                if nested
                else ("request-parameter", "request-property")
            )
        elif subject.kind == "header":
            chain = ("response-header", "response-property")
        else:
            order = ("property", "body") if nested else ("body", "property")
            chain = tuple(f"{subject.section}-{o}" for o in order)
        for prefix in chain:
            rule = f"{prefix}-{kind}"
            if rule in RULES:
                return rule
        return f"{chain[0]}-{kind}"

    def _compare(self, b_raw: Any, r_raw: Any, direction: str) -> tuple[Change, ...]:
        if isinstance(b_raw, dict) and isinstance(r_raw, dict):
            ref = b_raw.get("$ref")
            if ref is not None and ref in self._clean and ref == r_raw.get("$ref"):
                return ()  # the same component, unchanged down to every schema it reaches
        b_node, r_node = self.b_resolver.resolve(b_raw), self.r_resolver.resolve(r_raw)
        key = (id(b_node), id(r_node), direction)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        open_pairs = self._open
        if key in open_pairs:  # a cycle: this pair is being compared further up
            self._frames[-1][1].add(key)
            return ()
        cyclic = self._cyclic.get(key)
        if cyclic is not None:
            result, visited, cut = cyclic
            # The traversal only depends on which pairs are open: reuse it when it would cut at
            # exactly the same places (its cut targets open, nothing else it visits open).
            if cut <= open_pairs and visited.isdisjoint(open_pairs):
                self._frames[-1][0].update(visited)
                self._frames[-1][1].update(cut)
                return result
        if b_node == r_node and isinstance(b_node, dict) and _LEAF_FREE.isdisjoint(b_node):
            self._memo[key] = ()  # an identical leaf schema: nothing can differ
            return ()
        open_pairs.add(key)
        frame: tuple[set, set] = (set(), set())
        self._frames.append(frame)
        try:
            result = tuple(
                self._compare_schemas(
                    self.b_schemas.get(b_node), self.r_schemas.get(r_node), direction
                )
            )
        finally:
            open_pairs.discard(key)
            self._frames.pop()
        visited, cut = frame
        if not cut:  # untouched by any cycle: the same result on every path
            self._memo[key] = result
            return result
        visited.add(key)
        cut.discard(key)
        known = self._cyclic.get(key)
        if known is None or len(cut) < len(known[2]):  # keep the most reusable traversal
            self._cyclic[key] = (result, frozenset(visited), frozenset(cut))
        self._frames[-1][0].update(visited)
        self._frames[-1][1].update(cut)
        return result

    def _compare_schemas(self, b: Schema, r: Schema, direction: str):
        if b is r:
            return
        req = direction == REQUEST
        # `oneOf: [X]` (or anyOf) is X: compare through a wrapper only one side has
        b_single, r_single = b.single_branch(), r.single_branch()
        plain = b if b_single is None else r  # the side that is not a wrapper
        if (b_single is None) != (r_single is None) and not plain.alternatives:
            b_raw = b.node if b_single is None else b_single
            r_raw = r.node if r_single is None else r_single
            if b_raw is not None and r_raw is not None:
                yield from self._compare(b_raw, r_raw, direction)
                return
        # --- type and format
        comparable = True  # bounds of an unrelated old type say nothing about the new one
        if b.types != r.types:
            before, after = describe_type(b), describe_type(r)
            text = f"type changed from {_q(before)} to {_q(after)}"
            widened = _types_cover(r.types, b.types) if r.types else True
            narrowed = _types_cover(b.types, r.types) if b.types else True
            if (
                b.types
                and r.types
                and (len(b.types) > 1 or len(r.types) > 1)
                and (widened or narrowed)
            ):  # 3.1 type lists: [integer] -> [integer, string]
                if widened:
                    yield ("list-of-types-widened", INFO if req else ERROR, (), text)
                else:
                    yield ("list-of-types-narrowed", ERROR if req else INFO, (), text)
            elif req:
                if widened:
                    yield ("type-generalized", INFO, (), text)
                else:
                    yield ("type-changed", ERROR, (), text)
            elif narrowed:
                yield ("type-specialized", INFO, (), text)
            elif widened:
                yield ("type-generalized", ERROR, (), text)
            else:
                yield ("type-changed", ERROR, (), text)
            comparable = widened or narrowed or bool(b.types & r.types)
        elif b.format != r.format:
            relation = _format_relation(b.format, r.format)
            text = f"format changed from {_q(b.format or 'none')} to {_q(r.format or 'none')}"
            if req and relation in ("narrower", "different"):
                yield ("format-changed", ERROR, (), text + " (fewer values are accepted)")
            elif not req and relation in ("wider", "different"):
                yield (
                    "format-changed",
                    WARNING,
                    (),
                    text + " (values outside the old range may be returned)",
                )
        # --- nullability
        if b.nullable != r.nullable:
            if r.nullable:
                yield ("became-nullable", INFO if req else ERROR, (), "became nullable")
            else:
                yield ("became-not-nullable", ERROR if req else INFO, (), "became not nullable")
        # --- enum and const (`enum: [a]` and `const: a` are the same restriction)
        same_values = allowed_values(b) == allowed_values(r)
        if same_values:
            pass
        elif b.enum is not None and r.enum is not None:
            for value in sorted(b.enum.keys() - r.enum.keys()):
                yield (
                    "enum-value-removed",
                    ERROR if req else INFO,
                    (),
                    f"enum value {value} removed",
                )
            for value in sorted(r.enum.keys() - b.enum.keys()):
                if req:
                    yield ("enum-value-added", INFO, (), f"enum value {value} added")
                else:
                    yield (
                        "enum-value-added",
                        WARNING,
                        (),
                        f"enum value {value} added; clients may not handle it",
                    )
        elif r.enum is not None and req:
            yield (
                "became-enum",
                ERROR,
                (),
                "now restricted to the values " + ", ".join(sorted(r.enum)),
            )
        # --- x-extensible-enum: the values a request may send today; new ones may come, so only
        # a removal (in a request) is a change (a response may return unknown values anyway)
        if req and b.extensible_enum is not None and r.extensible_enum is not None:
            for value in sorted(b.extensible_enum.keys() - r.extensible_enum.keys()):
                yield (
                    "x-extensible-enum-value-removed",
                    ERROR,
                    (),
                    f"x-extensible-enum value {value} removed",
                )
        if b.const != r.const and not same_values:
            if not b.has_const:
                if req:
                    yield ("const-added", ERROR, (), f"now restricted to the constant {r.const}")
            elif not r.has_const:
                if not req:
                    yield ("const-removed", ERROR, (), f"no longer always {b.const}")
            else:
                yield ("const-changed", ERROR, (), f"constant changed from {b.const} to {r.const}")
        # --- default
        if b.default != r.default:
            if not b.has_default:
                yield ("default-value-added", INFO, (), f"default value {r.default} added")
            elif not r.has_default:
                yield ("default-value-removed", INFO, (), f"default value {b.default} removed")
            else:
                yield (
                    "default-value-changed",
                    INFO,
                    (),
                    f"default value changed from {b.default} to {r.default}",
                )
        # --- additionalProperties: false refuses the extra fields a request could carry
        if req and r.closed and not b.closed and ("object" in r.types or r.properties):
            yield (
                "additional-properties-restricted",
                ERROR,
                (),
                "additional properties are no longer accepted (additionalProperties: false)",
            )
        yield from self._discriminator(b, r)
        if isinstance(b.node, dict) and isinstance(r.node, dict):
            yield from self._keywords(b.node, r.node, req)
        if not comparable:
            return
        # --- bounds
        yield from self._bounds(b, r, req)
        # --- object properties
        if b.properties or r.properties:
            yield from self._properties(b, r, direction)
        if b.items is not None and r.items is not None:
            for kind, level, ptr, text in self._compare(b.items, r.items, direction):
                yield (kind, level, ("items", *ptr), text)
        if b.additional is not None and r.additional is not None:
            for kind, level, ptr, text in self._compare(b.additional, r.additional, direction):
                yield (kind, level, ("additionalProperties", *ptr), text)
        # --- oneOf / anyOf
        for keyword, label in (("oneOf", "one-of"), ("anyOf", "any-of")):
            b_alts, r_alts = (
                dict(b.alternatives.get(keyword, ())),
                dict(r.alternatives.get(keyword, ())),
            )
            if not b_alts and not r_alts:
                continue
            for name in sorted(b_alts.keys() - r_alts.keys()):
                yield (
                    f"{label}-removed",
                    ERROR if req else INFO,
                    (),
                    f"{keyword} alternative {_q(name)} removed",
                )
            for name in sorted(r_alts.keys() - b_alts.keys()):
                yield (
                    f"{label}-added",
                    INFO if req else ERROR,
                    (),
                    f"{keyword} alternative {_q(name)} added",
                )
            for name in sorted(b_alts.keys() & r_alts.keys()):
                for kind, level, ptr, text in self._compare(b_alts[name], r_alts[name], direction):
                    yield (kind, level, (keyword, name, *ptr), text)

    @staticmethod
    def _keywords(b: dict, r: dict, req: bool) -> Iterator[Change]:
        """JSON Schema 2020-12 keywords by presence (what is inside them is not compared; see
        docs/openapi.md): `_PRESENCE_KEYWORDS`, the entries of `_ENTRY_KEYWORDS` (a
        dependentRequired entry whose list changes is `-changed`, error) and
        `_ENCODING_KEYWORDS` (any change: error)."""
        if _KEYWORDS.isdisjoint(b) and _KEYWORDS.isdisjoint(r):
            return  # the common case: none of them

        def presence(was: bool, now: bool, stem: str, restricts: bool, at: tuple, what: str):
            if was == now:
                return
            change = "added" if now else "removed"
            breaking = (now == restricts) == req  # restricts a request or loosens a response
            yield (f"{stem}-{change}", ERROR if breaking else INFO, at, f"{what} {change}")

        for keyword, stem, restricts in _PRESENCE_KEYWORDS:
            yield from presence(
                keyword in b, keyword in r, stem, restricts, (_AT, keyword), keyword
            )
        for keyword, stem in _ENTRY_KEYWORDS:
            b_map = b.get(keyword) if isinstance(b.get(keyword), dict) else {}
            r_map = r.get(keyword) if isinstance(r.get(keyword), dict) else {}
            for key in sorted(b_map.keys() | r_map.keys(), key=str):
                at = (_AT, keyword, str(key))
                what = f"{keyword} entry {_q(key)}"
                yield from presence(key in b_map, key in r_map, stem, True, at, what)
                if key in b_map and key in r_map and stem == "dependent-required":
                    before, after = b_map[key], r_map[key]
                    if isinstance(before, list) and isinstance(after, list):
                        before, after = sorted(map(str, before)), sorted(map(str, after))
                    if before != after:
                        yield (
                            f"{stem}-changed",
                            ERROR,
                            at,
                            f"{what} changed from {before} to {after}",
                        )
        for keyword, stem in _ENCODING_KEYWORDS:
            before, after = b.get(keyword), r.get(keyword)
            if before != after:
                yield (
                    f"{stem}-changed",
                    ERROR,
                    (_AT, keyword),
                    f"{keyword} changed from {_q(before or 'none')} to {_q(after or 'none')}",
                )

    @staticmethod
    def _discriminator(b: Schema, r: Schema) -> Iterator[Change]:
        """The schema's own discriminator: added, removed, its propertyName changed, mapping
        entries added, deleted or pointing elsewhere (a bare schema name and its
        `#/components/schemas/` reference are the same target). Info in both directions, as in
        oasdiff: what a payload may contain is decided by the branches and properties, whose
        changes are reported on their own."""
        if not b.has_discriminator and not r.has_discriminator:
            return
        at = (_AT, "discriminator")

        def named(schema: Schema) -> str:
            name = schema.discriminator_property
            return f" on {_q(name)}" if name else ""

        if not r.has_discriminator:
            yield ("discriminator-removed", INFO, at, f"discriminator{named(b)} removed")
            return
        if not b.has_discriminator:
            yield ("discriminator-added", INFO, at, f"discriminator{named(r)} added")
            return
        if b.discriminator_property != r.discriminator_property:
            yield (
                "discriminator-property-name-changed",
                INFO,
                (*at, "propertyName"),
                f"discriminator property name changed from {_q(b.discriminator_property or 'none')}"
                f" to {_q(r.discriminator_property or 'none')}",
            )
        b_map, r_map = b.discriminator_mapping, r.discriminator_mapping
        for key in sorted(b_map.keys() - r_map.keys()):
            yield (
                "discriminator-mapping-deleted",
                INFO,
                (*at, "mapping", key),
                f"discriminator mapping {_q(key)} (to {_q(b_map[key])}) deleted",
            )
        for key in sorted(r_map.keys() - b_map.keys()):
            yield (
                "discriminator-mapping-added",
                INFO,
                (*at, "mapping", key),
                f"discriminator mapping {_q(key)} (to {_q(r_map[key])}) added",
            )
        for key in sorted(b_map.keys() & r_map.keys()):
            if b_map[key] != r_map[key]:
                yield (
                    "discriminator-mapping-changed",
                    INFO,
                    (*at, "mapping", key),
                    f"discriminator mapping {_q(key)} changed from {_q(b_map[key])}"
                    f" to {_q(r_map[key])}",
                )

    @staticmethod
    def _bounds(b: Schema, r: Schema, req: bool) -> Iterator[Change]:
        """The limits (in `_LIMITS` order), then the pattern."""
        for limit in _LIMITS:
            if limit.within and not (getattr(b, limit.within) and getattr(r, limit.within)):
                continue
            yield from limit.changes(getattr(b, limit.attr), getattr(r, limit.attr), req)
        if b.pattern != r.pattern:
            if b.pattern is None:
                yield (
                    "pattern-added",
                    ERROR if req else INFO,
                    (),
                    f"pattern {_q(r.pattern)} added",
                )
            elif r.pattern is None:
                yield ("pattern-removed", INFO, (), f"pattern {_q(b.pattern)} removed")
            else:
                yield (
                    "pattern-changed",
                    WARNING if req else INFO,
                    (),
                    f"pattern changed from {_q(b.pattern)} to {_q(r.pattern)}",
                )

    def _property_lifecycle(
        self, b_prop: Any, r_prop: Any, direction: str, ptr: tuple[str, ...]
    ) -> Iterator[Change]:
        """A property deprecated, reactivated or its sunset changed (see `_deprecation`);
        nothing for a readOnly property of a request or a writeOnly one of a response."""
        b_node, r_node = self.b_resolver.resolve(b_prop), self.r_resolver.resolve(r_prop)
        if b_node is r_node or not isinstance(b_node, dict) or not isinstance(r_node, dict):
            return
        if b_node.get("deprecated") == r_node.get("deprecated") and b_node.get(
            "x-sunset"
        ) == r_node.get("x-sunset"):
            return  # the common case: nothing about its lifecycle changed
        r_schema = self.r_schemas.get(r_prop)
        if r_schema.read_only if direction == REQUEST else r_schema.write_only:
            return
        for rule, level, fragment in self._deprecation(
            _PROPERTY_LIFECYCLE[direction], b_node, r_node
        ):
            yield (f"!{rule}", level, (*ptr, _AT, "deprecated"), fragment)

    def _mutability(
        self, b_prop: Any, r_prop: Any, direction: str, ptr: tuple[str, ...], required: bool
    ) -> Iterator[Change]:
        """A property that became (or stopped being) readOnly or writeOnly:
        `<section>-<required|optional>-property-became-[not-]<read|write>-only`, with oasdiff's
        levels (info, and a warning for a required response property no longer writeOnly)."""
        b_schema, r_schema = self.b_schemas.get(b_prop), self.r_schemas.get(r_prop)
        which = "required" if required else "optional"
        for flag, name in (("read_only", "read-only"), ("write_only", "write-only")):
            was, now = getattr(b_schema, flag), getattr(r_schema, flag)
            if was == now:
                continue
            change = name if now else f"not-{name}"
            rule = f"{direction}-{which}-property-became-{change}"
            keyword = "readOnly" if flag == "read_only" else "writeOnly"
            text = f"became {keyword}" if now else f"no longer {keyword}"
            yield (f"!{rule}", RULES[rule], (*ptr, _AT, keyword), text)

    def _properties(self, b: Schema, r: Schema, direction: str):
        req = direction == REQUEST
        for name in sorted(b.properties.keys() | r.properties.keys()):
            ptr = ("properties", name)
            in_b, in_r = name in b.properties, name in r.properties
            if in_b and not in_r:
                old = self.b_schemas.get(b.properties[name])
                if req:
                    if not old.read_only:
                        yield ("!request-property-removed", WARNING, ptr, "removed")
                elif not old.write_only:
                    if name in b.required:
                        yield (
                            "!response-required-property-removed",
                            ERROR,
                            ptr,
                            "required property removed",
                        )
                    else:
                        yield (
                            "!response-optional-property-removed",
                            WARNING,
                            ptr,
                            "optional property removed",
                        )
                continue
            if in_r and not in_b:
                new = self.r_schemas.get(r.properties[name])
                required = name in r.required
                if req:
                    if new.read_only:
                        continue
                    if required:
                        yield (
                            "!new-required-request-property-with-default"
                            if new.has_default
                            else "!new-required-request-property",
                            ERROR,
                            ptr,
                            "new required property"
                            + (f" (with default {new.default})" if new.has_default else ""),
                        )
                    else:
                        yield ("!new-optional-request-property", INFO, ptr, "new optional property")
                elif not new.write_only:
                    if required:
                        yield (
                            "!response-required-property-added",
                            INFO,
                            ptr,
                            "new required property",
                        )
                    else:
                        yield (
                            "!response-optional-property-added",
                            INFO,
                            ptr,
                            "new optional property",
                        )
                continue
            was_required, now_required = name in b.required, name in r.required
            if was_required != now_required:
                if req:
                    now_prop = self.r_schemas.get(r.properties[name])
                    if now_required and not now_prop.read_only:
                        yield (
                            "!request-property-became-required-with-default"
                            if now_prop.has_default
                            else "!request-property-became-required",
                            ERROR,
                            ptr,
                            "became required"
                            + (
                                f" (with default {now_prop.default})"
                                if now_prop.has_default
                                else ""
                            ),
                        )
                    elif was_required:
                        yield ("!request-property-became-optional", INFO, ptr, "became optional")
                elif not self.r_schemas.get(r.properties[name]).write_only:
                    if was_required:
                        yield ("!response-property-became-optional", ERROR, ptr, "became optional")
                    else:
                        yield ("!response-property-became-required", INFO, ptr, "became required")
            b_prop, r_prop = b.properties[name], r.properties[name]
            if b_prop == r_prop and isinstance(b_prop, dict) and _LEAF_OR_REF.isdisjoint(b_prop):
                continue  # the common case: an unchanged leaf property
            if not (
                b_prop == r_prop and isinstance(b_prop, dict) and b_prop.get("$ref") in self._clean
            ):
                # (a component unchanged in both documents has nothing to say)
                yield from self._property_lifecycle(b_prop, r_prop, direction, ptr)
                yield from self._mutability(b_prop, r_prop, direction, ptr, now_required)
            for kind, level, sub, text in self._compare(b_prop, r_prop, direction):
                yield (kind, level, (*ptr, *sub), text)
