"""REST API of notifications: the signed-in user's inbox, team endpoints and preferences.

Thin: parse input, check permissions (``selectors``), call ``services``, render.
Roles: anonymous → 403; engineers read their own teams' inbox; team owners manage their team's
endpoints and preferences; staff manage all. Webhook secrets are write-only: shown once on
creation or rotation, never listed.
"""

from __future__ import annotations

import django_filters
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal.notifications import selectors, services
from portal.notifications.api import serializers as s
from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
)


class InboxFilter(django_filters.FilterSet):
    unread = django_filters.BooleanFilter(method="filter_unread", label="Only unread (true/false)")
    kind = django_filters.ChoiceFilter(field_name="event__kind", choices=ChangeEvent.Kind.choices)
    team = django_filters.NumberFilter(field_name="recipient_id")
    relation = django_filters.ChoiceFilter(choices=Notification.Relation.choices)

    class Meta:
        model = Notification
        fields = ["unread", "kind", "team", "relation"]

    def filter_unread(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(read_at__isnull=value)


@extend_schema_view(
    list=extend_schema(summary="The signed-in user's teams' inbox, newest first"),
    retrieve=extend_schema(summary="One inbox notification"),
)
class InboxViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = s.InboxNotificationOut
    filter_backends = [DjangoFilterBackend]
    filterset_class = InboxFilter

    def get_queryset(self):
        return selectors.inbox_for_user(user=self.request.user)

    @extend_schema(request=None, responses=s.InboxNotificationOut, summary="Mark one read")
    @action(detail=True, methods=["post"])
    def read(self, request, pk=None, version=None):
        notification = self.get_object()
        services.inbox_mark_read(user=request.user, ids=[notification.pk])
        notification.refresh_from_db()
        return Response(self.get_serializer(notification).data)

    @extend_schema(request=s.InboxMarkReadIn, responses=s.InboxMarkedOut, summary="Mark read")
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request, version=None):
        data = s.InboxMarkReadIn(data=request.data)
        data.is_valid(raise_exception=True)
        marked = services.inbox_mark_read(user=request.user, ids=data.validated_data.get("ids"))
        return Response({"marked": marked})

    @extend_schema(responses=s.InboxUnreadOut, summary="Unread count (the page header's number)")
    @action(detail=False, methods=["get"], url_path="unread-count")
    def unread_count(self, request, version=None):
        return Response({"unread": selectors.inbox_unread_count(user=request.user)})


@extend_schema_view(
    list=extend_schema(summary="Endpoints of the teams you own (all, for staff)"),
    retrieve=extend_schema(summary="One endpoint (the secret is never shown)"),
    create=extend_schema(
        request=s.NotificationEndpointCreateIn,
        responses={201: s.NotificationEndpointCreatedOut},
        summary="Add a team endpoint; a signed webhook's secret is returned once",
    ),
    partial_update=extend_schema(
        request=s.NotificationEndpointUpdateIn, responses=s.NotificationEndpointOut
    ),
    update=extend_schema(
        request=s.NotificationEndpointUpdateIn, responses=s.NotificationEndpointOut
    ),
)
class EndpointViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.NotificationEndpointOut
    queryset = NotificationEndpoint.objects.none()
    filter_backends = [DjangoFilterBackend]
    filterset_fields = ["channel", "enabled"]

    def get_queryset(self):
        return selectors.endpoints_for_user(user=self.request.user)

    def create(self, request, *args, **kwargs):
        data = s.NotificationEndpointCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not selectors.recipient_model().objects.filter(pk=v["team"]).exists():
            return Response(
                {
                    "type": "about:blank",
                    "title": "Invalid request",
                    "detail": "No such team.",
                    "errors": {"team": ["No such team."]},
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        endpoint, secret = services.endpoint_save(
            actor=request.user,
            recipient_id=v["team"],
            channel=v["channel"],
            target=v["target"],
            enabled=v["enabled"],
        )
        out = s.NotificationEndpointCreatedOut(endpoint, context={"secret": secret})
        return Response(out.data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        endpoint = self.get_object()
        data = s.NotificationEndpointUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        endpoint, _ = services.endpoint_save(
            actor=request.user,
            recipient_id=endpoint.recipient_id,
            channel=endpoint.channel,
            target=v.get("target", endpoint.target),
            enabled=v.get("enabled", endpoint.enabled),
            endpoint=endpoint,
        )
        return Response(s.NotificationEndpointOut(endpoint).data)

    def destroy(self, request, *args, **kwargs):
        services.endpoint_delete(actor=request.user, endpoint=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses=s.EndpointSecretOut, summary="Rotate a webhook secret")
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None, version=None):
        secret = services.endpoint_rotate_secret(actor=request.user, endpoint=self.get_object())
        return Response({"secret": secret})


@extend_schema_view(
    list=extend_schema(summary="Delivery preferences of the teams you own (all, for staff)"),
    retrieve=extend_schema(summary="A team's delivery preference (defaults when never set)"),
    update=extend_schema(request=s.NotificationPreferenceIn, responses=s.NotificationPreferenceOut),
    partial_update=extend_schema(
        request=s.NotificationPreferenceIn, responses=s.NotificationPreferenceOut
    ),
)
class PreferenceViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = s.NotificationPreferenceOut
    queryset = RecipientPreference.objects.none()
    lookup_field = "recipient"
    lookup_url_kwarg = "team"
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        return selectors.preferences_for_user(user=self.request.user)

    def get_object(self):
        team_id = int(self.kwargs["team"])
        team = get_object_or_404(selectors.recipient_model(), pk=team_id)
        if not selectors.user_can_manage_recipient(user=self.request.user, recipient_id=team_id):
            raise PermissionDenied("Only the team's owners or staff see its notification settings.")
        pref = RecipientPreference.objects.filter(recipient_id=team_id).first()
        return pref or RecipientPreference(recipient=team)

    def update(self, request, *args, **kwargs):
        pref = self.get_object()
        data = s.NotificationPreferenceIn(data=request.data)
        data.is_valid(raise_exception=True)
        pref = services.preference_set(
            actor=request.user, recipient_id=pref.recipient_id, **data.validated_data
        )
        return Response(s.NotificationPreferenceOut(pref).data)
