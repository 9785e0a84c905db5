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
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="notif_due_idx"),
            models.Index(fields=["recipient", "channel", "read_at"], name="notif_inbox_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient} ({self.channel})"
