"""REST API of the spec registry.

- ``POST /api/v1/apis/{slug}/spec-check/`` — the CI check (like ``oasdiff breaking``): findings
  of a document against the latest supported version (or every supported version when the API's
  policy has ``compare_against: all_supported``; then ``base_versions`` lists them); each
  finding names its ``base_version``; stores nothing.
- ``POST /api/v1/apis/{slug}/publish/`` — publish a new version with its spec (the whole flow:
  validation, policy enforcement, operations, findings, consumer notification).
- ``GET /api/v1/api-versions/{id}/spec/`` — the stored findings of a version.

Spec-check, publish and the stored findings name, on every finding, the ``base_version`` it is
against (whatever the policy's ``compare_against``); publish and the stored findings list
``base_versions`` when the version was compared with more than one version.

A document is sent as JSON ``{"spec": "<yaml or json text>"}`` or as a multipart file ``spec``.
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from catalog.models import Api, ApiOperation, ApiVersion
from catalog.openapi.findings import summary
from catalog.selectors.permissions import user_can_edit_service
from catalog.selectors.specs import (
    spec_compared_versions,
    spec_finding_dicts,
    spec_findings,
    spec_for_version,
)
from catalog.services.specs import spec_check, spec_max_bytes
from portal.api.exceptions import DomainError, problem

router = SimpleRouter()

# JSON escaping can grow a document; leave room for it and the envelope.
_ENVELOPE_FACTOR = 2


class SpecUploadSerializer(serializers.Serializer):
    spec = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class SpecPublishSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=100)
    stability = serializers.ChoiceField(
        choices=ApiVersion.Stability.choices, default=ApiVersion.Stability.STABLE
    )
    changelog = serializers.CharField(required=False, allow_blank=True, default="")
    released_on = serializers.DateField(required=False, allow_null=True, default=None)
    spec = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class SpecFindingSerializer(serializers.Serializer):
    id = serializers.CharField()
    level = serializers.CharField()
    text = serializers.CharField()
    method = serializers.CharField()
    path = serializers.CharField()
    operation_id = serializers.CharField()
    location = serializers.CharField()
    property_path = serializers.CharField()
    section = serializers.CharField()
    base_version = serializers.CharField(
        required=False,
        help_text=(
            "The version this finding is against (spec-check, publish, a 422 refusal and the "
            "stored findings)."
        ),
    )


CheckResultSerializer = inline_serializer(
    "SpecCheckResult",
    {
        "base_version": serializers.CharField(allow_null=True),
        "base_versions": serializers.ListField(
            child=serializers.CharField(),
            required=False,
            help_text=(
                "Every version compared with, lowest first: in a spec-check when the policy's "
                "compare_against is all_supported; in publish and stored findings when there "
                "were several."
            ),
        ),
        "breaking": serializers.BooleanField(),
        "summary": serializers.DictField(child=serializers.IntegerField()),
        "findings": SpecFindingSerializer(many=True),
    },
)


def _too_large(request) -> Response | None:
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    limit = spec_max_bytes()
    if length > limit * _ENVELOPE_FACTOR:
        return problem(
            status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
            f"The upload is {length} bytes; a spec may be at most {limit} bytes.",
            errors={"spec": [f"At most {limit} bytes."]},
            rule="spec-too-large",
        )
    return None


def _stored_findings(spec) -> dict:
    """The findings part of the publish and stored-findings bodies: ``base_version`` (the
    closest version compared with), ``base_versions`` (only when there were several),
    ``breaking``, ``summary`` and the findings, each naming its ``base_version``."""
    findings = spec_findings(spec=spec)
    compared = spec_compared_versions(spec=spec)
    body = {
        "base_version": compared[-1] if compared else None,
        "breaking": any(f.is_error for f in findings),
        "summary": summary(findings),
        "findings": spec_finding_dicts(spec=spec),
    }
    if len(compared) > 1:
        body["base_versions"] = compared
    return body


def _document(request, *, required: bool = True) -> str:
    upload = request.FILES.get("spec") if hasattr(request, "FILES") else None
    if upload is not None:
        if upload.size > spec_max_bytes():
            raise DomainError(
                f"The spec is {upload.size} bytes; the limit is {spec_max_bytes()} bytes.",
                rule="spec-too-large",
                errors={"spec": [f"At most {spec_max_bytes()} bytes."]},
            )
        data = upload.read()
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise DomainError(
                "The spec is not UTF-8 text.", rule="spec-invalid", errors={"spec": ["Not UTF-8."]}
            ) from exc
    text = request.data.get("spec") if hasattr(request.data, "get") else None
    if required and not (isinstance(text, str) and text.strip()):
        raise DomainError(
            "Send the OpenAPI document as `spec`.", errors={"spec": ["This field is required."]}
        )
    return text or ""


class SpecCheckView(APIView):
    """Findings of a candidate document against the latest supported version, or every
    supported version when the API's policy compares against all of them. Stores nothing."""

    @extend_schema(
        request=SpecUploadSerializer,
        responses={200: CheckResultSerializer},
        operation_id="api_spec_check",
    )
    def post(self, request, slug: str):
        refused = _too_large(request)
        if refused is not None:
            return refused
        api = get_object_or_404(Api, slug=slug)
        result = spec_check(api=api, document=_document(request))
        return Response(result.as_dict())


class SpecPublishView(APIView):
    """Publish a new version of an API with its OpenAPI document (owners of the provider's team
    and staff). 422 with the findings when the policy refuses a breaking change."""

    @extend_schema(
        request=SpecPublishSerializer,
        responses={201: CheckResultSerializer},
        operation_id="api_publish",
    )
    def post(self, request, slug: str):
        refused = _too_large(request)
        if refused is not None:
            return refused
        api = get_object_or_404(Api.objects.select_related("provider"), slug=slug)
        if not user_can_edit_service(user=request.user, service=api.provider):
            raise PermissionDenied(
                "Only owners of the providing team (or staff) may publish versions."
            )
        fields = {k: request.data.get(k) for k in request.data if k != "spec"}
        serializer = SpecPublishSerializer(data=fields)
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        values["spec"] = _document(request, required=False)
        from catalog.services.catalog import api_version_create

        with transaction.atomic():
            version = api_version_create(api=api, actor=request.user, **values)
        spec = spec_for_version(api_version=version)
        return Response(
            {
                "id": version.pk,
                "version": version.version,
                "operations": ApiOperation.objects.filter(api_version=version).count(),
                **_stored_findings(spec),
            },
            status=status.HTTP_201_CREATED,
        )


class VersionSpecView(APIView):
    """The stored findings of one version (empty when it has no spec)."""

    @extend_schema(responses={200: CheckResultSerializer}, operation_id="api_version_spec")
    def get(self, request, pk: int):
        version = get_object_or_404(ApiVersion, pk=pk)
        return Response(_stored_findings(spec_for_version(api_version=version)))


urlpatterns = [
    path("apis/<slug:slug>/spec-check/", SpecCheckView.as_view(), name="api-spec-check"),
    path("apis/<slug:slug>/publish/", SpecPublishView.as_view(), name="api-publish"),
    path("api-versions/<int:pk>/spec/", VersionSpecView.as_view(), name="apiversion-spec"),
]
