"""REST API of the deprecation workflow: deprecations, consumer migrations, lifecycle headers.

Thin: parse input, call a service or selector, render. Every refusal comes from the services as
a DomainError (400/403/409/422 with the rule named).
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter

from catalog.models import ApiOperation, ApiVersion, ConsumerMigration, Deprecation
from catalog.selectors import deprecations as sel
from catalog.services import deprecations as svc

# --- filters -------------------------------------------------------------------------------


MAX_ID = 2**63 - 1  # a larger number is no row: 400, not an OverflowError (500)


def _id_or_slug(value: str, field: str) -> dict:
    value = (value or "").strip()
    is_id = value.isascii() and value.isdigit() and int(value) <= MAX_ID
    return {f"{field}_id": int(value)} if is_id else {f"{field}__slug": value}


class DeprecationFilter(django_filters.FilterSet):
    api = django_filters.CharFilter(method="filter_api", label="API (id or slug)")
    api_version = django_filters.NumberFilter(
        field_name="api_version_id", min_value=1, max_value=MAX_ID
    )
    state = django_filters.MultipleChoiceFilter(choices=Deprecation.State.choices)
    scope = django_filters.ChoiceFilter(choices=Deprecation.Scope.choices)
    sunset_before = django_filters.DateFilter(field_name="sunset_date", lookup_expr="lte")
    sunset_after = django_filters.DateFilter(field_name="sunset_date", lookup_expr="gte")
    affecting_team = django_filters.CharFilter(
        method="filter_affecting_team", label="Team (id or slug) with an affected consumer"
    )

    class Meta:
        model = Deprecation
        fields = ["api", "api_version", "state", "scope", "sunset_before", "sunset_after"]

    def filter_api(self, qs, name, value):
        return qs.filter(**_id_or_slug(value, "api_version__api"))

    def filter_affecting_team(self, qs, name, value):
        team_filter = _id_or_slug(value, "consumer__owner")
        mine = ConsumerMigration.objects.filter(deprecation=OuterRef("pk"), **team_filter)
        return qs.filter(Exists(mine))


class MigrationFilter(django_filters.FilterSet):
    deprecation = django_filters.NumberFilter(
        field_name="deprecation_id", min_value=1, max_value=MAX_ID
    )
    state = django_filters.MultipleChoiceFilter(choices=ConsumerMigration.State.choices)
    consumer = django_filters.CharFilter(method="filter_consumer", label="Service (id or slug)")
    team = django_filters.CharFilter(method="filter_team", label="Consumer's team (id or slug)")

    class Meta:
        model = ConsumerMigration
        fields = ["deprecation", "state", "consumer", "team"]

    def filter_consumer(self, qs, name, value):
        return qs.filter(**_id_or_slug(value, "consumer"))

    def filter_team(self, qs, name, value):
        return qs.filter(**_id_or_slug(value, "consumer__owner"))


# --- serializers ---------------------------------------------------------------------------


class DeprecationOperationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiOperation
        fields = ["id", "method", "path", "operation_id"]


class DeprecationOutputSerializer(serializers.ModelSerializer):
    api = serializers.CharField(source="api_version.api.slug", read_only=True)
    api_version_label = serializers.CharField(source="api_version.version", read_only=True)
    operations = DeprecationOperationSerializer(many=True, read_only=True)
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    consumer_count = serializers.IntegerField(read_only=True, default=None)
    migrated_count = serializers.IntegerField(read_only=True, default=None)
    objected_count = serializers.IntegerField(read_only=True, default=None)
    url = serializers.CharField(source="get_absolute_url", read_only=True)

    class Meta:
        model = Deprecation
        fields = [
            "id",
            "api",
            "api_version",
            "api_version_label",
            "scope",
            "operations",
            "reason",
            "replacement_version",
            "replacement_operation",
            "migration_guide_url",
            "deprecation_date",
            "sunset_date",
            "proposed_sunset_date",
            "state",
            "published_by",
            "announced_at",
            "retired_at",
            "cancelled_at",
            "override_reason",
            "consumer_count",
            "migrated_count",
            "objected_count",
            "url",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class DeprecationCreateInputSerializer(serializers.Serializer):
    api_version = serializers.PrimaryKeyRelatedField(
        queryset=ApiVersion.objects.select_related("api__provider")
    )
    scope = serializers.ChoiceField(
        choices=Deprecation.Scope.choices, default=Deprecation.Scope.VERSION
    )
    operations = serializers.PrimaryKeyRelatedField(
        queryset=ApiOperation.objects.all(), many=True, required=False
    )
    reason = serializers.CharField()
    replacement_version = serializers.PrimaryKeyRelatedField(
        queryset=ApiVersion.objects.all(), required=False, allow_null=True
    )
    replacement_operation = serializers.PrimaryKeyRelatedField(
        queryset=ApiOperation.objects.all(), required=False, allow_null=True
    )
    migration_guide_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    deprecation_date = serializers.DateField(required=False, allow_null=True)
    sunset_date = serializers.DateField()


class DeprecationUpdateInputSerializer(DeprecationCreateInputSerializer):
    api_version = None
    reason = serializers.CharField(required=False)
    sunset_date = serializers.DateField(required=False)
    scope = serializers.ChoiceField(choices=Deprecation.Scope.choices, required=False)


class DeprecationRescheduleInputSerializer(serializers.Serializer):
    sunset_date = serializers.DateField()
    deprecation_date = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeprecationNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="")


class DeprecationRetireInputSerializer(serializers.Serializer):
    override_reason = serializers.CharField(required=False, allow_blank=True, default="")


class ConsumerMigrationSerializer(serializers.ModelSerializer):
    consumer_slug = serializers.CharField(source="consumer.slug", read_only=True)
    team = serializers.CharField(source="consumer.owner.slug", read_only=True)
    api_version = serializers.IntegerField(source="deprecation.api_version_id", read_only=True)
    sunset_date = serializers.DateField(source="deprecation.sunset_date", read_only=True)
    acknowledged_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ConsumerMigration
        fields = [
            "id",
            "deprecation",
            "api_version",
            "consumer",
            "consumer_slug",
            "team",
            "dependency",
            "state",
            "reason",
            "sunset_date",
            "notified_at",
            "acknowledged_by",
            "acknowledged_at",
            "migrated_at",
            "updated_at",
        ]
        read_only_fields = fields


class MigrationReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField()


class MigrationTransitionOutputSerializer(serializers.Serializer):
    action = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor = serializers.CharField(source="actor.username", default=None)
    note = serializers.CharField()
    at = serializers.DateTimeField()


class DeprecationTransitionOutputSerializer(MigrationTransitionOutputSerializer):
    data = serializers.JSONField()


ImpactPreviewSerializer = inline_serializer(
    name="DeprecationImpactPreview",
    fields={
        "direct_services": serializers.IntegerField(),
        "direct_teams": serializers.IntegerField(),
        "transitive_services": serializers.IntegerField(),
        "transitive_teams": serializers.IntegerField(),
        "teams": serializers.ListField(child=serializers.DictField()),
        "transitive": serializers.ListField(child=serializers.DictField()),
    },
)

LifecycleHeadersSerializer = inline_serializer(
    name="LifecycleHeaders",
    fields={
        "api_version": serializers.IntegerField(),
        "deprecated": serializers.BooleanField(),
        "deprecation": serializers.CharField(allow_null=True),
        "sunset": serializers.CharField(allow_null=True),
        "link": serializers.CharField(allow_null=True),
        "headers": serializers.DictField(child=serializers.CharField()),
        "operations": serializers.ListField(child=serializers.DictField()),
    },
)


# --- viewsets ------------------------------------------------------------------------------


def _body(request, input_serializer) -> dict:
    """The request body validated by ``input_serializer`` (400 when invalid); {} without one."""
    if input_serializer is None:
        return {}
    data = input_serializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


class DeprecationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Deprecations of API versions or operations. Create as a draft, then act on it."""

    serializer_class = DeprecationOutputSerializer
    filterset_class = DeprecationFilter
    ordering_fields = ["sunset_date", "deprecation_date", "created_at", "id"]
    ordering = ["sunset_date", "id"]

    def get_queryset(self):
        return sel.deprecation_list()

    def _render(self, deprecation: Deprecation, code=status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=deprecation.pk)
        return Response(DeprecationOutputSerializer(fresh).data, status=code)

    def _act(self, request, func, input_serializer=None) -> Response:
        """Parse the body with ``input_serializer`` (400 first), then ``func(deprecation=…,
        actor=…, **body)`` on the looked-up deprecation; answer it re-read."""
        values = _body(request, input_serializer)
        return self._render(func(deprecation=self.get_object(), actor=request.user, **values))

    @extend_schema(
        request=DeprecationCreateInputSerializer, responses={201: DeprecationOutputSerializer}
    )
    def create(self, request, *args, **kwargs):
        data = DeprecationCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deprecation = svc.deprecation_create(actor=request.user, **data.validated_data)
        return self._render(deprecation, status.HTTP_201_CREATED)

    @extend_schema(
        request=DeprecationUpdateInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        deprecation = self.get_object()
        data = DeprecationUpdateInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        svc.deprecation_update(deprecation=deprecation, actor=request.user, **data.validated_data)
        return self._render(deprecation)

    @extend_schema(request=None, responses={200: DeprecationOutputSerializer})
    @action(detail=True, methods=["post"])
    def announce(self, request, pk=None):
        return self._act(request, svc.deprecation_announce)

    @extend_schema(
        request=DeprecationRescheduleInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        return self._act(request, svc.deprecation_reschedule, DeprecationRescheduleInputSerializer)

    @extend_schema(
        request=DeprecationNoteInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        return self._act(request, svc.deprecation_approve, DeprecationNoteInputSerializer)

    @extend_schema(
        request=DeprecationNoteInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        return self._act(request, svc.deprecation_reject, DeprecationNoteInputSerializer)

    @extend_schema(
        request=DeprecationNoteInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._act(request, svc.deprecation_cancel, DeprecationNoteInputSerializer)

    @extend_schema(
        request=DeprecationRetireInputSerializer, responses={200: DeprecationOutputSerializer}
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        return self._act(request, svc.deprecation_retire, DeprecationRetireInputSerializer)

    @extend_schema(responses={200: ImpactPreviewSerializer})
    @action(detail=True, methods=["get"])
    def impact(self, request, pk=None):
        deprecation = self.get_object()
        preview = sel.impact_preview(
            api_version=deprecation.api_version,
            scope=deprecation.scope,
            operation_ids=[op.pk for op in deprecation.operations.all()],
        )
        return Response(preview)

    @extend_schema(responses={200: DeprecationTransitionOutputSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        deprecation = self.get_object()
        rows = deprecation.transitions.select_related("actor").order_by("at", "id")
        return Response(DeprecationTransitionOutputSerializer(rows, many=True).data)


class ConsumerMigrationViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """One migration per affected consumer service; its team marks progress."""

    serializer_class = ConsumerMigrationSerializer
    filterset_class = MigrationFilter
    ordering_fields = ["id", "state", "updated_at"]

    def get_queryset(self):
        return sel.migration_list()

    def _do(self, func, request, input_serializer=None) -> Response:
        """Parse the body with ``input_serializer`` (400 first), then ``func(migration=…,
        actor=…, **body)`` on the looked-up migration; answer it re-read."""
        values = _body(request, input_serializer)
        migration = func(migration=self.get_object(), actor=request.user, **values)
        fresh = self.get_queryset().get(pk=migration.pk)
        return Response(ConsumerMigrationSerializer(fresh).data)

    @extend_schema(request=None, responses={200: ConsumerMigrationSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        return self._do(svc.migration_acknowledge, request)

    @extend_schema(request=None, responses={200: ConsumerMigrationSerializer})
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._do(svc.migration_start, request)

    @extend_schema(request=None, responses={200: ConsumerMigrationSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._do(svc.migration_complete, request)

    @extend_schema(
        request=MigrationReasonInputSerializer, responses={200: ConsumerMigrationSerializer}
    )
    @action(detail=True, methods=["post"])
    def exempt(self, request, pk=None):
        return self._do(svc.migration_exempt, request, MigrationReasonInputSerializer)

    @extend_schema(
        request=MigrationReasonInputSerializer, responses={200: ConsumerMigrationSerializer}
    )
    @action(detail=True, methods=["post"], url_path="object")
    def object_(self, request, pk=None):
        return self._do(svc.migration_object, request, MigrationReasonInputSerializer)

    @extend_schema(responses={200: MigrationTransitionOutputSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def transitions(self, request, pk=None):
        migration = self.get_object()
        rows = migration.transitions.select_related("actor").order_by("at", "id")
        return Response(MigrationTransitionOutputSerializer(rows, many=True).data)


@extend_schema(
    responses={200: LifecycleHeadersSerializer},
    parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
    operation_id="api_versions_lifecycle_headers",
)
@api_view(["GET"])
def lifecycle_headers(request, pk: int, **kwargs):
    """Header values a gateway emits for this version: RFC 9745 ``Deprecation``, RFC 8594
    ``Sunset`` and ``Link rel="deprecation"`` (earliest dates when several deprecations apply)."""
    version = get_object_or_404(ApiVersion, pk=pk)
    return Response(sel.lifecycle_headers(api_version=version))


router = SimpleRouter()
router.register("deprecations", DeprecationViewSet, basename="deprecation")
router.register("migrations", ConsumerMigrationViewSet, basename="migration")

urlpatterns: list = [
    path(
        "api-versions/<int:pk>/lifecycle-headers/",
        lifecycle_headers,
        name="apiversion-lifecycle-headers",
    ),
]
