"""SLAs and versioning policies: what consumers may rely on."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


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

    class CompareAgainst(models.TextChoices):
        PREVIOUS = "previous", "The previous supported version"
        ALL_SUPPORTED = "all_supported", "Every supported version"

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
    compare_against = models.CharField(
        max_length=20,
        choices=CompareAgainst.choices,
        default=CompareAgainst.PREVIOUS,
        help_text=(
            "Which versions a new spec is diffed against: the previous supported version only, "
            "or every supported (not retired) lower version, so consumers pinned to an older "
            "major are told and protected too."
        ),
    )
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
            "compare_against": self.compare_against,
            "migration_guide_required": self.migration_guide_required,
            "successor_required": self.successor_required,
            "consent_mode": self.consent_mode,
            "reminder_offsets": list(self.reminder_offsets or []),
        }


# --- SLAs -----------------------------------------------------------------------------------


class Tier(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    STANDARD = "standard", "Standard"
    BEST_EFFORT = "best_effort", "Best effort"
    CUSTOM = "custom", "Custom"


class Severity(models.TextChoices):
    P1 = "P1", "P1 (critical)"
    P2 = "P2", "P2 (major)"
    P3 = "P3", "P3 (minor)"
    P4 = "P4", "P4 (cosmetic)"


def _one_subject() -> Q:
    return Q(service__isnull=False, api__isnull=True) | Q(service__isnull=True, api__isnull=False)


class Sla(models.Model):
    """One revision of the service-level agreement of a Service or an Api.

    Changing an SLA writes a new revision; exactly one revision is active per subject and older
    ones are kept read-only with who changed them and when.
    """

    class WindowKind(models.TextChoices):
        ROLLING = "rolling", "Rolling window"
        CALENDAR_MONTH = "calendar_month", "Calendar month"

    class SupportHours(models.TextChoices):
        ALWAYS = "24x7", "24x7"
        BUSINESS = "business", "Business hours"

    class Change(models.TextChoices):
        CREATED = "created", "Created"
        WEAKENED = "weakened", "Weakened"
        STRENGTHENED = "strengthened", "Strengthened"
        MIXED = "mixed", "Weakened and strengthened"
        UNCHANGED = "unchanged", "No change to the promise"

    service = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, null=True, blank=True, related_name="slas"
    )
    api = models.ForeignKey(
        "catalog.Api", on_delete=models.CASCADE, null=True, blank=True, related_name="slas"
    )
    revision = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    tier = models.CharField(max_length=12, choices=Tier.choices, default=Tier.CUSTOM)
    owner_team = models.ForeignKey(
        "catalog.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="slas",
        help_text="Who answers for this SLA; defaults to the owner of the covered service.",
    )
    availability_target = models.DecimalField(
        max_digits=6, decimal_places=3, help_text="Percent, e.g. 99.95 (0 < x < 100)."
    )
    latency_p95_ms = models.PositiveIntegerField("latency p95 (ms)", null=True, blank=True)
    latency_p99_ms = models.PositiveIntegerField("latency p99 (ms)", null=True, blank=True)
    window_kind = models.CharField(
        max_length=16, choices=WindowKind.choices, default=WindowKind.ROLLING
    )
    window_days = models.PositiveSmallIntegerField(default=28)
    support_hours = models.CharField(
        max_length=10, choices=SupportHours.choices, default=SupportHours.ALWAYS
    )
    business_days = models.JSONField(
        default=list, blank=True, help_text="ISO weekdays 1 (Monday) … 7 (Sunday)."
    )
    business_start = models.TimeField(null=True, blank=True)
    business_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", help_text="IANA time zone.")
    rto_minutes = models.PositiveIntegerField("RTO (minutes)", null=True, blank=True)
    rpo_minutes = models.PositiveIntegerField("RPO (minutes)", null=True, blank=True)
    notes = models.TextField(blank=True)
    # History and compliance (written by services only).
    change = models.CharField(max_length=12, choices=Change.choices, default=Change.CREATED)
    change_summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    superseded_at = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attained_availability = models.DecimalField(
        max_digits=9, decimal_places=5, null=True, blank=True
    )
    budget_remaining = models.DecimalField(
        "error budget remaining (fraction)", max_digits=12, decimal_places=5, null=True, blank=True
    )
    is_breached = models.BooleanField("breached", default=False)
    compliance_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "SLA"
        verbose_name_plural = "SLAs"
        constraints = [
            models.CheckConstraint(condition=_one_subject(), name="slas_sla_one_subject"),
            models.UniqueConstraint(
                fields=["service"],
                condition=Q(is_active=True, service__isnull=False),
                name="slas_sla_one_active_per_service",
                violation_error_message="This service already has an active SLA; change that one.",
            ),
            models.UniqueConstraint(
                fields=["api"],
                condition=Q(is_active=True, api__isnull=False),
                name="slas_sla_one_active_per_api",
                violation_error_message="This API already has an active SLA; change that one.",
            ),
            models.UniqueConstraint(
                fields=["service", "revision"], name="slas_sla_service_revision_unique"
            ),
            models.UniqueConstraint(
                fields=["api", "revision"], name="slas_sla_api_revision_unique"
            ),
            models.CheckConstraint(
                condition=Q(availability_target__gt=0) & Q(availability_target__lt=100),
                name="slas_sla_availability_range",
                violation_error_message="Availability must be more than 0 and less than 100 percent.",
            ),
            models.CheckConstraint(
                condition=Q(latency_p95_ms__isnull=True)
                | Q(latency_p99_ms__isnull=True)
                | Q(latency_p99_ms__gte=F("latency_p95_ms")),
                name="slas_sla_p99_gte_p95",
                violation_error_message="Latency p99 must be at least latency p95.",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=1) & Q(window_days__lte=366),
                name="slas_sla_window_days_range",
            ),
            models.CheckConstraint(
                condition=Q(support_hours="24x7")
                | Q(
                    business_start__isnull=False,
                    business_end__isnull=False,
                    business_end__gt=F("business_start"),
                ),
                name="slas_sla_business_hours_valid",
                violation_error_message="Business hours need a start and an end after the start.",
            ),
        ]
        indexes = [
            models.Index(fields=["is_active", "tier"], name="slas_sla_active_tier_idx"),
            models.Index(fields=["is_active", "is_breached"], name="slas_sla_active_breach_idx"),
        ]

    def __str__(self) -> str:
        return f"SLA of {self.subject} (rev. {self.revision})"

    def get_absolute_url(self) -> str:
        return reverse("slas:sla-detail", args=[self.pk])

    @property
    def subject(self):
        return self.service if self.service_id else self.api

    @property
    def subject_kind(self) -> str:
        return "service" if self.service_id else "api"


class SeverityTarget(models.Model):
    """Response and resolution times for one severity of one SLA revision."""

    sla = models.ForeignKey(Sla, on_delete=models.CASCADE, related_name="severity_targets")
    severity = models.CharField(max_length=2, choices=Severity.choices)
    response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["sla", "severity"]
        verbose_name = "response time"
        constraints = [
            models.UniqueConstraint(fields=["sla", "severity"], name="slas_severitytarget_unique"),
            models.CheckConstraint(
                condition=Q(resolution_minutes__isnull=True)
                | Q(resolution_minutes__gte=F("response_minutes")),
                name="slas_severitytarget_resolution_after_response",
                violation_error_message="The resolution time must not be shorter than the response time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.severity}: respond in {self.response_minutes} min"


class EscalationLevel(models.Model):
    """One step of an SLA's escalation path."""

    class ContactKind(models.TextChoices):
        TEAM = "team", "Team"
        EMAIL = "email", "Person (e-mail)"
        ONCALL = "oncall", "On-call handle or paging URL"

    class Condition(models.TextChoices):
        NOT_ACKNOWLEDGED = "not_acknowledged", "Not acknowledged"
        NOT_RESOLVED = "not_resolved", "Not resolved"

    sla = models.ForeignKey(Sla, on_delete=models.CASCADE, related_name="escalation_levels")
    position = models.PositiveSmallIntegerField()
    delay_minutes = models.PositiveIntegerField()
    contact_kind = models.CharField(max_length=10, choices=ContactKind.choices)
    contact_team = models.ForeignKey(
        "catalog.Team", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    contact_email = models.EmailField(blank=True)
    contact_handle = models.CharField(
        max_length=500,
        blank=True,
        help_text="On-call handle (e.g. @payments-oncall) or paging URL.",
    )
    condition = models.CharField(
        max_length=20, choices=Condition.choices, default=Condition.NOT_ACKNOWLEDGED
    )

    class Meta:
        ordering = ["sla", "position"]
        verbose_name = "escalation level"
        constraints = [
            models.UniqueConstraint(fields=["sla", "position"], name="slas_escalation_unique"),
            models.CheckConstraint(
                condition=(Q(contact_kind="team") & Q(contact_team__isnull=False))
                | (Q(contact_kind="email") & ~Q(contact_email=""))
                | (Q(contact_kind="oncall") & ~Q(contact_handle="")),
                name="slas_escalation_contact_present",
                violation_error_message=(
                    "Give the contact that matches the contact kind (a team, an e-mail or a handle)."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Level {self.position}: {self.contact} after {self.delay_minutes} min"

    @property
    def contact(self) -> str:
        if self.contact_kind == self.ContactKind.TEAM:
            return str(self.contact_team) if self.contact_team_id else ""
        if self.contact_kind == self.ContactKind.EMAIL:
            return self.contact_email
        return self.contact_handle


class SubjectRow(models.Model):
    """A row about one subject (a Service or an Api) rather than one SLA revision, so that it
    survives revisions. Reached back from the subject as ``sla_<model>s``."""

    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_%(class)ss",
    )
    api = models.ForeignKey(
        "catalog.Api",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sla_%(class)ss",
    )

    class Meta:
        abstract = True

    @property
    def subject(self):
        return self.service if self.service_id else self.api


class Measurement(SubjectRow):
    """Good and total events of a subject on one day, pushed by monitoring."""

    day = models.DateField()
    good = models.PositiveBigIntegerField()
    total = models.PositiveBigIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["day"]
        verbose_name = "measurement"
        permissions = [("push_measurements", "Can push SLA measurements and incidents")]
        constraints = [
            models.CheckConstraint(condition=_one_subject(), name="slas_measurement_one_subject"),
            models.CheckConstraint(
                condition=Q(good__lte=F("total")), name="slas_measurement_good_lte_total"
            ),
            models.UniqueConstraint(
                fields=["service", "day"],
                condition=Q(service__isnull=False),
                name="slas_measurement_service_day_unique",
            ),
            models.UniqueConstraint(
                fields=["api", "day"],
                condition=Q(api__isnull=False),
                name="slas_measurement_api_day_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.good}/{self.total}"


class Incident(SubjectRow):
    """An incident affecting a subject; its minutes count against the SLA unless excluded."""

    title = models.CharField(max_length=300)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    severity = models.CharField(max_length=2, choices=Severity.choices)
    impact = models.DecimalField(
        max_digits=4, decimal_places=3, default=1, help_text="Fraction of traffic affected, 0 to 1."
    )
    excluded = models.BooleanField("excluded from SLA", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = "incident"
        constraints = [
            models.CheckConstraint(condition=_one_subject(), name="slas_incident_one_subject"),
            models.CheckConstraint(
                condition=Q(ended_at__isnull=True) | Q(ended_at__gte=F("started_at")),
                name="slas_incident_end_after_start",
            ),
            models.CheckConstraint(
                condition=Q(impact__gt=0) & Q(impact__lte=1), name="slas_incident_impact_range"
            ),
        ]
        indexes = [
            models.Index(fields=["service", "started_at"], name="slas_incident_service_idx"),
            models.Index(fields=["api", "started_at"], name="slas_incident_api_idx"),
        ]

    def __str__(self) -> str:
        return self.title
