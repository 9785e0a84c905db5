"""REST API of the Backstage import: staff upload a YAML body or an archive; progress by id."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import BaseParser, FileUploadParser, FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.routers import SimpleRouter
from rest_framework.views import APIView

from catalog.models import ImportJob
from catalog.selectors.imports import import_job_get
from catalog.services.imports import import_job_create
from portal.api.permissions import IsStaff

router = SimpleRouter()


class YamlParser(BaseParser):
    """Keeps a YAML body as bytes; the import reads it."""

    media_type = "application/yaml"

    def parse(self, stream, media_type=None, parser_context=None):
        return {"body": stream.read()}


class TextYamlParser(YamlParser):
    media_type = "text/yaml"


class XYamlParser(YamlParser):
    media_type = "application/x-yaml"


class ImportJobOutputSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    percent = serializers.IntegerField(read_only=True)
    created_by = serializers.CharField(source="created_by.username", default=None)

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "status",
            "source",
            "payload_kind",
            "prune",
            "dry_run",
            "strict",
            "phase",
            "progress_done",
            "progress_total",
            "percent",
            "summary",
            "problems",
            "error",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_url(self, obj) -> str:
        return f"/api/v1/catalog/import/{obj.pk}/"


class ImportJobInputSerializer(serializers.Serializer):
    file = serializers.FileField(required=False, help_text="catalog-info.yaml, .tar.gz or .zip")
    source = serializers.CharField(required=False, max_length=500)
    prune = serializers.BooleanField(required=False, default=False)
    dry_run = serializers.BooleanField(required=False, default=False)
    strict = serializers.BooleanField(required=False, default=False)


def _kind_of(name: str, data: bytes) -> str:
    lowered = name.lower()
    if lowered.endswith(".zip") or data[:4] == b"PK\x03\x04":
        return ImportJob.PayloadKind.ZIP
    if lowered.endswith((".tar.gz", ".tgz", ".tar")) or data[:2] == b"\x1f\x8b":
        return ImportJob.PayloadKind.TAR
    return ImportJob.PayloadKind.YAML


class CatalogImportView(APIView):
    """``POST /api/v1/catalog/import/``: staff only; YAML body or multipart ``file``."""

    permission_classes = [IsStaff]
    parser_classes = [
        YamlParser,
        TextYamlParser,
        XYamlParser,
        MultiPartParser,
        FormParser,
        FileUploadParser,
    ]

    @extend_schema(
        request={"multipart/form-data": ImportJobInputSerializer, "application/yaml": bytes},
        responses={
            202: ImportJobOutputSerializer,
            400: OpenApiResponse(description="Invalid upload"),
        },
        operation_id="catalog_import_create",
    )
    def post(self, request):
        options = ImportJobInputSerializer(
            data={**request.query_params.dict(), **_form(request.data)}
        )
        options.is_valid(raise_exception=True)
        if "body" in request.data:
            payload, name = request.data["body"], "catalog-info.yaml"
        elif request.FILES.get("file") is not None:
            upload = request.FILES["file"]
            payload, name = upload.read(), upload.name or "upload"
        else:
            raise ValidationError(
                {"file": ["Send a YAML body or a multipart 'file' (.yaml, .tar.gz, .zip)."]}
            )
        job = import_job_create(
            payload=payload,
            payload_kind=_kind_of(name, payload),
            source=options.validated_data.get("source") or f"upload:{name}",
            actor=request.user,
            prune=options.validated_data["prune"],
            dry_run=options.validated_data["dry_run"],
            strict=options.validated_data["strict"],
        )
        job.refresh_from_db()
        return Response(ImportJobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def _form(data) -> dict:
    if hasattr(data, "dict"):
        data = data.dict()
    return {k: v for k, v in dict(data).items() if k in ("source", "prune", "dry_run", "strict")}


class CatalogImportDetailView(APIView):
    """``GET /api/v1/catalog/import/{id}/``: status, progress and report of one import."""

    permission_classes = [IsStaff]

    @extend_schema(
        responses={200: ImportJobOutputSerializer}, operation_id="catalog_import_retrieve"
    )
    def get(self, request, pk: int):
        job = import_job_get(pk=pk)
        if job is None:
            raise NotFound("No such import.")
        return Response(ImportJobOutputSerializer(job).data)


urlpatterns = [
    path("catalog/import/", CatalogImportView.as_view(), name="catalog-import"),
    path(
        "catalog/import/<int:pk>/", CatalogImportDetailView.as_view(), name="catalog-import-detail"
    ),
]
