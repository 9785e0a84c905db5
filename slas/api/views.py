"""ViewSets of the SLA registry: parse, check permissions, call a service or selector."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response

from catalog.models import ApiVersion
from portal.api.exceptions import DomainError
from portal.api.permissions import IsStaffOrReadOnly
from slas import presets, selectors, services
from slas.api.serializers import (
    EffectivePolicySerializer,
    SlaComplianceSerializer,
    SlaIncidentSerializer,
    SlaInputSerializer,
    SlaMeasurementInputSerializer,
    SlaMeasurementPushSerializer,
    SlaMeasurementSerializer,
    SlaSerializer,
    VersioningPolicyInputSerializer,
    VersioningPolicySerializer,
)
from slas.filters import SlaFilter
from slas.models import Sla, VersioningPolicy


class CanPushMeasurements(BasePermission):
    """Signed-in users read; staff or accounts granted ``slas.push_measurements`` (monitoring
    service accounts, usually with an API token) write measurements and incidents."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        return user.is_staff or user.has_perm("slas.push_measurements")


def _input_to_service(data: dict) -> tuple[dict, list | None, list | None]:
    fields = {k: v for k, v in data.items() if k in services.SLA_FIELDS}
    return fields, data.get("severity_targets"), data.get("escalation_levels")


class SlaViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """SLAs of services and APIs. Everyone signed in reads; only staff write.

    Changing an SLA (PUT/PATCH) writes a new revision; the old one stays as read-only history.
    """

    serializer_class = SlaSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = SlaFilter
    ordering_fields = ["created_at", "availability_target", "attained_availability", "tier"]
    queryset = Sla.objects.none()

    def get_queryset(self):
        if self.action in {"list"}:
            return selectors.sla_list(active_only=False)
        return selectors.sla_queryset()

    def filter_queryset(self, queryset):
        if self.action != "list":
            return queryset  # any revision is reachable by id; filters apply to the list
        return super().filter_queryset(queryset)

    def get_permissions(self):
        if self.action in {"measurements", "incidents"}:
            return [CanPushMeasurements()]
        return super().get_permissions()

    def _respond(self, sla: Sla, code: int) -> Response:
        sla = selectors.sla_queryset().get(pk=sla.pk)
        return Response(SlaSerializer(sla, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=SlaInputSerializer, responses={201: SlaSerializer})
    def create(self, request, *args, **kwargs):
        """Create the first SLA of a service or API, optionally from a ``preset``."""
        serializer = SlaInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        fields, severity, escalation = _input_to_service(data)
        preset = data.get("preset")
        if preset:
            if preset not in presets.PRESETS:
                raise DomainError(
                    f"Unknown preset '{preset}'; choose one of {', '.join(presets.PRESETS)}.",
                    rule="sla-preset-unknown",
                    errors={"preset": ["Unknown preset."]},
                )
            values = presets.preset_values(preset)
            fields = {**values["fields"], **fields}
            if severity is None:
                severity = values["severity_targets"]
        sla = services.sla_create(
            service=data.get("service"),
            api=data.get("api"),
            fields=fields,
            severity_targets=severity,
            escalation_levels=escalation,
            actor=request.user,
        )
        return self._respond(sla, status.HTTP_201_CREATED)

    def _revise(self, request, partial: bool) -> Response:
        sla = self.get_object()
        serializer = SlaInputSerializer(data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        if "service" in data or "api" in data:
            raise DomainError(
                "The subject of an SLA cannot change; create an SLA for the other subject.",
                rule="sla-subject-fixed",
                errors={"subject": ["The subject cannot change."]},
            )
        fields, severity, escalation = _input_to_service(data)
        new = services.sla_revise(
            sla=sla,
            fields=fields,
            severity_targets=severity,
            escalation_levels=escalation,
            actor=request.user,
        )
        return self._respond(new, status.HTTP_200_OK)

    @extend_schema(request=SlaInputSerializer, responses={200: SlaSerializer})
    def update(self, request, *args, **kwargs):
        """Change the SLA: a new active revision is written (fields not sent are kept)."""
        return self._revise(request, partial=True)

    @extend_schema(request=SlaInputSerializer, responses={200: SlaSerializer})
    def partial_update(self, request, *args, **kwargs):
        return self._revise(request, partial=True)

    @extend_schema(responses={200: SlaSerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every revision of this SLA's subject, newest first."""
        sla = self.get_object()
        revisions = selectors.sla_queryset().filter(pk__in=selectors.sla_history(sla=sla))
        revisions = revisions.order_by("-revision")
        return Response(SlaSerializer(revisions, many=True).data)

    @extend_schema(
        parameters=[OpenApiParameter("today", str, description="Window end (YYYY-MM-DD)")],
        responses={200: SlaComplianceSerializer},
    )
    @action(detail=True, methods=["get"])
    def compliance(self, request, pk=None):
        """Attainment, error budget, burn rates and projected exhaustion for the window."""
        from datetime import date

        sla = self.get_object()
        today = None
        if request.query_params.get("today"):
            try:
                today = date.fromisoformat(request.query_params["today"])
            except ValueError as exc:
                raise DomainError(
                    "today must be a date (YYYY-MM-DD).", errors={"today": ["Not a date."]}
                ) from exc
        result = selectors.sla_compliance(sla=sla, today=today)
        return Response(SlaComplianceSerializer(result).data)

    @extend_schema(
        request=SlaMeasurementPushSerializer,
        responses={200: SlaMeasurementSerializer(many=True)},
    )
    @action(detail=True, methods=["get", "post"])
    def measurements(self, request, pk=None):
        """GET: the window's daily counts. POST: push counts for one day (``{day, good,
        total}``) or many (``{"measurements": [...]}``); a re-push replaces that day."""
        sla = self.get_object()
        if request.method == "GET":
            rows = selectors.sla_measurements(sla=sla)
            return Response(SlaMeasurementSerializer(rows, many=True).data)
        payload = request.data
        if isinstance(payload, list):
            payload = {"measurements": payload}
        if isinstance(payload, dict) and "measurements" in payload:
            parser = SlaMeasurementPushSerializer(data=payload)
            parser.is_valid(raise_exception=True)
            rows = [dict(r) for r in parser.validated_data["measurements"]]
        else:
            parser = SlaMeasurementInputSerializer(data=payload)
            parser.is_valid(raise_exception=True)
            rows = [dict(parser.validated_data)]
        stored = services.measurement_push(sla=sla, rows=rows)
        return Response(SlaMeasurementSerializer(stored, many=True).data)

    @extend_schema(request=SlaIncidentSerializer, responses={200: SlaIncidentSerializer(many=True)})
    @action(detail=True, methods=["get", "post"])
    def incidents(self, request, pk=None):
        """GET: recent incidents of the subject. POST: record one."""
        sla = self.get_object()
        if request.method == "GET":
            return Response(SlaIncidentSerializer(selectors.sla_incidents(sla=sla), many=True).data)
        parser = SlaIncidentSerializer(data=request.data)
        parser.is_valid(raise_exception=True)
        incident = services.incident_record(sla=sla, **parser.validated_data)
        return Response(SlaIncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


class VersioningPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Versioning policies. Everyone signed in reads; only staff write."""

    serializer_class = VersioningPolicySerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_fields = ["scheme", "is_default"]
    queryset = VersioningPolicy.objects.none()

    def get_queryset(self):
        return selectors.policy_list()

    def _respond(self, policy: VersioningPolicy, code: int) -> Response:
        return Response(
            VersioningPolicySerializer(self.get_queryset().get(pk=policy.pk)).data, status=code
        )

    @extend_schema(
        request=VersioningPolicyInputSerializer, responses={201: VersioningPolicySerializer}
    )
    def create(self, request, *args, **kwargs):
        parser = VersioningPolicyInputSerializer(data=request.data)
        parser.is_valid(raise_exception=True)
        policy = services.policy_create(fields=dict(parser.validated_data), actor=request.user)
        return self._respond(policy, status.HTTP_201_CREATED)

    @extend_schema(
        request=VersioningPolicyInputSerializer, responses={200: VersioningPolicySerializer}
    )
    def update(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)

    @extend_schema(
        request=VersioningPolicyInputSerializer, responses={200: VersioningPolicySerializer}
    )
    def partial_update(self, request, *args, **kwargs):
        policy = self.get_object()
        parser = VersioningPolicyInputSerializer(data=request.data, partial=True)
        parser.is_valid(raise_exception=True)
        policy = services.policy_update(
            policy=policy, fields=dict(parser.validated_data), actor=request.user
        )
        return self._respond(policy, status.HTTP_200_OK)

    def destroy(self, request, *args, **kwargs):
        services.policy_delete(policy=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("api_version", int, required=True)],
        responses={200: EffectivePolicySerializer},
    )
    @action(detail=False, methods=["get"])
    def effective(self, request):
        """The policy governing one API version (its frozen snapshot, the API's, or default)."""
        raw = request.query_params.get("api_version", "")
        if not (raw.isascii() and raw.isdigit()):  # "²".isdigit() is True
            raise DomainError(
                "Give ?api_version=<id>.", errors={"api_version": ["An API version id."]}
            )
        version = get_object_or_404(ApiVersion.objects.select_related("api"), pk=int(raw))
        return Response(
            EffectivePolicySerializer(selectors.policy_effective(api_version=version)).data
        )
