"""Django admin of the catalog core.

Every write of Team, Membership, Service, Api, ApiVersion and Dependency goes through
``catalog.services.catalog`` (the same functions as the API and the pages), so the rules hold
whichever door a change comes through: a refusal (``DomainError``) rolls the whole change back and
re-shows the form with the service's message on the field it names. Changelists join what they show
and use autocomplete widgets, so they stay fast at 10,000 rows.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpResponseRedirect

from catalog.models import (
    Api,
    ApiOperation,
    ApiVersion,
    Dependency,
    Domain,
    Membership,
    Service,
    System,
    Tag,
    Team,
)
from catalog.services import catalog as svc
from portal.api.exceptions import DomainError

# --- the plumbing shared by the service-backed admins ------------------------------------------


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved ``obj`` the row a service just created (pk and every column)."""
    for f in saved._meta.concrete_fields:
        setattr(obj, f.attname, getattr(saved, f.attname))
    obj._state.adding = False
    obj._state.db = saved._state.db


def _changed(form, names) -> dict:
    """The cleaned values of the fields in ``names`` that the user changed."""
    return {n: form.cleaned_data[n] for n in names if n in form.changed_data}


def _domain_error_form(form_class, error: DomainError):
    """``form_class`` whose validation reports ``error`` (on the fields it names, if shown)."""

    class WithDomainError(form_class):
        def clean(self):
            data = super().clean()
            placed = False
            for name, msgs in (error.errors or {}).items():
                if name in self.fields and name not in self.errors:
                    for msg in msgs:
                        self.add_error(name, msg)
                    placed = True
            if not placed:
                self.add_error(None, error.detail)
            return data

    WithDomainError.__name__ = form_class.__name__
    return WithDomainError


class ServiceBackedAdmin(admin.ModelAdmin):
    """Saves and deletes through catalog services; a refusal re-shows the form with its message.

    Subclasses implement ``service_save(request, obj, form, change) -> saved`` and may implement
    ``service_delete(obj)`` and ``service_save_formset(request, form, formset, change)``.
    Many-to-many fields are the services' business too: ``form.save_m2m`` is not called.
    """

    show_full_result_count = False  # no second COUNT(*) over 10,000 rows
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def service_save(self, request, obj, form, change):  # pragma: no cover - abstract
        raise NotImplementedError

    def service_delete(self, obj) -> None:
        obj.delete()

    def service_save_formset(self, request, form, formset, change) -> None:
        formset.save()

    def save_model(self, request, obj, form, change) -> None:
        saved = self.service_save(request, obj, form, change)
        if saved is not None and saved is not obj:
            _adopt(obj, saved)

    def save_related(self, request, form, formsets, change) -> None:
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change) -> None:
        self.service_save_formset(request, form, formset, change)

    def delete_model(self, request, obj) -> None:
        self.service_delete(obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset.order_by("pk"):
            try:
                with transaction.atomic():
                    self.service_delete(obj)
            except DomainError as exc:
                self.message_user(request, f"{obj}: {exc.detail}", messages.ERROR)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        error = getattr(request, "_catalog_domain_error", None)
        return _domain_error_form(form, error) if error is not None else form

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except (DomainError, ValidationError) as exc:
            # The admin's transaction is rolled back; show the same POST again, now invalid.
            if isinstance(exc, ValidationError):
                errors = exc.message_dict if hasattr(exc, "error_dict") else {}
                exc = DomainError("; ".join(exc.messages), errors=errors)
            request._catalog_domain_error = exc
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.detail, messages.ERROR)
            return HttpResponseRedirect(request.path.rsplit("delete/", 1)[0])


def _formset_rows(formset):
    """(new, changed, deleted) instances of a bound inline formset, without saving anything."""
    formset.save(commit=False)
    changed = [(obj, fields) for obj, fields in formset.changed_objects]
    return formset.new_objects, changed, formset.deleted_objects


# --- teams ---------------------------------------------------------------------------------

TEAM_FIELDS = ("name", "description", "email", "chat_channel")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(ServiceBackedAdmin):
    list_display = ["name", "slug", "email", "chat_channel"]
    search_fields = ["name", "slug", "email"]
    ordering = ["name"]
    inlines = [MembershipInline]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def service_save(self, request, obj, form, change):
        if change:
            return svc.team_update(team=obj, **_changed(form, TEAM_FIELDS))
        data = form.cleaned_data
        return svc.team_create(
            slug=data["slug"],
            name=data["name"],
            **{k: data[k] for k in TEAM_FIELDS if k != "name"},
        )

    def service_delete(self, obj) -> None:
        svc.team_delete(team=obj)

    def service_save_formset(self, request, form, formset, change) -> None:
        team = form.instance
        new, changed, deleted = _formset_rows(formset)
        for membership in deleted:
            svc.team_member_remove(team=team, user=membership.user)
        for membership, fields in changed:
            if "user" in fields:  # a row moved to another person: the old one leaves
                old = Membership.objects.get(pk=membership.pk)
                svc.team_member_remove(team=team, user=old.user)
            svc.team_member_set(team=team, user=membership.user, role=membership.role)
        for membership in new:
            svc.team_member_set(team=team, user=membership.user, role=membership.role)


# --- services ------------------------------------------------------------------------------

# What service_create/update set, but tags: the admin form gives them as objects (see below).
SERVICE_FIELDS = tuple(f for f in svc.SERVICE_FIELD_ORDER if f != "tags")
API_FIELDS = ("name", "type", "audience", "description", "policy")


class ApiInline(admin.TabularInline):
    model = Api
    extra = 0
    fields = ["slug", "name", "type", "audience"]
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return []


@admin.register(Service)
class ServiceAdmin(ServiceBackedAdmin):
    list_display = ["name", "slug", "owner", "layer", "tier", "lifecycle", "updated_at"]
    list_filter = ["layer", "tier", "lifecycle"]
    list_select_related = ["owner"]
    search_fields = ["name", "slug", "owner__name", "owner__slug"]
    autocomplete_fields = ["owner", "system", "tags"]
    ordering = ["name"]
    inlines = [ApiInline]
    fieldsets = [
        (None, {"fields": ["slug", "name", "description", "owner", "system", "kind"]}),
        ("Classification", {"fields": ["layer", "tier", "lifecycle", "tags"]}),
        (
            "Links and notes",
            {
                "fields": [
                    "repository_url",
                    "documentation_url",
                    "runbook_url",
                    "links",
                    "onboarding_notes",
                    "annotations",
                ]
            },
        ),
    ]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def service_save(self, request, obj, form, change):
        fields = _changed(form, SERVICE_FIELDS)
        if "tags" in form.changed_data or not change:
            fields["tags"] = [t.slug for t in form.cleaned_data.get("tags") or []]
        if change:
            return svc.service_update(service=obj, **fields)
        data = form.cleaned_data
        fields = {k: data[k] for k in SERVICE_FIELDS if k in data} | {"tags": fields["tags"]}
        return svc.service_create(
            slug=data["slug"],
            **{k: v for k, v in fields.items() if v is not None or k == "system"},
        )

    def service_delete(self, obj) -> None:
        svc.service_delete(service=obj)

    def service_save_formset(self, request, form, formset, change) -> None:
        provider = form.instance
        new, changed, deleted = _formset_rows(formset)
        for api in deleted:
            svc.api_delete(api=api)
        for api, fields in changed:
            if "slug" in fields:  # compared with the stored slug, the service refuses the change
                svc.api_update(api=Api.objects.get(pk=api.pk), slug=api.slug)
            svc.api_update(api=api, **{f: getattr(api, f) for f in fields if f in API_FIELDS})
        for api in new:
            svc.api_create(
                slug=api.slug,
                name=api.name,
                provider=provider,
                type=api.type,
                audience=api.audience,
            )


# --- APIs and versions ---------------------------------------------------------------------

VERSION_FIELDS = ("stability", "status", "released_on", "changelog", "spec")


class ApiVersionInline(admin.TabularInline):
    model = ApiVersion
    extra = 0
    fields = ["version", "stability", "status", "released_on"]
    show_change_link = True
    ordering = ["-major", "-minor", "-patch", "prerelease"]


@admin.register(Api)
class ApiAdmin(ServiceBackedAdmin):
    list_display = ["name", "slug", "provider", "type", "audience"]
    list_filter = ["type", "audience"]
    list_select_related = ["provider"]
    search_fields = ["name", "slug", "provider__name", "provider__slug"]
    autocomplete_fields = ["provider"]
    ordering = ["name"]
    inlines = [ApiVersionInline]

    def get_readonly_fields(self, request, obj=None):
        return ["slug"] if obj else []

    def service_save(self, request, obj, form, change):
        if change:
            return svc.api_update(api=obj, **_changed(form, (*API_FIELDS, "provider")))
        data = form.cleaned_data
        return svc.api_create(
            slug=data["slug"],
            name=data["name"],
            provider=data["provider"],
            **{k: data[k] for k in API_FIELDS if k != "name" and k in data},
        )

    def service_delete(self, obj) -> None:
        svc.api_delete(api=obj)

    def service_save_formset(self, request, form, formset, change) -> None:
        api = form.instance
        new, changed, deleted = _formset_rows(formset)
        for version in deleted:
            svc.api_version_delete(api_version=version)
        for version, fields in changed:
            if "version" in fields:
                raise DomainError(
                    "A version string cannot change; publish a new version instead.",
                    rule="version-immutable",
                )
            svc.api_version_update(
                api_version=version,
                actor=request.user,
                **{f: getattr(version, f) for f in fields},
            )
        for version in new:
            svc.api_version_create(
                api=api,
                version=version.version,
                stability=version.stability,
                status=version.status,
                released_on=version.released_on,
                actor=request.user,
            )


class ApiOperationInline(admin.TabularInline):
    """Operations come from the spec (the spec registry extracts them); read-only here."""

    model = ApiOperation
    extra = 0
    can_delete = False
    fields = ["method", "path", "operation_id", "summary", "deprecated", "sunset"]
    readonly_fields = fields
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiVersion)
class ApiVersionAdmin(ServiceBackedAdmin):
    list_display = ["__str__", "api", "version", "stability", "status", "released_on"]
    list_filter = ["stability", "status"]
    list_select_related = ["api"]
    search_fields = ["version", "api__name", "api__slug"]
    autocomplete_fields = ["api"]
    ordering = ["api__name", "-major", "-minor", "-patch"]
    inlines = [ApiOperationInline]
    fields = [
        "api",
        "version",
        "stability",
        "status",
        "released_on",
        "changelog",
        "spec",
        "spec_format",
        "policy_snapshot",
    ]

    def get_readonly_fields(self, request, obj=None):
        frozen = ["spec_format", "policy_snapshot"]
        return ["api", "version", *frozen] if obj else frozen

    def service_save(self, request, obj, form, change):
        if change:
            return svc.api_version_update(
                api_version=obj, actor=request.user, **_changed(form, VERSION_FIELDS)
            )
        data = form.cleaned_data
        return svc.api_version_create(
            api=data["api"],
            version=data["version"],
            actor=request.user,
            **{k: data[k] for k in VERSION_FIELDS if k in data},
        )

    def service_delete(self, obj) -> None:
        svc.api_version_delete(api_version=obj)


@admin.register(ApiOperation)
class ApiOperationAdmin(admin.ModelAdmin):
    """Read-only: operations are extracted from specs. Registered for search and autocomplete."""

    list_display = ["__str__", "api_version", "operation_id", "deprecated"]
    list_filter = ["deprecated", "method"]
    list_select_related = ["api_version__api"]
    search_fields = ["path", "operation_id", "api_version__api__slug"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# --- dependencies --------------------------------------------------------------------------


@admin.register(Dependency)
class DependencyAdmin(ServiceBackedAdmin):
    list_display = ["__str__", "consumer", "api_version", "provider", "requested_at", "live_at"]
    list_filter = ["live_at", "api_version__status"]
    list_select_related = ["consumer", "provider", "api_version__api"]
    search_fields = ["consumer__name", "consumer__slug", "provider__name", "api_version__api__slug"]
    autocomplete_fields = ["consumer", "api_version", "operations"]
    fields = [
        "consumer",
        "api_version",
        "provider",
        "operations",
        "purpose",
        "requested_at",
        "live_at",
    ]
    ordering = ["-id"]

    def get_readonly_fields(self, request, obj=None):
        # The provider is always the consumed API's provider: the service sets it.
        return ["consumer", "provider"] if obj else ["provider"]

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            fields = _changed(form, ("purpose", "requested_at", "live_at", "operations"))
            if "api_version" in form.changed_data:
                fields["api_version"] = data["api_version"]
            return svc.dependency_update(dependency=obj, **fields)
        return svc.dependency_create(
            consumer=data["consumer"],
            api_version=data["api_version"],
            operations=list(data.get("operations") or []),
            purpose=data.get("purpose", ""),
            requested_at=data.get("requested_at"),
            live_at=data.get("live_at"),
        )

    def service_delete(self, obj) -> None:
        svc.dependency_delete(dependency=obj)


# --- lookups ---------------------------------------------------------------------------------


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["slug"]
    search_fields = ["slug"]


@admin.register(Domain)
class DomainAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "owner"]
    list_select_related = ["owner"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["owner"]


@admin.register(System)
class SystemAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "domain", "owner"]
    list_select_related = ["domain", "owner"]
    list_filter = ["domain"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["domain", "owner"]
