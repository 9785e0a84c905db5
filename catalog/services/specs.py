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
    spec_impacted_consumers,
    spec_latest_version,
    spec_previous_version,
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


def _refusal(api_version: ApiVersion, base: ApiVersion, findings: list[Finding]) -> DomainError:
    errors = [f for f in findings if f.is_error]
    detail = (
        f"{len(errors)} breaking change(s) against {base.version}, but the major version did not "
        f"increase ({base.major} → {api_version.major}); the versioning policy requires a new major "
        f"version for breaking changes. Publish it as {base.major + 1}.0.0, or make the change compatible."
    )
    return DomainError(
        detail,
        kind="refused",
        rule="breaking-change-requires-major",
        errors={"spec": [f"[{f.id}] {f.method} {f.path}: {f.text}" for f in errors[:50]]},
        extra={
            "base_version": base.version,
            "summary": summary(findings),
            "findings": [f.to_dict() for f in findings],
        },
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
    into ApiOperation rows, diffs it against the previous supported version of the same API and:
    refuses (422, with the findings) when there are error-level findings, the version is beta or
    stable, the major did not increase and the policy requires a major bump; otherwise stores the
    findings and, when there are breaking (error) findings, records a ``breaking_version``
    ChangeEvent whose recipients are the owners of the consumers of the previous version that use
    an affected operation (or declared none), each with the findings that touch it.
    """
    text = document.decode("utf-8", "replace") if isinstance(document, bytes) else document
    parsed = spec_load(text=text)
    spec_format = (
        ApiVersion.SpecFormat.JSON if text.lstrip().startswith("{") else ApiVersion.SpecFormat.YAML
    )
    if api_version.spec_format != spec_format:
        api_version.spec_format = spec_format
        api_version.save(update_fields=["spec_format", "updated_at"])

    base = spec_previous_version(api_version=api_version)
    findings: list[Finding] = []
    if base is not None:
        policy = _policy(api_version)
        findings = diff(base.spec_record.document, parsed, options=_options(api_version, policy))
        if _must_refuse(api_version, base, findings, policy):
            raise _refusal(api_version, base, findings)

    counts = summary(findings)
    spec, _ = ApiSpec.objects.update_or_create(
        api_version=api_version,
        defaults={
            "document": parsed,
            "openapi_version": str(parsed.get("openapi", ""))[:20],
            "digest": hashlib.sha256(text.encode("utf-8")).hexdigest(),
            "size_bytes": len(text.encode("utf-8")),
            "compared_to": base,
            "findings": [f.to_dict() for f in findings],
            "error_count": counts["error"],
            "warning_count": counts["warning"],
            "info_count": counts["info"],
        },
    )
    _operations_sync(api_version, parsed)
    if base is not None and has_errors(findings):
        _notify_breaking(
            api_version=api_version, base=base, spec=spec, findings=findings, actor=actor
        )
    return spec


def _version_url(api_version: ApiVersion) -> str:
    try:
        return reverse("catalog:apiversion-detail", args=[api_version.pk])
    except NoReverseMatch:
        return ""


def _notify_breaking(
    *, api_version: ApiVersion, base: ApiVersion, spec: ApiSpec, findings: list[Finding], actor
) -> None:
    from portal.notifications.services import Recipient, event_record

    relevant = [f for f in findings if f.level != "info"]
    impacts = spec_impacted_consumers(base_version=base, findings=relevant)
    by_team: dict[int, dict] = {}
    for impact in impacts:
        consumer = impact.dependency.consumer
        entry = by_team.setdefault(consumer.owner_id, {"consumers": []})
        entry["consumers"].append(
            {
                "service": consumer.slug,
                "dependency_id": impact.dependency.pk,
                "findings": [f.to_dict() for f in impact.findings],
            }
        )
    api = api_version.api
    provider = api.provider
    recipients = [
        Recipient(
            team_id=team_id,
            relation="direct",
            path=[entry["consumers"][0]["service"], provider.slug],
            detail={
                "api": api.slug,
                "version": api_version.version,
                "base_version": base.version,
                **entry,
            },
        )
        for team_id, entry in sorted(by_team.items())
    ]
    errors = [f for f in findings if f.is_error]
    body_lines = [
        f"{api.name} {api_version.version} has {len(errors)} breaking change(s) against {base.version}:"
    ]
    body_lines += [f"- [{f.id}] {f.method} {f.path}: {f.text}" for f in errors[:50]]
    event_record(
        kind="breaking_version",
        dedupe_key=f"breaking_version:{api_version.pk}:{spec.digest[:16]}",
        title=f"{api.name} {api_version.version}: {len(errors)} breaking change(s) against {base.version}",
        body="\n".join(body_lines),
        url=_version_url(api_version),
        payload={
            "api": api.slug,
            "api_version_id": api_version.pk,
            "version": api_version.version,
            "base_version": base.version,
            "summary": summary(findings),
        },
        recipients=recipients,
        actor=actor,
    )


@dataclass
class SpecCheckResult:
    base_version: ApiVersion | None
    findings: list[Finding]

    @property
    def breaking(self) -> bool:
        return has_errors(self.findings)

    def as_dict(self) -> dict:
        return {
            "base_version": self.base_version.version if self.base_version else None,
            "breaking": self.breaking,
            "summary": summary(self.findings),
            "findings": [f.to_dict() for f in self.findings],
        }


def spec_check(*, api: Api, document: str | bytes) -> SpecCheckResult:
    """Diff ``document`` against the latest supported version of ``api`` that has a spec, like
    ``oasdiff breaking`` in CI. Writes nothing. Raises DomainError (400) for a bad document."""
    parsed = spec_load(text=document)
    base = spec_latest_version(api=api)
    if base is None:
        return SpecCheckResult(base_version=None, findings=[])
    policy = _policy(base)
    findings = diff(base.spec_record.document, parsed, options=_options(base, policy))
    return SpecCheckResult(base_version=base, findings=findings)
