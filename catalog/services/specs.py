"""Writes of the spec registry: publish a version's OpenAPI document, enforce the versioning
policy on breaking changes, notify the consumers they touch; and the storage-free CI check.

``spec_publish`` is called by ``catalog.services.catalog`` whenever a version is created or its
spec changes, inside that transaction: a refusal here rolls the whole version back.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.db import transaction
from django.urls import NoReverseMatch, reverse

from catalog.models import Api, ApiOperation, ApiSpec, ApiVersion
from catalog.openapi import (
    DiffOptions,
    Finding,
    SpecError,
    diff,
    extract_operations,
    has_errors,
    load_document,
    summary,
)
from catalog.selectors.specs import (
    COMPARE_ALL_SUPPORTED,
    spec_base_versions,
    spec_check_versions,
    spec_impacted_consumers,
    spec_latest_version,
)
from portal.api.exceptions import DomainError

# Stabilities whose consumers were promised compatibility; draft/alpha versions and 0.x majors
# may break freely (SemVer §4).
PROMISED_STABILITIES = ("beta", "stable")


def spec_max_bytes() -> int:
    return int(getattr(settings, "PORTAL_SPEC_MAX_BYTES", 5 * 1024 * 1024))


def spec_load(*, text: str | bytes) -> dict:
    """Parse and validate an uploaded document.

    Raises DomainError (400, rule ``spec-invalid`` or ``spec-too-large``) carrying the validator's
    message and location in ``errors["spec"]`` and in ``location``."""
    try:
        return load_document(text, max_bytes=spec_max_bytes())
    except SpecError as exc:
        rule = "spec-too-large" if exc.code == "too_large" else "spec-invalid"
        message = f"{exc.message} (at {exc.location})" if exc.location else exc.message
        raise DomainError(
            message,
            rule=rule,
            errors={"spec": [message]},
            extra={"location": exc.location, "code": exc.code},
        ) from exc


def _policy(api_version: ApiVersion):
    from slas.selectors import policy_effective

    return policy_effective(api_version=api_version)


def _live_policy(api: Api):
    from slas.selectors import policy_for_api

    return policy_for_api(api=api)[0]


def _options(api_version: ApiVersion, policy) -> DiffOptions:
    return DiffOptions(
        today=date.today(), deprecation_days=policy.notice_days(api_version.stability)
    )


def _operations_sync(api_version: ApiVersion, document: dict) -> None:
    """ApiOperation rows mirror the document: kept rows (same method and path) keep their
    dependency links, vanished ones are deleted, new ones created."""
    wanted = {(op.method, op.path): op for op in extract_operations(document)}
    existing = {
        (row.method.upper(), row.path): row
        for row in ApiOperation.objects.filter(api_version=api_version)
    }
    stale = [row.pk for key, row in existing.items() if key not in wanted]
    if stale:
        ApiOperation.objects.filter(pk__in=stale).delete()
    to_create, to_update = [], []
    for key, op in wanted.items():
        values = {
            "operation_id": op.operation_id[:300],
            "summary": op.summary[:500],
            "tags": list(op.tags),
            "deprecated": op.deprecated,
            "sunset": op.sunset.isoformat() if op.sunset else "",
        }
        row = existing.get(key)
        if row is None:
            to_create.append(
                ApiOperation(
                    api_version=api_version, method=op.method, path=op.path[:1000], **values
                )
            )
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            to_update.append(row)
    ApiOperation.objects.bulk_create(to_create, batch_size=500)
    if to_update:
        ApiOperation.objects.bulk_update(to_update, list(values), batch_size=500)


@dataclass
class SpecComparison:
    """The findings of a document against one base version."""

    base: ApiVersion
    findings: list[Finding]

    @property
    def breaking(self) -> bool:
        return has_errors(self.findings)


def _all_supported(policy) -> bool:
    return getattr(policy, "compare_against", "previous") == COMPARE_ALL_SUPPORTED


def _finding_dicts(comparisons: list[SpecComparison], *, with_base: bool) -> list[dict]:
    """Stored/returned findings: exactly the engine's dicts when compared with the previous
    version only; each also naming its ``base_version`` when compared with every supported one."""
    return [
        {**f.to_dict(), "base_version": c.base.version} if with_base else f.to_dict()
        for c in comparisons
        for f in c.findings
    ]


def _compared_with(comparisons: list[SpecComparison]) -> list[dict]:
    return [
        {"id": c.base.pk, "version": c.base.version, **summary(c.findings)} for c in comparisons
    ]


def _refusal(
    api_version: ApiVersion, refusing: list[SpecComparison], *, with_base: bool
) -> DomainError:
    """The 422 for breaking changes without a major bump against one or more base versions
    (``refusing`` lowest first; the message names the closest one first)."""
    closest = refusing[-1].base
    errors = [(c.base, f) for c in reversed(refusing) for f in c.findings if f.is_error]
    findings = [f for c in refusing for f in c.findings]
    against = closest.version
    if len(refusing) > 1:
        against = ", ".join(
            f"{c.base.version} ({sum(f.is_error for f in c.findings)})" for c in reversed(refusing)
        )
    detail = (
        f"{len(errors)} breaking change(s) against {against}, but the major version did not "
        f"increase ({closest.major} → {api_version.major}); the versioning policy requires a new major "
        f"version for breaking changes. Publish it as {closest.major + 1}.0.0, or make the change compatible."
    )
    extra = {
        "base_version": closest.version,
        "summary": summary(findings),
        "findings": _finding_dicts(refusing, with_base=True),
    }
    if with_base:
        extra["base_versions"] = [c.base.version for c in refusing]
    prefix = (lambda base: f"against {base.version}: ") if with_base else (lambda base: "")
    return DomainError(
        detail,
        kind="refused",
        rule="breaking-change-requires-major",
        errors={
            "spec": [f"{prefix(b)}[{f.id}] {f.method} {f.path}: {f.text}" for b, f in errors[:50]]
        },
        extra=extra,
    )


def _must_refuse(
    api_version: ApiVersion, base: ApiVersion, findings: list[Finding], policy
) -> bool:
    return (
        has_errors(findings)
        and policy.breaking_requires_major
        and api_version.major <= base.major
        and base.major >= 1
        and api_version.stability in PROMISED_STABILITIES
    )


@transaction.atomic
def spec_publish(*, api_version: ApiVersion, document: str | bytes, actor=None) -> ApiSpec:
    """Store ``document`` as the spec of ``api_version`` (already saved by the caller).

    Validates the document (400 with the validator's message and location), mirrors its operations
    into ApiOperation rows, and diffs it against its base versions: the previous supported version
    of the same API, or — when the effective policy's ``compare_against`` is ``all_supported`` —
    every supported (not retired) lower version that has a spec, each separately. Then:
    refuses (422, with the findings) when, against any base, there are error-level findings, the
    version is beta or stable, the major did not increase and the policy requires a major bump;
    otherwise stores the findings (``compared_with`` lists the bases; under ``all_supported`` each
    finding names its ``base_version``) and, when there are breaking (error) findings against a
    base, records one ``breaking_version`` ChangeEvent whose recipients are the owners of the
    consumers of that base that use an affected operation (or declared none), each team once per
    publish with the findings that touch each of its consumers.
    """
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    parsed = spec_load(text=text)
    spec_format = (
        ApiVersion.SpecFormat.JSON if text.lstrip().startswith("{") else ApiVersion.SpecFormat.YAML
    )
    if api_version.spec_format != spec_format:
        api_version.spec_format = spec_format
        api_version.save(update_fields=["spec_format", "updated_at"])

    policy = _policy(api_version)
    with_base = _all_supported(policy)
    bases = spec_base_versions(api_version=api_version, compare_against=policy.compare_against)
    comparisons: list[SpecComparison] = []
    if bases:
        options = _options(api_version, policy)
        comparisons = [
            SpecComparison(
                base=base, findings=diff(base.spec_record.document, parsed, options=options)
            )
            for base in bases
        ]
        refusing = [c for c in comparisons if _must_refuse(api_version, c.base, c.findings, policy)]
        if refusing:
            raise _refusal(api_version, refusing, with_base=with_base)

    findings = [f for c in comparisons for f in c.findings]
    counts = summary(findings)
    spec, _ = ApiSpec.objects.update_or_create(
        api_version=api_version,
        defaults={
            "document": parsed,
            "openapi_version": str(parsed.get("openapi", ""))[:20],
            "digest": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "size_bytes": len(text.encode("utf-8")),
            "compared_to": comparisons[-1].base if comparisons else None,
            "compared_with": _compared_with(comparisons),
            "findings": _finding_dicts(comparisons, with_base=with_base),
            "error_count": counts["error"],
            "warning_count": counts["warning"],
            "info_count": counts["info"],
        },
    )
    _operations_sync(api_version, parsed)
    breaking = [c for c in comparisons if c.breaking]
    if breaking:
        _notify_breaking(
            api_version=api_version,
            comparisons=breaking,
            spec=spec,
            with_base=with_base,
            actor=actor,
        )
    return spec


def _version_url(api_version: ApiVersion) -> str:
    try:
        return reverse("catalog:apiversion-detail", args=[api_version.pk])
    except NoReverseMatch:
        return ""


def _notify_breaking(
    *,
    api_version: ApiVersion,
    comparisons: list[SpecComparison],
    spec: ApiSpec,
    with_base: bool,
    actor,
) -> None:
    """One ``breaking_version`` event for the publish; each team is one recipient (the outbox
    keeps one notification per team, event and channel) whose ``detail`` lists every consuming
    service of every base version it uses, with the findings against that base that touch it."""
    from portal.notifications.services import Recipient, event_record

    by_team: dict[int, dict] = {}
    for comparison in comparisons:
        relevant = [f for f in comparison.findings if f.level != "info"]
        for impact in spec_impacted_consumers(base_version=comparison.base, findings=relevant):
            consumer = impact.dependency.consumer
            entry = by_team.setdefault(
                consumer.owner_id, {"base_version": comparison.base.version, "consumers": []}
            )
            consumer_entry = {
                "service": consumer.slug,
                "dependency_id": impact.dependency.pk,
                "findings": [f.to_dict() for f in impact.findings],
            }
            if with_base:
                consumer_entry["base_version"] = comparison.base.version
                versions = entry.setdefault("base_versions", [])
                if comparison.base.version not in versions:
                    versions.append(comparison.base.version)
            entry["consumers"].append(consumer_entry)
    api = api_version.api
    provider = api.provider
    recipients = [
        Recipient(
            team_id=team_id,
            relation="direct",
            path=[entry["consumers"][0]["service"], provider.slug],
            detail={"api": api.slug, "version": api_version.version, **entry},
        )
        for team_id, entry in sorted(by_team.items())
    ]
    errors = [(c.base, f) for c in comparisons for f in c.findings if f.is_error]
    against = ", ".join(c.base.version for c in comparisons)
    body_lines = [
        f"{api.name} {api_version.version} has {len(errors)} breaking change(s) against {against}:"
    ]
    if len(comparisons) == 1:
        body_lines += [f"- [{f.id}] {f.method} {f.path}: {f.text}" for _, f in errors[:50]]
    else:
        for comparison in comparisons:
            body_lines.append(f"Against {comparison.base.version}:")
            body_lines += [
                f"- [{f.id}] {f.method} {f.path}: {f.text}"
                for f in comparison.findings
                if f.is_error
            ][:50]
    payload = {
        "api": api.slug,
        "api_version_id": api_version.pk,
        "version": api_version.version,
        "base_version": comparisons[-1].base.version,
        "summary": summary([f for c in comparisons for f in c.findings]),
    }
    if with_base:
        payload["base_versions"] = [c.base.version for c in comparisons]
    event_record(
        kind="breaking_version",
        dedupe_key=f"breaking_version:{api_version.pk}:{spec.digest[:16]}",
        title=f"{api.name} {api_version.version}: {len(errors)} breaking change(s) against {against}",
        body="\n".join(body_lines),
        url=_version_url(api_version),
        payload=payload,
        recipients=recipients,
        actor=actor,
    )


@dataclass
class SpecCheckResult:
    """Findings of a candidate document against the versions CI checks it with (none, the
    latest supported one, or every supported one under ``compare_against: all_supported``)."""

    comparisons: list[SpecComparison]
    all_supported: bool = False

    @property
    def base_version(self) -> ApiVersion | None:
        """The latest version compared with (the only one unless ``all_supported``)."""
        return self.comparisons[-1].base if self.comparisons else None

    @property
    def findings(self) -> list[Finding]:
        return [f for c in self.comparisons for f in c.findings]

    @property
    def breaking(self) -> bool:
        return has_errors(self.findings)

    def finding_dicts(self) -> list[dict]:
        """Each finding names its ``base_version``, as publish and the stored findings do."""
        return _finding_dicts(self.comparisons, with_base=True)

    def as_dict(self) -> dict:
        data = {
            "base_version": self.base_version.version if self.base_version else None,
            "breaking": self.breaking,
            "summary": summary(self.findings),
            "findings": self.finding_dicts(),
        }
        if self.all_supported:
            data["base_versions"] = [c.base.version for c in self.comparisons]
        return data


def spec_check(*, api: Api, document: str | bytes) -> SpecCheckResult:
    """Diff ``document`` against the latest supported version of ``api`` that has a spec, like
    ``oasdiff breaking`` in CI — or, when the API's policy (the one a version published now
    would follow) compares against all supported versions, against every supported version with
    a spec, each separately: the same set a publish would be checked against. Writes nothing. Raises DomainError (400) for a bad
    document."""
    parsed = spec_load(text=document)
    latest = spec_latest_version(api=api)
    if latest is None:
        return SpecCheckResult(comparisons=[])
    policy = _policy(latest)
    # Which versions: what a version published now would freeze (the API's live policy).
    compare_against = _live_policy(api).compare_against
    all_supported = compare_against == COMPARE_ALL_SUPPORTED
    bases = spec_check_versions(api=api, compare_against=compare_against)
    comparisons = [
        SpecComparison(
            base=base,
            findings=diff(base.spec_record.document, parsed, options=_options(base, policy)),
        )
        for base in bases
    ]
    return SpecCheckResult(comparisons=comparisons, all_supported=all_supported)
