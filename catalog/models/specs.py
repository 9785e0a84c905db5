"""The spec registry: the parsed OpenAPI document of a version and its breaking-change findings."""

from __future__ import annotations

from django.db import models

from .catalog import ApiVersion


class ApiSpec(models.Model):
    """The validated document of one ApiVersion (kept parsed, so diffs never re-read YAML) and
    the findings of the diff against the version(s) it was compared with when it was published.

    ``compared_to`` is the previous supported version; ``compared_with`` lists every base version
    (one, or all supported lower versions when the policy's ``compare_against`` is
    ``all_supported``, in which case each stored finding carries ``base_version``)."""

    api_version = models.OneToOneField(
        ApiVersion, on_delete=models.CASCADE, related_name="spec_record"
    )
    document = models.JSONField(help_text="The parsed, validated OpenAPI document.")
    openapi_version = models.CharField(max_length=20)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the uploaded text.")
    size_bytes = models.PositiveIntegerField(default=0)
    compared_to = models.ForeignKey(
        ApiVersion,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The previous supported version the findings are against.",
    )
    compared_with = models.JSONField(
        default=list,
        blank=True,
        help_text=(
            "Every version the findings are against, oldest first: "
            '[{"id", "version", "error", "warning", "info"}]. Under a policy comparing against '
            "all supported versions each finding also names its base_version."
        ),
    )
    findings = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    info_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API spec"
        verbose_name_plural = "API specs"
        indexes = [models.Index(fields=["error_count"], name="catalog_apispec_errors")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(compared_to=models.F("api_version")),
                name="catalog_apispec_not_compared_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return f"spec of {self.api_version}"
