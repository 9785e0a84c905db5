"""Backstage import bookkeeping: where each imported row came from, import jobs, and the
service-to-service ``dependsOn`` links Backstage has and the core model does not."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class EntitySource(models.Model):
    """One imported Backstage entity: its reference, its source and the row it became.

    ``entity_ref`` (``kind:namespace/name``, lower case) is the upsert key. ``content_hash``
    lets a re-import skip unchanged entities without touching their rows. ``extra`` keeps
    the descriptor fields the portal has no column for, so export gives the YAML back.
    """

    class Kind(models.TextChoices):
        GROUP = "Group", "Group"
        USER = "User", "User"
        COMPONENT = "Component", "Component"
        API = "API", "API"
        SYSTEM = "System", "System"
        DOMAIN = "Domain", "Domain"
        RESOURCE = "Resource", "Resource"
        LOCATION = "Location", "Location"

    entity_ref = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    source = models.CharField(max_length=500, help_text="The import source (paths or upload name).")
    file = models.CharField(max_length=1000, blank=True)
    document = models.PositiveIntegerField(default=1)
    content_hash = models.CharField(max_length=64)
    object_id = models.BigIntegerField(null=True, blank=True, help_text="Primary key of the row.")
    version_id = models.BigIntegerField(
        null=True, blank=True, help_text="For an API: the ApiVersion made from its definition."
    )
    extra = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["entity_ref"]
        verbose_name = "imported entity"
        verbose_name_plural = "imported entities"
        indexes = [
            models.Index(fields=["source", "kind"], name="catalog_entsrc_source_idx"),
            models.Index(fields=["kind", "object_id"], name="catalog_entsrc_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=[
                        "Group",
                        "User",
                        "Component",
                        "API",
                        "System",
                        "Domain",
                        "Resource",
                        "Location",
                    ]
                ),
                name="catalog_entitysource_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.entity_ref


class ServiceLink(models.Model):
    """``dependsOn`` between Components/Resources: a plain service-to-service link."""

    source = models.ForeignKey(
        "catalog.Service", on_delete=models.CASCADE, related_name="links_out"
    )
    target = models.ForeignKey("catalog.Service", on_delete=models.CASCADE, related_name="links_in")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "target"]
        verbose_name = "service link (depends on)"
        constraints = [
            models.UniqueConstraint(fields=["source", "target"], name="catalog_servicelink_unique"),
            models.CheckConstraint(
                condition=~Q(source=F("target")), name="catalog_servicelink_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "source"], name="catalog_servicelink_target_idx")]

    def __str__(self) -> str:
        return f"{self.source} depends on {self.target}"


class ImportJob(models.Model):
    """One import started through the API; the Celery task runs it and reports progress."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    class PayloadKind(models.TextChoices):
        YAML = "yaml", "YAML"
        TAR = "tar", "tar.gz archive"
        ZIP = "zip", "zip archive"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    source = models.CharField(max_length=500)
    payload_kind = models.CharField(max_length=4, choices=PayloadKind.choices)
    payload = models.BinaryField(help_text="The uploaded YAML or archive; cleared when done.")
    prune = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    strict = models.BooleanField(default=False)
    phase = models.CharField(max_length=50, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    problems = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "catalog import"
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "running", "succeeded", "failed"]),
                name="catalog_importjob_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(payload_kind__in=["yaml", "tar", "zip"]),
                name="catalog_importjob_payload_kind_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="catalog_importjob_status_idx")
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("catalog:import-detail", args=[self.pk])

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        if not self.progress_total:
            return 0
        return min(100, int(100 * self.progress_done / self.progress_total))

    @property
    def finished(self) -> bool:
        return self.status in {self.Status.SUCCEEDED, self.Status.FAILED}
