"""The catalog's core: teams, services, APIs, versions, operations and who consumes what."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class Team(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    email = models.EmailField("contact e-mail", blank=True)
    chat_channel = models.CharField(max_length=200, blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="teams", blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "team"
        indexes = [models.Index(fields=["name"], name="catalog_team_name_idx")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:team-detail", args=[self.slug])


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        MEMBER = "member", "Member"

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["team", "user"]
        verbose_name = "membership"
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="catalog_membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"


class Tag(models.Model):
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = "tag"

    def __str__(self) -> str:
        return self.slug


class Domain(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="domains"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "domain"

    def __str__(self) -> str:
        return self.name


class System(models.Model):
    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    domain = models.ForeignKey(
        Domain, on_delete=models.SET_NULL, null=True, blank=True, related_name="systems"
    )
    owner = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="systems"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = "system"

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    class Layer(models.TextChoices):
        BASE = "base", "Base infrastructure"
        CORE = "core", "Core service"
        ENABLING = "enabling", "Enabling capability"

    class Lifecycle(models.TextChoices):
        EXPERIMENTAL = "experimental", "Experimental"
        PRODUCTION = "production", "Production"
        DEPRECATED = "deprecated", "Deprecated"
        RETIRED = "retired", "Retired"

    class Tier(models.IntegerChoices):
        TIER_1 = 1, "Tier 1 (most critical)"
        TIER_2 = 2, "Tier 2"
        TIER_3 = 3, "Tier 3"
        TIER_4 = 4, "Tier 4"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    system = models.ForeignKey(
        System, on_delete=models.SET_NULL, null=True, blank=True, related_name="services"
    )
    layer = models.CharField(max_length=10, choices=Layer.choices, default=Layer.CORE)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.TIER_3)
    lifecycle = models.CharField(
        max_length=15, choices=Lifecycle.choices, default=Lifecycle.PRODUCTION
    )
    kind = models.CharField("component type", max_length=50, blank=True, default="service")
    tags = models.ManyToManyField(Tag, related_name="services", blank=True)
    repository_url = models.URLField(max_length=500, blank=True)
    documentation_url = models.URLField(max_length=500, blank=True)
    runbook_url = models.URLField(max_length=500, blank=True)
    links = models.JSONField(default=list, blank=True, help_text="Extra links: [{title, url}]")
    annotations = models.JSONField(default=dict, blank=True)
    onboarding_notes = models.TextField(blank=True, help_text="Markdown; rendered sanitised.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "service"
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__gte=1) & Q(tier__lte=4), name="catalog_service_tier_range"
            ),
            models.CheckConstraint(
                condition=Q(layer__in=["base", "core", "enabling"]),
                name="catalog_service_layer_valid",
            ),
            models.CheckConstraint(
                condition=Q(lifecycle__in=["experimental", "production", "deprecated", "retired"]),
                name="catalog_service_lifecycle_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["name"], name="catalog_service_name_idx"),
            models.Index(fields=["layer", "name"], name="catalog_service_layer_idx"),
            models.Index(fields=["tier", "name"], name="catalog_service_tier_idx"),
            models.Index(fields=["lifecycle", "name"], name="catalog_service_lifecycle_idx"),
            models.Index(fields=["owner", "name"], name="catalog_service_owner_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:service-detail", args=[self.slug])


class Api(models.Model):
    class Type(models.TextChoices):
        OPENAPI = "openapi", "OpenAPI"
        GRPC = "grpc", "gRPC"
        GRAPHQL = "graphql", "GraphQL"
        ASYNCAPI = "asyncapi", "AsyncAPI"
        EVENT = "event", "Event stream"

    class Audience(models.TextChoices):
        INTERNAL = "internal", "Internal"
        PARTNER = "partner", "Partner"
        PUBLIC = "public", "Public"

    slug = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    provider = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="apis")
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.OPENAPI)
    audience = models.CharField(max_length=10, choices=Audience.choices, default=Audience.INTERNAL)
    description = models.TextField(blank=True)
    policy = models.ForeignKey(
        "slas.VersioningPolicy",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="apis",
        help_text="Leave empty to follow the default versioning policy.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "API"
        verbose_name_plural = "APIs"
        indexes = [
            models.Index(fields=["provider", "name"], name="catalog_api_provider_idx"),
            models.Index(fields=["name"], name="catalog_api_name_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:api-detail", args=[self.slug])


class ApiVersion(models.Model):
    class Stability(models.TextChoices):
        DRAFT = "draft", "Draft"
        ALPHA = "alpha", "Alpha"
        BETA = "beta", "Beta"
        STABLE = "stable", "Stable"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DEPRECATED = "deprecated", "Deprecated"
        RETIRED = "retired", "Retired"

    class SpecFormat(models.TextChoices):
        NONE = "", "None"
        YAML = "yaml", "YAML"
        JSON = "json", "JSON"

    STABILITY_RANK = {"draft": 0, "alpha": 1, "beta": 2, "stable": 3}

    api = models.ForeignKey(Api, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=100)
    major = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    patch = models.PositiveIntegerField(default=0)
    prerelease = models.CharField(max_length=100, blank=True)
    stability = models.CharField(max_length=10, choices=Stability.choices, default=Stability.STABLE)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    released_on = models.DateField(null=True, blank=True)
    spec = models.TextField(blank=True, help_text="OpenAPI document (YAML or JSON).")
    spec_format = models.CharField(
        max_length=4, choices=SpecFormat.choices, blank=True, default=SpecFormat.NONE
    )
    changelog = models.TextField(blank=True)
    policy_snapshot = models.JSONField(
        null=True,
        blank=True,
        help_text="The effective versioning policy frozen when the version became beta or stable.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["api", "-major", "-minor", "-patch", "prerelease"]
        verbose_name = "API version"
        constraints = [
            models.UniqueConstraint(fields=["api", "version"], name="catalog_apiversion_unique"),
            models.CheckConstraint(
                condition=Q(stability__in=["draft", "alpha", "beta", "stable"]),
                name="catalog_apiversion_stability_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["active", "deprecated", "retired"]),
                name="catalog_apiversion_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["api", "major", "minor", "patch"], name="catalog_apiver_order_idx"
            ),
            models.Index(fields=["status"], name="catalog_apiver_status_idx"),
            models.Index(fields=["stability"], name="catalog_apiver_stability_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.api.name} {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("catalog:apiversion-detail", args=[self.pk])


class ApiOperation(models.Model):
    """One operation (method + path) of a version, extracted from its spec."""

    api_version = models.ForeignKey(ApiVersion, on_delete=models.CASCADE, related_name="operations")
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=1000)
    operation_id = models.CharField(max_length=300, blank=True)
    summary = models.CharField(max_length=500, blank=True)
    tags = models.JSONField(default=list, blank=True)
    deprecated = models.BooleanField(default=False)
    sunset = models.CharField(max_length=50, blank=True, help_text="x-sunset, when the spec has it")

    class Meta:
        ordering = ["api_version", "path", "method"]
        verbose_name = "API operation"
        constraints = [
            models.UniqueConstraint(
                fields=["api_version", "method", "path"], name="catalog_apioperation_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


class Dependency(models.Model):
    """A consumer service uses an API version (optionally only some of its operations)."""

    consumer = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependencies")
    api_version = models.ForeignKey(
        ApiVersion, on_delete=models.CASCADE, related_name="dependencies"
    )
    # Denormalised from api_version.api.provider so that the graph is one table and the
    # "no self-consumption" rule is a database constraint.
    provider = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependents")
    operations = models.ManyToManyField(ApiOperation, related_name="dependencies", blank=True)
    purpose = models.TextField(blank=True)
    requested_at = models.DateField(null=True, blank=True)
    live_at = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["consumer", "api_version"]
        verbose_name = "dependency"
        verbose_name_plural = "dependencies"
        constraints = [
            models.UniqueConstraint(
                fields=["consumer", "api_version"], name="catalog_dependency_unique"
            ),
            models.CheckConstraint(
                condition=~Q(consumer=F("provider")), name="catalog_dependency_not_self"
            ),
            models.CheckConstraint(
                condition=Q(live_at__isnull=True)
                | Q(requested_at__isnull=True)
                | Q(live_at__gte=F("requested_at")),
                name="catalog_dependency_live_after_requested",
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "consumer"], name="catalog_dep_provider_idx"),
            models.Index(fields=["api_version", "consumer"], name="catalog_dep_version_idx"),
            models.Index(fields=["live_at"], name="catalog_dep_live_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.consumer} → {self.api_version}"
