"""Admin: feedback moderation and roadmap items. Writes go through the same services as the API."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from portal.api.exceptions import DomainError
from portal.health import services
from portal.health.models import Feedback, FeedbackRevision, RoadmapItem


class FeedbackRevisionInline(admin.TabularInline):
    model = FeedbackRevision
    extra = 0
    can_delete = False
    readonly_fields = ["rating", "comment", "author", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ["api", "consumer_team", "rating", "hidden", "updated_at"]
    list_filter = ["hidden", "rating"]
    search_fields = ["api__name", "consumer_team__name", "comment"]
    list_select_related = ["api", "consumer_team"]
    readonly_fields = ["consumer_team", "api", "rating", "comment", "author", "created_at",
                       "updated_at"]  # fmt: skip
    fields = [*readonly_fields, "hidden", "moderation_note"]
    inlines = [FeedbackRevisionInline]
    actions = ["hide", "show"]

    def has_add_permission(self, request):
        return False  # ratings come from consumer teams, through the page or the API

    def save_model(self, request, obj, form, change):
        services.feedback_moderate(
            actor=request.user, feedback=obj, hidden=obj.hidden, note=obj.moderation_note
        )

    @admin.action(description="Hide the selected feedback (moderation)")
    def hide(self, request, queryset):
        for feedback in queryset:
            services.feedback_moderate(actor=request.user, feedback=feedback, hidden=True)

    @admin.action(description="Show the selected feedback again")
    def show(self, request, queryset):
        for feedback in queryset:
            services.feedback_moderate(actor=request.user, feedback=feedback, hidden=False)


class RoadmapItemForm(forms.ModelForm):
    class Meta:
        model = RoadmapItem
        fields = ["title", "description", "layer", "service", "team", "target_quarter", "status",
                  "depends_on"]  # fmt: skip

    def clean(self):
        data = super().clean()
        try:
            services.roadmap_item_validate(
                item_id=self.instance.pk,
                title=data.get("title", ""),
                layer=data.get("layer", ""),
                target_quarter=data.get("target_quarter", ""),
                status=data.get("status", ""),
                depends_on=list(data.get("depends_on") or []),
            )
        except DomainError as exc:
            for field, msgs in exc.errors.items():
                if field in self.fields and field not in self.errors:
                    for msg in msgs:
                        self.add_error(field, msg)
        return data


@admin.register(RoadmapItem)
class RoadmapItemAdmin(admin.ModelAdmin):
    form = RoadmapItemForm
    list_display = ["title", "layer", "target_quarter", "status", "team", "service"]
    list_filter = ["layer", "status", "target_quarter"]
    search_fields = ["title", "description"]
    list_select_related = ["team", "service"]
    raw_id_fields = ["service", "team"]
    filter_horizontal = ["depends_on"]

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        saved = services.roadmap_item_save(
            actor=request.user,
            item=RoadmapItem.objects.get(pk=obj.pk) if change else None,
            title=data["title"],
            description=data.get("description", ""),
            layer=data["layer"],
            target_quarter=data["target_quarter"],
            status=data["status"],
            service=data.get("service"),
            team=data.get("team"),
            depends_on=list(data.get("depends_on") or []),
        )
        obj.pk = saved.pk
        obj.team = saved.team
        obj.created_at, obj.updated_at = saved.created_at, saved.updated_at

    def save_related(self, request, form, formsets, change):
        """The prerequisites were set by the service in save_model."""

    def delete_model(self, request, obj):
        services.roadmap_item_delete(actor=request.user, item=obj)
