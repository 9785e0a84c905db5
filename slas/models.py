"""SLAs and versioning policies: what consumers may rely on."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


def default_reminder_offsets() -> list[int]:
    return [90, 30, 14, 7, 1]


class VersioningPolicy(models.Model):
    """How an API versions and how much notice its consumers get before a sunset."""

    class Scheme(models.TextChoices):
        SEMVER = "semver", "Semantic versioning (MAJOR.MINOR.PATCH)"
        CALVER = "calver", "Calendar versioning (YYYY-MM-DD)"
        MAJOR = "major", "Major only (v1, v2, …)"

    class ConsentMode(models.TextChoices):
        ALL_CONSUMERS = "all_consumers", "All consumers migrated or exempted"
        NOTICE_ONLY = "notice_only", "Notice only"

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
    scheme = models.CharField(max_length=10, choices=Scheme.choices, default=Scheme.SEMVER)
    min_notice_days_draft = models.PositiveIntegerField(default=0)
    min_notice_days_alpha = models.PositiveIntegerField(default=0)
    min_notice_days_beta = models.PositiveIntegerField(default=90)
    min_notice_days_stable = models.PositiveIntegerField(default=180)
    max_supported_majors = models.PositiveSmallIntegerField(default=2)
    breaking_requires_major = models.BooleanField(default=True)
    migration_guide_required = models.BooleanField(default=True)
    successor_required = models.BooleanField(
        default=True, help_text="A stable version needs a successor at least as stable."
    )
    consent_mode = models.CharField(
        max_length=20, choices=ConsentMode.choices, default=ConsentMode.ALL_CONSUMERS
    )
    reminder_offsets = models.JSONField(
        default=default_reminder_offsets, help_text="Days before sunset, e.g. [90, 30, 14, 7, 1]."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "versioning policy"
        verbose_name_plural = "versioning policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="slas_versioningpolicy_one_default",
            ),
            models.CheckConstraint(
                condition=Q(max_supported_majors__gte=1),
                name="slas_versioningpolicy_max_majors_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def min_notice_days(self, stability: str) -> int:
        return int(getattr(self, f"min_notice_days_{stability}", 0))

    def as_snapshot(self) -> dict:
        """The policy's promises as plain data, frozen onto a version that becomes beta or stable."""
        return {
            "policy_id": self.pk,
            "name": self.name,
            "scheme": self.scheme,
            "min_notice_days": {
                s: self.min_notice_days(s) for s in ("draft", "alpha", "beta", "stable")
            },
            "max_supported_majors": self.max_supported_majors,
            "breaking_requires_major": self.breaking_requires_major,
            "migration_guide_required": self.migration_guide_required,
            "successor_required": self.successor_required,
            "consent_mode": self.consent_mode,
            "reminder_offsets": list(self.reminder_offsets or []),
        }
