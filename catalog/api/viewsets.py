"""The shape every catalog-core ViewSet shares (teams, services, APIs, API versions, dependencies).

``CatalogViewSet`` lists and retrieves through ``get_queryset``, and writes through one path:

- ``POST``: the ``create_serializer_class`` parses the body (400), ``create_with`` checks
  permissions and calls the service, the new row is answered with 201;
- ``PATCH {id}``: the row is found (404), ``check_change`` refuses (403) before the body is read,
  ``update_serializer_class`` parses it (400), ``update_with`` calls the service (and checks
  whatever the body moves, e.g. a new owner);
- ``DELETE {id}``: the row is found (404), ``check_delete`` refuses (403; ``check_change`` unless
  overridden), ``perform_destroy`` calls the service, 204.

A written row is answered re-read through ``get_queryset`` (with its annotations) and rendered by
``detail_serializer_class`` (default ``serializer_class``), as ``GET {id}`` renders it.

The OpenAPI operations of list, retrieve, create, partial_update and destroy are declared from
those serializer attributes, with the one error body (``CatalogErrorSerializer``); a subclass only
states its serializers, queryset, lookup and checks.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db.models import Model
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response


class CatalogErrorSerializer(serializers.Serializer):
    """The one error body of the API (400/403/404/409/422)."""

    type = serializers.CharField()
    title = serializers.CharField()
    detail = serializers.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


ERRORS = {
    400: OpenApiResponse(CatalogErrorSerializer, description="Invalid input"),
    403: OpenApiResponse(CatalogErrorSerializer, description="Not allowed"),
    404: OpenApiResponse(CatalogErrorSerializer, description="Not found"),
    409: OpenApiResponse(CatalogErrorSerializer, description="Conflicts with the current state"),
}
READ_ERRORS = {403: ERRORS[403], 404: ERRORS[404]}
LIST_ERRORS = {400: ERRORS[400], 403: ERRORS[403], 404: ERRORS[404]}


def deny(message: str) -> NoReturn:
    """Refuse the request: 403 with ``message`` as the error body's detail."""
    raise PermissionDenied(message)


class CatalogViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # No docstring on purpose: an operation without its own docstring is described by the
    # ViewSet's, and drf-spectacular would fall back to this class's for a subclass without one.

    filter_backends = [DjangoFilterBackend]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    #: body of POST (parsed before ``create_with``) and of PATCH (parsed after ``check_change``)
    create_serializer_class: type[serializers.Serializer]
    update_serializer_class: type[serializers.Serializer]
    #: what ``GET {id}``, POST and PATCH answer with; None: ``serializer_class``
    detail_serializer_class: type[serializers.Serializer] | None = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        listed = cls.serializer_class
        detail = cls.detail_serializer_class or listed
        extend_schema_view(
            list=extend_schema(responses={200: listed(many=True), **LIST_ERRORS}),
            retrieve=extend_schema(responses={200: detail, **READ_ERRORS}),
            create=extend_schema(
                request=cls.create_serializer_class, responses={201: detail, **ERRORS}
            ),
            partial_update=extend_schema(
                request=cls.update_serializer_class, responses={200: detail, **ERRORS}
            ),
        )(cls)

    # --- what a subclass states ----------------------------------------------------------------

    def check_change(self, instance: Model) -> None:
        """Refuse (``deny``) unless the user may change ``instance``."""
        raise NotImplementedError

    def check_delete(self, instance: Model) -> None:
        """Refuse (``deny``) unless the user may delete ``instance``; as ``check_change``."""
        self.check_change(instance)

    def create_with(self, values: dict) -> Model:
        """Check what ``values`` (the validated body) touches, create the row through the
        service and return it."""
        raise NotImplementedError

    def update_with(self, instance: Model, values: dict) -> None:
        """Check what ``values`` (the validated body) moves, update ``instance`` through the
        service."""
        raise NotImplementedError

    def perform_destroy(self, instance: Model) -> None:
        """Delete ``instance`` through the service."""
        raise NotImplementedError

    # --- the shared shape ----------------------------------------------------------------------
    # (the actions carry no docstring: it would become every operation's description)

    def get_serializer_class(self):
        if self.action == "retrieve" and self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return self.serializer_class

    def written(self, instance: Model, *, code: int = status.HTTP_200_OK) -> Response:
        """``instance`` re-read through ``get_queryset`` and rendered as ``GET {id}`` renders it."""
        fresh = self.get_queryset().get(pk=instance.pk)
        serializer_class = self.detail_serializer_class or self.serializer_class
        return Response(
            serializer_class(fresh, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request, *args, **kwargs):
        data = self.create_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        instance = self.create_with(data.validated_data)
        return self.written(instance, code=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_change(instance)
        data = self.update_serializer_class(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        self.update_with(instance, data.validated_data)
        return self.written(instance)

    @extend_schema(responses={204: None, **ERRORS})
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.check_delete(instance)
        self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)
