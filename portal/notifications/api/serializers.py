"""Input and output serializers of the notifications API (unique names for the schema)."""

from __future__ import annotations

from rest_framework import serializers

from portal.notifications.models import (
    ChangeEvent,
    DeliveryMode,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
)


class NotificationTeamOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class InboxNotificationOut(serializers.ModelSerializer):
    team = serializers.SerializerMethodField()
    kind = serializers.ChoiceField(source="event.kind", choices=ChangeEvent.Kind.choices)
    title = serializers.CharField(source="event.title")
    body = serializers.CharField(source="event.body")
    url = serializers.CharField(source="event.url")
    payload = serializers.JSONField(source="event.payload")
    event_id = serializers.IntegerField()
    unread = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "event_id",
            "team",
            "kind",
            "title",
            "body",
            "url",
            "payload",
            "relation",
            "path",
            "detail",
            "created_at",
            "read_at",
            "unread",
        ]
        read_only_fields = fields

    def get_team(self, obj) -> NotificationTeamOut:
        return {"id": obj.recipient_id, "name": str(obj.recipient)}

    def get_unread(self, obj) -> bool:
        return obj.read_at is None


class InboxMarkReadIn(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        max_length=500,
        help_text="Notifications to mark read; omit to mark every unread notification read.",
    )


class InboxMarkedOut(serializers.Serializer):
    marked = serializers.IntegerField()


class InboxUnreadOut(serializers.Serializer):
    unread = serializers.IntegerField()


class NotificationEndpointOut(serializers.ModelSerializer):
    team = serializers.IntegerField(source="recipient_id")
    team_name = serializers.SerializerMethodField()
    has_secret = serializers.SerializerMethodField()

    class Meta:
        model = NotificationEndpoint
        fields = [
            "id",
            "team",
            "team_name",
            "channel",
            "target",
            "enabled",
            "disabled_reason",
            "disabled_at",
            "has_secret",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_team_name(self, obj) -> str:
        return str(obj.recipient)

    def get_has_secret(self, obj) -> bool:
        return bool(obj.secret)


class NotificationEndpointCreatedOut(NotificationEndpointOut):
    secret = serializers.SerializerMethodField(
        help_text="The signing secret of a signed webhook; shown only in this response."
    )

    class Meta(NotificationEndpointOut.Meta):
        fields = [*NotificationEndpointOut.Meta.fields, "secret"]
        read_only_fields = fields

    def get_secret(self, obj) -> str | None:
        return self.context.get("secret")


class NotificationEndpointCreateIn(serializers.Serializer):
    team = serializers.IntegerField(min_value=1)
    channel = serializers.ChoiceField(choices=NotificationEndpoint.Channel.choices)
    target = serializers.CharField(max_length=2000)
    enabled = serializers.BooleanField(default=True)


class NotificationEndpointUpdateIn(serializers.Serializer):
    target = serializers.CharField(max_length=2000, required=False)
    enabled = serializers.BooleanField(required=False)


class EndpointSecretOut(serializers.Serializer):
    secret = serializers.CharField()


class NotificationPreferenceOut(serializers.ModelSerializer):
    team = serializers.IntegerField(source="recipient_id")
    team_name = serializers.SerializerMethodField()

    class Meta:
        model = RecipientPreference
        fields = ["team", "team_name", "delivery_mode", "digest_hour", "transitive_notices"]
        read_only_fields = fields

    def get_team_name(self, obj) -> str:
        return str(obj.recipient)


class NotificationPreferenceIn(serializers.Serializer):
    delivery_mode = serializers.ChoiceField(choices=DeliveryMode.choices, required=False)
    digest_hour = serializers.IntegerField(min_value=0, max_value=23, required=False)
    transitive_notices = serializers.BooleanField(required=False)
