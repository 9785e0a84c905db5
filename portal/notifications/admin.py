"""Admin of the outbox: events, notifications (with a replay action), endpoints, allow-list."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Count

from portal.api.exceptions import DomainError
from portal.notifications import services
from portal.notifications.models import (
    ChangeEvent,
    Notification,
    NotificationEndpoint,
    RecipientPreference,
    WebhookAllowedHost,
)
from portal.notifications.netguard import normalise_host


@admin.register(ChangeEvent)
class ChangeEventAdmin(admin.ModelAdmin):
    list_display = ["title", "kind", "created_at", "actor", "notification_count"]
    list_filter = ["kind"]
    search_fields = ["title", "dedupe_key"]
    date_hierarchy = "created_at"
    list_select_related = ["actor"]
    readonly_fields = [
        "kind",
        "dedupe_key",
        "title",
        "body",
        "url",
        "payload",
        "actor",
        "created_at",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_count=Count("notifications"))

    @admin.display(description="notifications", ordering="_count")
    def notification_count(self, obj) -> int:
        return obj._count

    def has_add_permission(self, request) -> bool:
        return False  # events are written by the domain services, in the change's transaction


@admin.action(description="Replay selected notifications (dead, failed or skipped)")
def replay(modeladmin, request, queryset):
    count = services.notification_replay(notifications=list(queryset), actor=request.user)
    modeladmin.message_user(
        request,
        f"{count} notification(s) queued again; delivered ones are never re-sent.",
        messages.SUCCESS if count else messages.WARNING,
    )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "event",
        "recipient",
        "channel",
        "relation",
        "state",
        "attempts",
        "next_attempt_at",
        "delivered_at",
        "short_error",
    ]
    list_filter = ["state", "channel", "relation", "digest", "event__kind"]
    search_fields = ["event__title", "event__dedupe_key", "last_error"]
    list_select_related = ["event", "recipient"]
    raw_id_fields = ["event", "recipient"]
    actions = [replay]
    readonly_fields = [
        "event",
        "recipient",
        "channel",
        "relation",
        "path",
        "detail",
        "state",
        "attempts",
        "next_attempt_at",
        "lease_expires_at",
        "last_error",
        "digest",
        "delivered_at",
        "read_at",
        "created_at",
    ]

    @admin.display(description="last error")
    def short_error(self, obj) -> str:
        return (obj.last_error[:80] + "…") if len(obj.last_error) > 80 else obj.last_error

    def has_add_permission(self, request) -> bool:
        return False


class NotificationEndpointForm(forms.ModelForm):
    class Meta:
        model = NotificationEndpoint
        fields = ["recipient", "channel", "target", "enabled"]

    def clean(self):
        data = super().clean()
        channel = data.get("channel") or getattr(self.instance, "channel", "")
        if channel and data.get("target"):
            try:
                data["target"] = services.endpoint_validate_target(
                    channel=channel, target=data["target"]
                )
            except DomainError as exc:
                self.add_error("target", exc.detail)
        return data


@admin.register(NotificationEndpoint)
class NotificationEndpointAdmin(admin.ModelAdmin):
    """Edits go through the same service as the API: URL guard on save, generated secret."""

    form = NotificationEndpointForm

    list_display = ["recipient", "channel", "target", "enabled", "disabled_reason", "updated_at"]
    list_filter = ["channel", "enabled"]
    search_fields = ["target"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]
    fields = ["recipient", "channel", "target", "enabled", "disabled_reason", "disabled_at"]
    readonly_fields = ["disabled_reason", "disabled_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "recipient", "channel"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        endpoint, secret = services.endpoint_save(
            actor=request.user,
            recipient_id=obj.recipient_id,
            channel=obj.channel,
            target=obj.target,
            enabled=obj.enabled,
            endpoint=NotificationEndpoint.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk = endpoint.pk
        if secret:
            self.message_user(
                request,
                f"Signing secret (shown once, copy it now): {secret}",
                messages.WARNING,
            )

    def delete_model(self, request, obj):
        services.endpoint_delete(actor=request.user, endpoint=obj)


@admin.register(RecipientPreference)
class RecipientPreferenceAdmin(admin.ModelAdmin):
    list_display = ["recipient", "delivery_mode", "digest_hour", "transitive_notices"]
    list_filter = ["delivery_mode", "transitive_notices"]
    list_select_related = ["recipient"]
    raw_id_fields = ["recipient"]


@admin.register(WebhookAllowedHost)
class WebhookAllowedHostAdmin(admin.ModelAdmin):
    list_display = ["host", "note", "created_by", "created_at"]
    search_fields = ["host", "note"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request, obj, form, change):
        obj.host = normalise_host(obj.host)
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
