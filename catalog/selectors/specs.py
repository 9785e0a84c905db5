"""Reads of the spec registry: the versions a spec is compared with, operations, findings."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from django.db.models import Prefetch, QuerySet

from catalog.models import Api, ApiSpec, ApiVersion, Dependency
from catalog.openapi import Finding, normalise_path
from catalog.openapi.findings import summary
from catalog.openapi.views import OperationView, operations_view


def _version_key(version: ApiVersion) -> tuple:
    # A release sorts after its pre-releases (SemVer §11): "" ranks above any pre-release tag.
    return (
        version.major,
        version.minor,
        version.patch,
        version.prerelease == "",
        version.prerelease,
    )


def _supported_with_spec(api: Api) -> QuerySet[ApiVersion]:
    return (
        ApiVersion.objects.filter(api=api, spec_record__isnull=False)
        .exclude(status=ApiVersion.Status.RETIRED)
        .select_related("api")
    )


def spec_previous_version(*, api_version: ApiVersion) -> ApiVersion | None:
    """The highest supported (not retired) version of the same API, lower than ``api_version``,
    that has a spec. It is what a new version is checked against."""
    key = _version_key(api_version)
    candidates = [
        v
        for v in _supported_with_spec(api_version.api).exclude(pk=api_version.pk)
        if _version_key(v) < key
    ]
    return max(candidates, key=_version_key, default=None)


def spec_latest_version(*, api: Api) -> ApiVersion | None:
    """The highest supported version of ``api`` that has a spec (what CI checks against)."""
    return max(_supported_with_spec(api), key=_version_key, default=None)


COMPARE_ALL_SUPPORTED = "all_supported"


def spec_base_versions(*, api_version: ApiVersion, compare_against: str) -> list[ApiVersion]:
    """The versions a new spec of ``api_version`` is diffed against, lowest first.

    ``previous`` (a policy's default): the previous supported version only (none or one).
    ``all_supported``: every supported (not retired) version of the same API lower than
    ``api_version`` that has a spec — higher versions are never bases, so a backport to an older
    line is not compared with the newer lines it never had. One query."""
    if compare_against != COMPARE_ALL_SUPPORTED:
        previous = spec_previous_version(api_version=api_version)
        return [previous] if previous is not None else []
    key = _version_key(api_version)
    return sorted(
        (
            v
            for v in _supported_with_spec(api_version.api).exclude(pk=api_version.pk)
            if _version_key(v) < key
        ),
        key=_version_key,
    )


def spec_check_versions(*, api: Api, compare_against: str) -> list[ApiVersion]:
    """The versions a candidate document is checked against in CI, lowest first: the latest
    supported version with a spec (``previous``), or every supported version with a spec
    (``all_supported``)."""
    if compare_against != COMPARE_ALL_SUPPORTED:
        latest = spec_latest_version(api=api)
        return [latest] if latest is not None else []
    return sorted(_supported_with_spec(api), key=_version_key)


def spec_for_version(*, api_version: ApiVersion) -> ApiSpec | None:
    return ApiSpec.objects.filter(api_version=api_version).select_related("compared_to").first()


def spec_findings(*, spec: ApiSpec | None) -> list[Finding]:
    return [Finding.from_dict(f) for f in (spec.findings if spec else [])]


def spec_compared_versions(*, spec: ApiSpec | None) -> list[str]:
    """The version strings ``spec`` was compared with, lowest first (specs stored before
    ``compared_with`` existed fall back to ``compared_to``)."""
    if spec is None:
        return []
    if spec.compared_with:
        return [entry["version"] for entry in spec.compared_with]
    return [spec.compared_to.version] if spec.compared_to_id else []


def spec_findings_by_base(*, spec: ApiSpec | None) -> list[tuple[str, Finding]]:
    """Each stored finding with the version it is against: its own ``base_version`` when the
    spec was compared with several versions, else the one version it was compared with (still
    named when that version has since been deleted: ``compared_with`` keeps its string)."""
    if spec is None:
        return []
    compared = spec_compared_versions(spec=spec)
    default = compared[-1] if compared else ""
    return [(f.get("base_version") or default, Finding.from_dict(f)) for f in spec.findings]


def spec_finding_dicts(*, spec: ApiSpec | None) -> list[dict]:
    """The stored findings as the API returns them: the engine's fields, in its order, each with
    ``base_version`` — the version it is against, whatever the policy's ``compare_against``."""
    return [
        {**finding.to_dict(), "base_version": base}
        for base, finding in spec_findings_by_base(spec=spec)
    ]


@dataclass
class ConsumerImpact:
    """The findings of a publish that touch one consumer (a Dependency on the base version)."""

    dependency: Dependency
    findings: list[Finding] = field(default_factory=list)


def spec_impacted_consumers(
    *, base_version: ApiVersion, findings: list[Finding]
) -> list[ConsumerImpact]:
    """Consumers of ``base_version`` touched by ``findings``: those whose dependency names an
    operation a finding is about, and those that declared no operations (they may use any).
    Document-level findings (no operation) touch every consumer. Two queries, whatever the size."""
    by_operation: dict[tuple[str, str], list[Finding]] = {}
    everywhere: list[Finding] = []
    for finding in findings:
        if finding.method:
            by_operation.setdefault(
                (finding.method.upper(), normalise_path(finding.path)), []
            ).append(finding)
        else:
            everywhere.append(finding)
    dependencies = (
        Dependency.objects.filter(api_version=base_version)
        .select_related("consumer", "consumer__owner")
        .prefetch_related(Prefetch("operations"))
        .order_by("consumer__slug", "pk")
    )
    impacts = []
    for dependency in dependencies:
        operations = list(dependency.operations.all())
        if operations:
            touched = list(everywhere)
            for op in operations:
                touched += by_operation.get((op.method.upper(), normalise_path(op.path)), [])
        else:
            touched = list(findings)
        if touched:
            impacts.append(
                ConsumerImpact(
                    dependency=dependency, findings=sorted(touched, key=Finding.sort_key)
                )
            )
    return impacts


@dataclass
class SpecPanel:
    """What the version page shows: operations grouped by tag and the changelog.

    ``compared_with`` lists the versions the findings are against (several when the policy
    compares with every supported version); ``rows`` pairs each finding with its base version."""

    spec: ApiSpec | None
    groups: OrderedDict[str, list[OperationView]]
    findings: list[Finding]
    counts: dict[str, int]
    compared_with: list[str] = field(default_factory=list)
    rows: list[tuple[str, Finding]] = field(default_factory=list)

    @property
    def several_bases(self) -> bool:
        return len(self.compared_with) > 1


def spec_panel(*, api_version: ApiVersion) -> SpecPanel:
    spec = spec_for_version(api_version=api_version)
    if spec is None:
        return SpecPanel(spec=None, groups=OrderedDict(), findings=[], counts=summary([]))
    rows = spec_findings_by_base(spec=spec)
    findings = [finding for _, finding in rows]
    return SpecPanel(
        spec=spec,
        groups=operations_view(spec.document),
        findings=findings,
        counts=summary(findings),
        compared_with=spec_compared_versions(spec=spec),
        rows=rows,
    )
