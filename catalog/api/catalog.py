"""REST API of the catalog core: teams, services, APIs, API versions and dependencies.

Thin: parse input (serializers), check permissions (``catalog.selectors.permissions``), call a
service (``catalog.services.catalog``) or a selector (``catalog.selectors.catalog``), render.
Lists use the FilterSets of ``catalog.filters`` and the one pagination class. The shape every
ViewSet here shares (lookup, permission check, body, service call, the row answered re-read, and
the OpenAPI operations) is ``catalog.api.viewsets.CatalogViewSet``; each ViewSet states its
serializers, queryset, checks and service calls.

Roles: any signed-in engineer reads everything and declares dependencies for the services of
teams they belong to; team owners edit their team, its services, APIs and versions; staff admins
do everything. Anonymous requests get 401 with a ``WWW-Authenticate`` challenge.
"""

from __future__ import annotations

import datetime
import functools

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from catalog import filters
from catalog.api.viewsets import ERRORS, READ_ERRORS, CatalogViewSet, deny
from catalog.models import (
    Api,
    ApiOperation,
    ApiVersion,
    Dependency,
    Membership,
    Service,
    System,
    Team,
)
from catalog.selectors import catalog as selectors
from catalog.selectors import permissions as perms
from catalog.services import catalog as services
from portal.api.pagination import CountedRows
from slas.models import VersioningPolicy

SLUG = r"[-a-zA-Z0-9_]+"
ID = r"[0-9]{1,18}"

# --- shared pieces (the error body, ``deny`` and the ViewSet shape: catalog.api.viewsets) ---


class CatalogTeamRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["slug", "name"]


class CatalogServiceRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = ["slug", "name"]


# --- teams ----------------------------------------------------------------------------------


class CatalogTeamSerializer(serializers.ModelSerializer):
    service_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Team
        fields = [
            "id",
            "slug",
            "name",
            "description",
            "email",
            "chat_channel",
            "service_count",
            "created_at",
            "updated_at",
        ]


class CatalogTeamCreateSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    chat_channel = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CatalogTeamUpdateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    chat_channel = serializers.CharField(required=False, allow_blank=True, max_length=200)


class CatalogMembershipSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]


class CatalogMembershipInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Membership.Role.choices, default=Membership.Role.MEMBER)


class TeamViewSet(CatalogViewSet):
    """Teams, looked up by slug. Staff create and delete teams; team owners edit theirs."""

    serializer_class = CatalogTeamSerializer
    create_serializer_class = CatalogTeamCreateSerializer
    update_serializer_class = CatalogTeamUpdateSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filterset_class = filters.TeamFilterSet

    def get_queryset(self):
        return selectors.team_list()

    def check_change(self, team: Team) -> None:
        if not perms.user_can_edit_team(user=self.request.user, team_id=team.pk):
            deny("Only the team's owners or staff can change this team.")

    def check_delete(self, team: Team) -> None:
        if not self.request.user.is_staff:
            deny("Only staff admins delete teams.")

    def create(self, request, *args, **kwargs):
        if not request.user.is_staff:  # before the body is read
            deny("Only staff admins create teams.")
        return super().create(request, *args, **kwargs)

    def create_with(self, values: dict) -> Team:
        return services.team_create(actor=self.request.user, **values)

    def update_with(self, team: Team, values: dict) -> None:
        services.team_update(team=team, **values)

    def perform_destroy(self, team: Team) -> None:
        services.team_delete(team=team)

    @extend_schema(
        methods=["GET"],
        responses={200: CatalogMembershipSerializer(many=True), **READ_ERRORS},
        filters=False,
    )
    @extend_schema(
        methods=["POST"],
        request=CatalogMembershipInputSerializer,
        responses={200: CatalogMembershipSerializer, **ERRORS},
        filters=False,
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def members(self, request, *args, **kwargs):
        """List the team's members; POST adds a member or changes a role (owners, staff)."""
        team = self.get_object()
        if request.method == "GET":
            rows = selectors.team_members(team=team)
            return Response(CatalogMembershipSerializer(rows, many=True).data)
        self.check_change(team)
        data = CatalogMembershipInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = get_user_model().objects.filter(username=data.validated_data["username"]).first()
        if user is None:
            return Response(
                {
                    "type": "about:blank",
                    "title": "Invalid request",
                    "detail": "Unknown user.",
                    "errors": {"username": ["Unknown user."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        membership = services.team_member_set(
            team=team, user=user, role=data.validated_data["role"]
        )
        return Response(CatalogMembershipSerializer(membership).data)

    @extend_schema(
        responses={204: None, **ERRORS},
        parameters=[OpenApiParameter("username", OpenApiTypes.STR, OpenApiParameter.PATH)],
        filters=False,
    )
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"members/(?P<username>[^/]+)",
        filter_backends=[],
    )
    def member_remove(self, request, *args, username: str = "", **kwargs):
        """Remove a member (owners, staff); the last owner stays."""
        team = self.get_object()
        self.check_change(team)
        user = get_object_or_404(get_user_model(), username=username)
        services.team_member_remove(team=team, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- services -------------------------------------------------------------------------------


class CatalogLinkSerializer(serializers.Serializer):
    title = serializers.CharField(allow_blank=True, required=False, max_length=200)
    url = serializers.URLField(max_length=500)


_DATETIME = serializers.DateTimeField()


class CatalogServiceSerializer(serializers.ModelSerializer):
    owner = CatalogTeamRefSerializer(read_only=True)
    system = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    tags = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    links = CatalogLinkSerializer(many=True, read_only=True)
    annotations = serializers.DictField(child=serializers.CharField(), read_only=True)

    class Meta:
        model = Service
        # every field the writes set (service_create/service_update), between id/slug and times
        fields = ["id", "slug", *services.SERVICE_FIELD_ORDER, "created_at", "updated_at"]

    def to_representation(self, instance: Service) -> dict:
        """The declared fields, built directly: lists render 50-500 of these per request."""
        when = _DATETIME.to_representation
        if hasattr(instance, "owner_slug"):  # a lean list row (see service_list(lean=True))
            owner = {"slug": instance.owner_slug, "name": instance.owner_name}
            system = instance.system_slug
            tags = getattr(instance, "tag_slugs", [])
        else:
            owner = {"slug": instance.owner.slug, "name": instance.owner.name}
            system = instance.system.slug if instance.system_id else None
            tags = [tag.slug for tag in instance.tags.all()]
        return {
            "id": instance.pk,
            "slug": instance.slug,
            "name": instance.name,
            "description": instance.description,
            "owner": owner,
            "system": system,
            "layer": instance.layer,
            "tier": instance.tier,
            "lifecycle": instance.lifecycle,
            "kind": instance.kind,
            "tags": tags,
            "repository_url": instance.repository_url,
            "documentation_url": instance.documentation_url,
            "runbook_url": instance.runbook_url,
            "links": [
                {"title": str(link.get("title") or ""), "url": str(link.get("url") or "")}
                for link in (instance.links or [])
                if isinstance(link, dict)
            ],
            "annotations": {str(k): str(v) for k, v in (instance.annotations or {}).items()}
            if isinstance(instance.annotations, dict)
            else {},
            "onboarding_notes": instance.onboarding_notes,
            "created_at": when(instance.created_at),
            "updated_at": when(instance.updated_at),
        }


def _iso_datetime(value, tz) -> str | None:
    """``DateTimeField().to_representation`` (ISO 8601 in ``tz``, ``Z`` for UTC), fast."""
    if not isinstance(value, datetime.datetime) or value.tzinfo is None:
        return _DATETIME.to_representation(value)
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _service_rows(rows: list[dict]) -> list[dict]:
    """``service_rows`` rows in the shape of ``CatalogServiceSerializer`` (identical output)."""
    tz = timezone.get_current_timezone()
    return [_service_row(row, tz) for row in rows]


def _service_row(row: dict, tz) -> dict:
    def when(value):
        return _iso_datetime(value, tz)

    links = row["links"]
    annotations = row["annotations"]
    return {
        "id": row["id"],
        "slug": row["slug"],
        "name": row["name"],
        "description": row["description"],
        "owner": {"slug": row["owner_slug"], "name": row["owner_name"]},
        "system": row["system_slug"],
        "layer": row["layer"],
        "tier": row["tier"],
        "lifecycle": row["lifecycle"],
        "kind": row["kind"],
        "tags": list(row["tag_slugs"] or []),
        "repository_url": row["repository_url"],
        "documentation_url": row["documentation_url"],
        "runbook_url": row["runbook_url"],
        "links": [
            {"title": str(link.get("title") or ""), "url": str(link.get("url") or "")}
            for link in (links or [])
            if isinstance(link, dict)
        ],
        "annotations": {str(k): str(v) for k, v in annotations.items()}
        if isinstance(annotations, dict)
        else {},
        "onboarding_notes": row["onboarding_notes"],
        "created_at": when(row["created_at"]),
        "updated_at": when(row["updated_at"]),
    }


class CatalogServiceWriteSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    owner = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    system = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=System.objects.all(),
        required=False,
        allow_null=True,
    )
    layer = serializers.ChoiceField(choices=Service.Layer.choices, required=False)
    tier = serializers.ChoiceField(choices=Service.Tier.choices, required=False)
    lifecycle = serializers.ChoiceField(choices=Service.Lifecycle.choices, required=False)
    kind = serializers.CharField(max_length=50, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=50
    )
    repository_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    documentation_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    runbook_url = serializers.URLField(max_length=500, required=False, allow_blank=True)
    links = CatalogLinkSerializer(many=True, required=False)
    annotations = serializers.DictField(
        child=serializers.CharField(max_length=1000), required=False
    )
    onboarding_notes = serializers.CharField(required=False, allow_blank=True)


class CatalogServiceUpdateSerializer(CatalogServiceWriteSerializer):
    slug = None
    name = serializers.CharField(max_length=200, required=False)
    owner = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False
    )


class CatalogImpactedServiceSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    team = serializers.CharField(source="team_slug")
    team_name = serializers.CharField()
    depth = serializers.IntegerField()
    relation = serializers.CharField()
    path = serializers.ListField(child=serializers.CharField())
    path_names = serializers.ListField(child=serializers.CharField())


class CatalogImpactSerializer(serializers.Serializer):
    subject = serializers.CharField()
    provider = serializers.CharField(source="provider_slug")
    direct_count = serializers.IntegerField()
    transitive_count = serializers.IntegerField()
    max_depth = serializers.IntegerField()
    truncated = serializers.BooleanField()
    direct = CatalogImpactedServiceSerializer(many=True)
    transitive = CatalogImpactedServiceSerializer(many=True)


IMPACT_LIMIT = OpenApiParameter(
    "limit",
    OpenApiTypes.INT,
    description="At most this many direct and this many transitive consumers (default 500, max 5000).",
)


def _impact_limit(request) -> int:
    try:
        return max(0, min(5000, int(request.query_params.get("limit", "500"))))
    except ValueError:
        return 500


def _impact_response(impact) -> Response:
    def rows(items) -> list[dict]:
        # Built directly (the shape of CatalogImpactedServiceSerializer): up to 2 x 5000 rows.
        return [
            {
                "slug": s.slug,
                "name": s.name,
                "team": s.team_slug,
                "team_name": s.team_name,
                "depth": s.depth,
                "relation": "direct" if s.depth == 1 else "transitive",
                "path": s.path,
                "path_names": s.path_names,
            }
            for s in items
        ]

    return Response(
        {
            "subject": impact.subject,
            "provider": impact.provider_slug,
            "direct_count": impact.direct_count,
            "transitive_count": impact.transitive_count,
            "max_depth": impact.max_depth,
            "truncated": impact.truncated,
            "direct": rows(impact.direct),
            "transitive": rows(impact.transitive),
        }
    )


def impact_action(impact_of):
    """``GET {id}/impact/?limit=``: ``impact_of(self, instance, *, limit)`` returns the selector's
    impact of the looked-up row; its docstring describes the operation."""

    @extend_schema(
        responses={200: CatalogImpactSerializer, **READ_ERRORS},
        parameters=[IMPACT_LIMIT],
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    @functools.wraps(impact_of)
    def impact(self, request, *args, **kwargs):
        instance = self.get_object()
        return _impact_response(impact_of(self, instance, limit=_impact_limit(request)))

    return impact


def _services_write_kwargs(validated: dict) -> dict:
    out = dict(validated)
    if "links" in out:
        out["links"] = [dict(link) for link in out["links"]]
    return out


class ServiceViewSet(CatalogViewSet):
    """Services, looked up by slug. Owners of the owning team (and staff) create and edit them."""

    serializer_class = CatalogServiceSerializer
    create_serializer_class = CatalogServiceWriteSerializer
    update_serializer_class = CatalogServiceUpdateSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filterset_class = filters.ServiceFilterSet

    def get_queryset(self):
        return selectors.service_list(lean=self.action == "list")

    def list(self, request, *args, **kwargs):
        # The hot path (≥ 200 req/s): filters on a plain queryset, a join-free count, one page
        # query of plain dicts (tags aggregated on PostgreSQL), rows rendered without DRF fields.
        queryset = Service.objects.all()
        params = request.query_params
        if any(name in params for name in filters.ServiceFilterSet.base_filters):
            queryset = self.filter_queryset(queryset)  # no filter given: skip building the form
        rows = CountedRows(
            count=lambda: selectors.service_count(queryset=queryset),
            fetch=lambda *, offset, limit: selectors.service_rows(
                queryset=queryset, offset=offset, limit=limit
            ),
        )
        page = self.paginate_queryset(rows)
        if page is None:
            return Response(_service_rows(rows[0:None]))
        return self.get_paginated_response(_service_rows(list(page)))

    def _check_team(self, team: Team) -> None:
        if not perms.user_can_edit_team(user=self.request.user, team_id=team.pk):
            deny(f"Only owners of {team} or staff can change its services.")

    def check_change(self, service: Service) -> None:
        self._check_team(service.owner)

    def create_with(self, values: dict) -> Service:
        self._check_team(values["owner"])
        return services.service_create(**_services_write_kwargs(values))

    def update_with(self, service: Service, values: dict) -> None:
        new_owner = values.get("owner")
        if new_owner is not None and new_owner.pk != service.owner_id:
            self._check_team(new_owner)
        services.service_update(service=service, **_services_write_kwargs(values))

    def perform_destroy(self, service: Service) -> None:
        services.service_delete(service=service)

    @impact_action
    def impact(self, service: Service, *, limit: int):
        """Who is affected when this service changes: consumers of any of its APIs (depth 1)
        and, transitively, their consumers, each with one shortest path."""
        return selectors.impact_for_service(service=service, limit=limit)


# --- APIs -----------------------------------------------------------------------------------


class CatalogApiSerializer(serializers.ModelSerializer):
    provider = CatalogServiceRefSerializer(read_only=True)
    team = serializers.SlugRelatedField(source="provider.owner", slug_field="slug", read_only=True)
    policy = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Api
        fields = [
            "id",
            "slug",
            "name",
            "provider",
            "team",
            "type",
            "audience",
            "description",
            "policy",
            "created_at",
            "updated_at",
        ]


class CatalogApiWriteSerializer(serializers.Serializer):
    slug = serializers.SlugField(max_length=100)
    name = serializers.CharField(max_length=200)
    provider = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    type = serializers.ChoiceField(choices=Api.Type.choices, required=False)
    audience = serializers.ChoiceField(choices=Api.Audience.choices, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    policy = serializers.PrimaryKeyRelatedField(
        queryset=VersioningPolicy.objects.all(), required=False, allow_null=True
    )


class CatalogApiUpdateSerializer(CatalogApiWriteSerializer):
    slug = None
    name = serializers.CharField(max_length=200, required=False)
    provider = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False
    )


class ApiViewSet(CatalogViewSet):
    """APIs, looked up by slug. Owners of the providing service's team (and staff) edit them;
    only staff choose a versioning policy."""

    serializer_class = CatalogApiSerializer
    create_serializer_class = CatalogApiWriteSerializer
    update_serializer_class = CatalogApiUpdateSerializer
    lookup_field = "slug"
    lookup_value_regex = SLUG
    filterset_class = filters.ApiFilterSet

    def get_queryset(self):
        return selectors.api_list()

    def _check_provider(self, provider: Service) -> None:
        if not perms.user_can_edit_service(user=self.request.user, service=provider):
            deny(f"Only owners of {provider.owner} or staff can change the APIs of {provider}.")

    def _check_policy(self, validated: dict) -> None:
        if "policy" in validated and not self.request.user.is_staff:
            deny("Only staff admins choose an API's versioning policy.")

    def check_change(self, api: Api) -> None:
        self._check_provider(api.provider)

    def create_with(self, values: dict) -> Api:
        self._check_provider(values["provider"])
        self._check_policy(values)
        return services.api_create(**values)

    def update_with(self, api: Api, values: dict) -> None:
        self._check_policy(values)
        provider = values.get("provider")
        if provider is not None and provider.pk != api.provider_id:
            self._check_provider(provider)
        services.api_update(api=api, **values)

    def perform_destroy(self, api: Api) -> None:
        services.api_delete(api=api)

    @impact_action
    def impact(self, api: Api, *, limit: int):
        """Who is affected when any version of this API changes."""
        return selectors.impact_for_api(api=api, limit=limit)


# --- API versions ---------------------------------------------------------------------------


class CatalogApiVersionSerializer(serializers.ModelSerializer):
    api = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    api_name = serializers.CharField(source="api.name", read_only=True)
    provider = serializers.SlugRelatedField(
        source="api.provider", slug_field="slug", read_only=True
    )
    consumer_count = serializers.IntegerField(read_only=True)
    has_spec = serializers.SerializerMethodField()
    policy_snapshot = serializers.DictField(read_only=True, allow_null=True)

    class Meta:
        model = ApiVersion
        fields = [
            "id",
            "api",
            "api_name",
            "provider",
            "version",
            "major",
            "minor",
            "patch",
            "prerelease",
            "stability",
            "status",
            "released_on",
            "changelog",
            "has_spec",
            "spec_format",
            "policy_snapshot",
            "consumer_count",
            "created_at",
            "updated_at",
        ]

    def get_has_spec(self, obj) -> bool:
        return bool(obj.spec)


class CatalogApiVersionDetailSerializer(CatalogApiVersionSerializer):
    class Meta(CatalogApiVersionSerializer.Meta):
        fields = [*CatalogApiVersionSerializer.Meta.fields, "spec"]


class CatalogApiVersionWriteSerializer(serializers.Serializer):
    api = serializers.SlugRelatedField(slug_field="slug", queryset=Api.objects.all())
    version = serializers.CharField(max_length=100)
    stability = serializers.ChoiceField(
        choices=ApiVersion.Stability.choices, default=ApiVersion.Stability.STABLE
    )
    status = serializers.ChoiceField(
        choices=ApiVersion.Status.choices, default=ApiVersion.Status.ACTIVE
    )
    released_on = serializers.DateField(required=False, allow_null=True)
    changelog = serializers.CharField(required=False, allow_blank=True)
    spec = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class CatalogApiVersionUpdateSerializer(serializers.Serializer):
    stability = serializers.ChoiceField(choices=ApiVersion.Stability.choices, required=False)
    status = serializers.ChoiceField(choices=ApiVersion.Status.choices, required=False)
    released_on = serializers.DateField(required=False, allow_null=True)
    changelog = serializers.CharField(required=False, allow_blank=True)
    spec = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class ApiVersionViewSet(CatalogViewSet):
    """Versions of APIs, by id. Owners of the providing team (and staff) publish and edit them."""

    serializer_class = CatalogApiVersionSerializer
    detail_serializer_class = CatalogApiVersionDetailSerializer
    create_serializer_class = CatalogApiVersionWriteSerializer
    update_serializer_class = CatalogApiVersionUpdateSerializer
    filterset_class = filters.ApiVersionFilterSet
    lookup_value_regex = ID

    def get_queryset(self):
        return selectors.api_version_list()

    def _check_api(self, api: Api) -> None:
        if not perms.user_can_edit_service(user=self.request.user, service=api.provider):
            deny(f"Only owners of {api.provider.owner} or staff can publish versions of {api}.")

    def check_change(self, version: ApiVersion) -> None:
        self._check_api(version.api)

    def create_with(self, values: dict) -> ApiVersion:
        api = Api.objects.select_related("provider").get(pk=values["api"].pk)
        self._check_api(api)
        return services.api_version_create(actor=self.request.user, **{**values, "api": api})

    def update_with(self, version: ApiVersion, values: dict) -> None:
        services.api_version_update(api_version=version, actor=self.request.user, **values)

    def perform_destroy(self, version: ApiVersion) -> None:
        services.api_version_delete(api_version=version)

    @impact_action
    def impact(self, version: ApiVersion, *, limit: int):
        """Direct consumers of this version and, transitively, everyone consuming an API of an
        affected service, each with its depth and one shortest path (provider first)."""
        return selectors.impact_for_api_version(api_version=version, limit=limit)


# --- dependencies ---------------------------------------------------------------------------


class CatalogDependencySerializer(serializers.ModelSerializer):
    consumer = CatalogServiceRefSerializer(read_only=True)
    consumer_team = serializers.SlugRelatedField(
        source="consumer.owner", slug_field="slug", read_only=True
    )
    provider = CatalogServiceRefSerializer(read_only=True)
    api = serializers.SlugRelatedField(source="api_version.api", slug_field="slug", read_only=True)
    api_version = serializers.PrimaryKeyRelatedField(read_only=True)
    version = serializers.CharField(source="api_version.version", read_only=True)
    operations = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Dependency
        fields = [
            "id",
            "consumer",
            "consumer_team",
            "provider",
            "api",
            "api_version",
            "version",
            "operations",
            "purpose",
            "requested_at",
            "live_at",
            "created_at",
            "updated_at",
        ]


class CatalogDependencyWriteSerializer(serializers.Serializer):
    consumer = serializers.SlugRelatedField(slug_field="slug", queryset=Service.objects.all())
    api_version = serializers.PrimaryKeyRelatedField(queryset=ApiVersion.objects.all())
    operations = serializers.PrimaryKeyRelatedField(
        queryset=ApiOperation.objects.all(), many=True, required=False
    )
    purpose = serializers.CharField(required=False, allow_blank=True)
    requested_at = serializers.DateField(required=False, allow_null=True)
    live_at = serializers.DateField(required=False, allow_null=True)


class CatalogDependencyUpdateSerializer(serializers.Serializer):
    api_version = serializers.PrimaryKeyRelatedField(
        queryset=ApiVersion.objects.all(), required=False
    )
    operations = serializers.PrimaryKeyRelatedField(
        queryset=ApiOperation.objects.all(), many=True, required=False
    )
    purpose = serializers.CharField(required=False, allow_blank=True)
    requested_at = serializers.DateField(required=False, allow_null=True)
    live_at = serializers.DateField(required=False, allow_null=True)


class DependencyViewSet(CatalogViewSet):
    """Who consumes what. Members of the consuming service's team (and staff) declare, change and
    remove dependencies."""

    serializer_class = CatalogDependencySerializer
    create_serializer_class = CatalogDependencyWriteSerializer
    update_serializer_class = CatalogDependencyUpdateSerializer
    filterset_class = filters.DependencyFilterSet
    lookup_value_regex = ID

    def get_queryset(self):
        return selectors.dependency_list()

    def _check_consumer(self, consumer: Service) -> None:
        if not perms.user_can_declare_dependency(user=self.request.user, consumer=consumer):
            deny(f"Only members of {consumer.owner} or staff can declare what {consumer} uses.")

    @staticmethod
    def _with_version(values: dict) -> dict:
        """``values`` with its ``api_version`` (if any) re-read with its API."""
        if "api_version" in values:
            values["api_version"] = ApiVersion.objects.select_related("api").get(
                pk=values["api_version"].pk
            )
        return values

    def check_change(self, dependency: Dependency) -> None:
        self._check_consumer(dependency.consumer)

    def create_with(self, values: dict) -> Dependency:
        values = dict(values)
        values["consumer"] = Service.objects.select_related("owner").get(pk=values["consumer"].pk)
        self._check_consumer(values["consumer"])
        return services.dependency_create(**self._with_version(values))

    def update_with(self, dependency: Dependency, values: dict) -> None:
        services.dependency_update(dependency=dependency, **self._with_version(dict(values)))

    def perform_destroy(self, dependency: Dependency) -> None:
        services.dependency_delete(dependency=dependency)


router = SimpleRouter()
router.register("teams", TeamViewSet, basename="team")
router.register("services", ServiceViewSet, basename="service")
router.register("apis", ApiViewSet, basename="api")
router.register("api-versions", ApiVersionViewSet, basename="apiversion")
router.register("dependencies", DependencyViewSet, basename="dependency")
urlpatterns: list = []
