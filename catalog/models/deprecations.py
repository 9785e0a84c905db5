"""The deprecation workflow: a deprecation of a version (or some of its operations), its audit
trail, and one migration per affected consumer with its own audit trail.

State machines (enforced by catalog.services.deprecations; the database holds what it can):

    Deprecation:       draft → announced → retired
                       announced ⇄ sunset_blocked
                       announced / sunset_blocked → pending_approval → announced (earlier sunset)
                       cancelled from any non-terminal state
    ConsumerMigration: pending → notified → acknowledged → migrating → migrated,
                       plus exempted and objected
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse

from .catalog import ApiOperation, ApiVersion, Service


def _user_link(**options) -> models.ForeignKey:
    """A link to the user who did something; emptied, not deleted, when the user goes."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        **options,
    )


class StateTransition(models.Model):
    """Audit: one row per state change of a subject, with who, when and why. A concrete
    transition adds the link to its subject and `from_state` / `to_state` as wide as the
    subject's `state` (an empty `from_state`: the row records the subject's first state)."""

    action = models.CharField(max_length=30)
    actor = _user_link()
    note = models.TextField(blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.from_state or '—'} → {self.to_state}"


class Deprecation(models.Model):
    class Scope(models.TextChoices):
        VERSION = "version", "Whole version"
        OPERATIONS = "operations", "Single operations"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        ANNOUNCED = "announced", "Announced"
        PENDING_APPROVAL = "pending_approval", "Earlier sunset awaiting approval"
        SUNSET_BLOCKED = "sunset_blocked", "Sunset reached, blocked"
        RETIRED = "retired", "Retired"
        CANCELLED = "cancelled", "Cancelled"

    TERMINAL_STATES = frozenset({State.RETIRED, State.CANCELLED})
    # States in which the deprecation is public and consumers are migrating.
    LIVE_STATES = frozenset({State.ANNOUNCED, State.PENDING_APPROVAL, State.SUNSET_BLOCKED})

    api_version = models.ForeignKey(
        ApiVersion, on_delete=models.CASCADE, related_name="deprecations"
    )
    scope = models.CharField(max_length=12, choices=Scope.choices, default=Scope.VERSION)
    operations = models.ManyToManyField(
        ApiOperation,
        related_name="deprecations",
        blank=True,
        help_text="For an operation-scoped deprecation: the deprecated operations.",
    )
    reason = models.TextField(help_text="Why; Markdown, rendered sanitised.")
    replacement_version = models.ForeignKey(
        ApiVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacing_deprecations",
    )
    replacement_operation = models.ForeignKey(
        ApiOperation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="replacing_deprecations",
    )
    migration_guide_url = models.URLField(max_length=500, blank=True)
    deprecation_date = models.DateField(
        null=True, blank=True, help_text="When the deprecation takes effect; today if empty."
    )
    sunset_date = models.DateField()
    proposed_sunset_date = models.DateField(
        null=True, blank=True, help_text="An earlier sunset waiting for staff approval."
    )
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    created_by = _user_link()
    published_by = _user_link()
    announced_at = models.DateTimeField(null=True, blank=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(
        blank=True, help_text="Staff override recorded when retiring with open blockers."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sunset_date", "id"]
        verbose_name = "deprecation"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "draft",
                        "announced",
                        "pending_approval",
                        "sunset_blocked",
                        "retired",
                        "cancelled",
                    ]
                ),
                name="catalog_deprecation_state_valid",
            ),
            models.CheckConstraint(
                condition=Q(scope__in=["version", "operations"]),
                name="catalog_deprecation_scope_valid",
            ),
            models.CheckConstraint(
                condition=Q(deprecation_date__isnull=True)
                | Q(deprecation_date__lte=F("sunset_date")),
                name="catalog_deprecation_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(state="pending_approval", proposed_sunset_date__isnull=False)
                | (~Q(state="pending_approval") & Q(proposed_sunset_date__isnull=True)),
                name="catalog_deprecation_proposal_iff_pending",
            ),
            models.CheckConstraint(
                condition=Q(state="draft") | Q(announced_at__isnull=False) | Q(state="cancelled"),
                name="catalog_deprecation_announced_at_set",
            ),
            models.CheckConstraint(
                condition=~Q(state="retired") | Q(retired_at__isnull=False),
                name="catalog_deprecation_retired_at_set",
            ),
            models.CheckConstraint(
                condition=~Q(replacement_version=F("api_version")),
                name="catalog_deprecation_replacement_not_self",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "sunset_date"], name="catalog_depr_state_sunset_idx"),
            models.Index(fields=["api_version", "state"], name="catalog_depr_version_state_idx"),
            models.Index(fields=["sunset_date", "id"], name="catalog_depr_sunset_idx"),
        ]

    def __str__(self) -> str:
        what = "operations of " if self.scope == self.Scope.OPERATIONS else ""
        return f"Deprecation of {what}{self.api_version} (sunset {self.sunset_date})"

    def get_absolute_url(self) -> str:
        return reverse("catalog:deprecation-detail", args=[self.pk])

    @property
    def is_terminal(self) -> bool:
        return self.state in self.TERMINAL_STATES


class DeprecationTransition(StateTransition):
    """Audit: one row per state change of a deprecation, with who and when."""

    deprecation = models.ForeignKey(
        Deprecation, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    actor = _user_link(help_text="Empty when the daily clock acted.")
    data = models.JSONField(default=dict, blank=True)

    class Meta(StateTransition.Meta):
        verbose_name = "deprecation transition"
        indexes = [models.Index(fields=["deprecation", "at"], name="catalog_deprtr_depr_idx")]


class ConsumerMigration(models.Model):
    """One consumer service's way off a deprecated version (or operations)."""

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        NOTIFIED = "notified", "Notified"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        MIGRATING = "migrating", "Migrating"
        MIGRATED = "migrated", "Migrated"
        EXEMPTED = "exempted", "Exempted"
        OBJECTED = "objected", "Objected"

    DONE_STATES = frozenset({State.MIGRATED, State.EXEMPTED})
    BOARD_ORDER = [
        State.PENDING,
        State.NOTIFIED,
        State.ACKNOWLEDGED,
        State.MIGRATING,
        State.OBJECTED,
        State.MIGRATED,
        State.EXEMPTED,
    ]

    deprecation = models.ForeignKey(
        Deprecation, on_delete=models.CASCADE, related_name="migrations"
    )
    consumer = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="migrations")
    dependency = models.ForeignKey(
        "catalog.Dependency",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="migrations",
    )
    state = models.CharField(max_length=15, choices=State.choices, default=State.PENDING)
    reason = models.TextField(blank=True, help_text="Why exempted or objected.")
    notified_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = _user_link()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    migrated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deprecation", "consumer"]
        verbose_name = "consumer migration"
        constraints = [
            models.UniqueConstraint(
                fields=["deprecation", "consumer"], name="catalog_migration_one_per_consumer"
            ),
            models.CheckConstraint(
                condition=Q(
                    state__in=[
                        "pending",
                        "notified",
                        "acknowledged",
                        "migrating",
                        "migrated",
                        "exempted",
                        "objected",
                    ]
                ),
                name="catalog_migration_state_valid",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["exempted", "objected"]) | ~Q(reason=""),
                name="catalog_migration_reason_required",
            ),
            models.CheckConstraint(
                condition=~Q(state="migrated") | Q(migrated_at__isnull=False),
                name="catalog_migration_migrated_at_set",
            ),
        ]
        indexes = [
            models.Index(fields=["deprecation", "state"], name="catalog_migr_depr_state_idx"),
            models.Index(fields=["consumer", "state"], name="catalog_migr_consumer_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} off {self.deprecation.api_version} ({self.state})"

    @property
    def is_done(self) -> bool:
        return self.state in self.DONE_STATES


class MigrationTransition(StateTransition):
    """Audit: one row per state change of a consumer migration."""

    migration = models.ForeignKey(
        ConsumerMigration, on_delete=models.CASCADE, related_name="transitions"
    )
    from_state = models.CharField(max_length=15, blank=True)
    to_state = models.CharField(max_length=15)

    class Meta(StateTransition.Meta):
        verbose_name = "migration transition"
        indexes = [models.Index(fields=["migration", "at"], name="catalog_migrtr_migr_idx")]
