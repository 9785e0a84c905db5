"""Django admin of the deprecation workflow.

State changes go through the same services as the API and the pages (admin actions), so the
guards and the audit trail hold whichever door a change comes through; the state fields are
read-only here.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import models

from catalog.models import (
    ConsumerMigration,
    Deprecation,
    DeprecationTransition,
    MigrationTransition,
)
from catalog.services import deprecations as svc
from portal.api.exceptions import DomainError


class DeprecationTransitionInline(admin.TabularInline):
    model = DeprecationTransition
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_state", "to_state", "actor", "note", "data"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _run(modeladmin, request, queryset, label, call):
    done = 0
    for obj in queryset.order_by("pk"):
        try:
            call(obj, request.user)
            done += 1
        except DomainError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{label}: {done}.", messages.SUCCESS)


@admin.register(Deprecation)
class DeprecationAdmin(admin.ModelAdmin):
    list_display = ["__str__", "scope", "state", "deprecation_date", "sunset_date", "published_by"]
    list_filter = ["state", "scope", "api_version__stability"]
    search_fields = ["api_version__api__name", "api_version__api__slug", "api_version__version"]
    date_hierarchy = "sunset_date"
    list_select_related = ["api_version__api", "published_by"]
    raw_id_fields = ["api_version", "replacement_version", "replacement_operation"]
    filter_horizontal = ["operations"]
    readonly_fields = [
        "state",
        "proposed_sunset_date",
        "created_by",
        "published_by",
        "announced_at",
        "retired_at",
        "cancelled_at",
        "override_reason",
        "created_at",
        "updated_at",
    ]
    inlines = [DeprecationTransitionInline]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["announce", "approve_earlier_sunset", "cancel"]

    def has_add_permission(self, request) -> bool:
        # Drafts are created through the page or the API (the service checks the rules).
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and obj.state != Deprecation.State.DRAFT:
            return False  # announced deprecations change only through their actions
        return super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in svc.DRAFT_FIELDS and name != "operations"
        }
        svc.deprecation_update(deprecation=obj, actor=request.user, **changes)

    def save_related(self, request, form, formsets, change):
        if "operations" in form.changed_data:
            svc.deprecation_update(
                deprecation=form.instance,
                actor=request.user,
                operations=form.cleaned_data["operations"],
            )

    @admin.action(description="Announce selected drafts")
    def announce(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Announced",
            lambda d, u: svc.deprecation_announce(deprecation=d, actor=u),
        )

    @admin.action(description="Approve the earlier sunset")
    def approve_earlier_sunset(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Approved",
            lambda d, u: svc.deprecation_approve(deprecation=d, actor=u),
        )

    @admin.action(description="Cancel selected deprecations")
    def cancel(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            "Cancelled",
            lambda d, u: svc.deprecation_cancel(deprecation=d, actor=u, note="via admin"),
        )


class MigrationTransitionInline(admin.TabularInline):
    model = MigrationTransition
    extra = 0
    can_delete = False
    fields = ["at", "action", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ConsumerMigration)
class ConsumerMigrationAdmin(admin.ModelAdmin):
    list_display = ["consumer", "deprecation", "state", "acknowledged_by", "updated_at"]
    list_filter = ["state", "deprecation__state"]
    search_fields = ["consumer__slug", "consumer__name", "deprecation__api_version__api__slug"]
    list_select_related = ["consumer", "deprecation__api_version__api", "acknowledged_by"]
    readonly_fields = [
        "deprecation",
        "consumer",
        "dependency",
        "state",
        "reason",
        "notified_at",
        "acknowledged_by",
        "acknowledged_at",
        "migrated_at",
        "created_at",
        "updated_at",
    ]
    inlines = [MigrationTransitionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
