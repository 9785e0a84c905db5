"""Reads of SLAs and versioning policies."""

from __future__ import annotations

from dataclasses import dataclass, field

from slas.models import VersioningPolicy

BUILTIN_POLICY = VersioningPolicy(name="Built-in default")


@dataclass(frozen=True)
class EffectivePolicy:
    """The policy that governs one API version, as plain values.

    ``source`` says where it came from: ``snapshot`` (frozen on the version), ``api`` (the API's own
    policy), ``default`` (the default policy) or ``builtin`` (no policy configured at all).
    """

    source: str
    name: str
    scheme: str
    min_notice_days: dict[str, int]
    max_supported_majors: int
    breaking_requires_major: bool
    migration_guide_required: bool
    successor_required: bool
    consent_mode: str
    reminder_offsets: list[int] = field(default_factory=list)
    policy_id: int | None = None

    def notice_days(self, stability: str) -> int:
        return int(self.min_notice_days.get(stability, 0))

    @classmethod
    def from_snapshot(cls, snapshot: dict, *, source: str) -> EffectivePolicy:
        return cls(
            source=source,
            name=snapshot["name"],
            scheme=snapshot["scheme"],
            min_notice_days=dict(snapshot["min_notice_days"]),
            max_supported_majors=int(snapshot["max_supported_majors"]),
            breaking_requires_major=bool(snapshot["breaking_requires_major"]),
            migration_guide_required=bool(snapshot["migration_guide_required"]),
            successor_required=bool(snapshot["successor_required"]),
            consent_mode=snapshot["consent_mode"],
            reminder_offsets=[int(d) for d in snapshot.get("reminder_offsets") or []],
            policy_id=snapshot.get("policy_id"),
        )


def policy_default() -> VersioningPolicy | None:
    return VersioningPolicy.objects.filter(is_default=True).first()


def policy_for_api(*, api) -> tuple[VersioningPolicy, str]:
    """The live policy of an API: its own, else the default, else the built-in defaults."""
    if api.policy_id:
        return api.policy, "api"
    default = policy_default()
    if default is not None:
        return default, "default"
    return BUILTIN_POLICY, "builtin"


def policy_effective(*, api_version) -> EffectivePolicy:
    """The policy governing ``api_version``.

    A snapshot frozen on the version (when it became beta or stable) wins, so later policy edits
    never shorten a promise already made.
    """
    if api_version.policy_snapshot:
        return EffectivePolicy.from_snapshot(api_version.policy_snapshot, source="snapshot")
    policy, source = policy_for_api(api=api_version.api)
    return EffectivePolicy.from_snapshot(policy.as_snapshot(), source=source)
