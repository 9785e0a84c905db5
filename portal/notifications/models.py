"""The outbox: change events and the notifications planned from them.

A leaf app: it never imports catalog or slas. Recipients are rows of
``settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL`` (teams), referred to by name only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeEvent(models.Model):
    """Something that can hurt a consumer happened. Written in the same transaction as the change."""

    class Kind(models.TextChoices):
        DEPRECATION_ANNOUNCED = "deprecation_announced", "Deprecation announced"
        DEPRECATION_RESCHEDULED = "deprecation_rescheduled", "Deprecation rescheduled"
        DEPRECATION_CANCELLED = "deprecation_cancelled", "Deprecation cancelled"
        SUNSET_REMINDER = "sunset_reminder", "Sunset reminder"
        SUNSET_BLOCKED = "sunset_blocked", "Sunset reached with blockers"
        SUNSET_READY = "sunset_ready", "Sunset reached, ready to retire"
        VERSION_RETIRED = "version_retired", "Version retired"
        MIGRATION_OBJECTED = "migration_objected", "Consumer objected"
        BREAKING_VERSION = "breaking_version", "New version with breaking changes"
        SLA_WEAKENED = "sla_weakened", "SLA weakened"
        SLA_STRENGTHENED = "sla_strengthened", "SLA strengthened"
        ESCALATION_CHANGED = "escalation_changed", "Escalation path changed"
        FEEDBACK_PROMPT = "feedback_prompt", "Rate an integration"
        OTHER = "other", "Other"

    kind = models.CharField(max_length=40, choices=Kind.choices)
    dedupe_key = models.CharField(max_length=255, unique=True)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "change event"

    def __str__(self) -> str:
        return self.title


class Notification(models.Model):
    """One notice of one event to one recipient team on one channel. Never two for the same thing."""

    class Channel(models.TextChoices):
        INBOX = "inbox", "In-app inbox"
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat webhook"
        WEBHOOK = "webhook", "Signed webhook"

    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (will retry)"
        DEAD = "dead", "Dead"
        SKIPPED = "skipped", "Skipped"

    class Relation(models.TextChoices):
        OWNER = "owner", "Owner"
        DIRECT = "direct", "Direct consumer"
        TRANSITIVE = "transitive", "Transitive consumer"

    event = models.ForeignKey(ChangeEvent, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    relation = models.CharField(max_length=12, choices=Relation.choices, default=Relation.DIRECT)
    path = models.JSONField(default=list, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    digest = models.BooleanField(
        default=False, help_text="Bundled into the team's daily digest instead of sent alone."
    )
    delivered_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "notification"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event", "channel"], name="notifications_one_per_channel"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="delivered") | models.Q(delivered_at__isnull=False),
                name="notifications_delivered_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notif_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notif_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.channel})"

    @property
    def message_id(self) -> str:
        """The ``webhook-id``: stable across retries of this notification."""
        return f"msg_{self.pk}"


class DeliveryMode(models.TextChoices):
    IMMEDIATE = "immediate", "Immediately"
    DIGEST = "digest", "Daily digest"


class RecipientPreference(models.Model):
    """A team's delivery preferences. Absent row = immediate delivery, transitive notices on."""

    recipient = models.OneToOneField(
        settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preference",
    )
    delivery_mode = models.CharField(
        max_length=10, choices=DeliveryMode.choices, default=DeliveryMode.IMMEDIATE
    )
    digest_hour = models.PositiveSmallIntegerField(
        default=8, help_text="Hour of the day (UTC) the daily digest is sent."
    )
    transitive_notices = models.BooleanField(
        default=True, help_text="Receive informational notices as a transitive consumer."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recipient"]
        verbose_name = "notification preference"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(digest_hour__lte=23), name="notifications_pref_digest_hour"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.get_delivery_mode_display()}"


class NotificationEndpoint(models.Model):
    """Where a team receives one channel: e-mail addresses, a chat webhook or a signed webhook.

    One endpoint per (team, channel). The webhook secret (``whsec_…``) is generated by the
    service and shown once; it is never returned by the API afterwards.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat webhook"
        WEBHOOK = "webhook", "Signed webhook"

    recipient = models.ForeignKey(
        settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_endpoints",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.TextField(
        help_text="Comma-separated e-mail addresses, or the https:// URL of the webhook."
    )
    secret = models.CharField(max_length=120, blank=True)
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["recipient", "channel"]
        verbose_name = "notification endpoint"
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "channel"], name="notifications_endpoint_one_per_channel"
            ),
        ]
        indexes = [
            models.Index(fields=["recipient", "enabled"], name="notif_endpoint_enabled_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} · {self.get_channel_display()}"


class WebhookAllowedHost(models.Model):
    """A host an admin allows outbound webhooks to reach although it resolves to an internal address."""

    host = models.CharField(max_length=253, unique=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["host"]
        verbose_name = "webhook allowed host"

    def __str__(self) -> str:
        return self.host
