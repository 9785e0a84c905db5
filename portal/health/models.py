"""Developer feedback and the layered roadmap (metrics themselves are selectors, not copies)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q

QUARTER_RE = r"^[0-9]{4}-Q[1-4]$"
quarter_validator = RegexValidator(QUARTER_RE, "Use a quarter like 2025-Q3.")


class Feedback(models.Model):
    """The current rating a consuming team gives an API (one per team and API, editable).

    Every write also appends a FeedbackRevision, so the history (and the trend) is kept.
    """

    consumer_team = models.ForeignKey(
        "catalog.Team", on_delete=models.CASCADE, related_name="feedback_given"
    )
    api = models.ForeignKey("catalog.Api", on_delete=models.CASCADE, related_name="feedback")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden = models.BooleanField(
        default=False, help_text="Hidden by a moderator: kept, but left out of lists and metrics."
    )
    moderation_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = "feedback"
        verbose_name_plural = "feedback"
        constraints = [
            models.UniqueConstraint(
                fields=["consumer_team", "api"], name="health_feedback_one_per_team_api"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="health_feedback_rating_range"
            ),
        ]
        indexes = [
            models.Index(fields=["api", "hidden"], name="health_feedback_api_idx"),
            models.Index(fields=["updated_at"], name="health_feedback_updated_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer_team} rates {self.api}: {self.rating}/5"


class FeedbackRevision(models.Model):
    """One rating as it was given (history of a Feedback; feeds the trend)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="revisions")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "feedback revision"
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="health_feedbackrevision_rating_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id}: {self.rating}/5 at {self.created_at:%Y-%m-%d}"


class RoadmapItem(models.Model):
    """A planned platform capability in one layer, targeted at a quarter, with prerequisites."""

    class Layer(models.TextChoices):
        BASE = "base", "Base infrastructure"
        CORE = "core", "Core service"
        ENABLING = "enabling", "Enabling capability"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        SHIPPED = "shipped", "Shipped"
        SLIPPED = "slipped", "Slipped"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, help_text="Markdown; rendered sanitised.")
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.CORE)
    service = models.ForeignKey(
        "catalog.Service",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_items",
        help_text="The service that provides it (optional).",
    )
    team = models.ForeignKey(
        "catalog.Team",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="roadmap_items",
        help_text="The providing team (defaults to the service's owner).",
    )
    target_quarter = models.CharField(max_length=7, validators=[quarter_validator])
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="dependents",
        blank=True,
        help_text="Items that must ship first.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["target_quarter", "layer", "title"]
        verbose_name = "roadmap item"
        constraints = [
            models.CheckConstraint(
                condition=Q(layer__in=["base", "core", "enabling"]),
                name="health_roadmapitem_layer_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["planned", "in_progress", "shipped", "slipped"]),
                name="health_roadmapitem_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(target_quarter__regex=QUARTER_RE),
                name="health_roadmapitem_quarter_format",
            ),
        ]
        indexes = [
            models.Index(fields=["target_quarter", "layer"], name="health_roadmap_quarter_idx"),
            models.Index(fields=["team"], name="health_roadmap_team_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.target_quarter})"
