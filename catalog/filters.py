"""FilterSets of the catalog, shared by the REST API and the HTML list pages.

Every filter is backed by an index (see the models' ``Meta.indexes`` and the full-text index of
migration ``catalog_service_search``). Multi-valued filters accept the parameter repeated
(``?layer=base&layer=core``) or comma separated (``?layer=base,core``).
"""

from __future__ import annotations

import django_filters as df
from django.db.models import Exists, OuterRef, QuerySet

from catalog.models import Api, ApiVersion, Dependency, Service, Team


class CommaMultipleChoiceFilter(df.MultipleChoiceFilter):
    """A multiple-choice filter that also accepts ``a,b`` in one parameter."""

    class field_class(df.MultipleChoiceFilter.field_class):
        def to_python(self, value):
            if isinstance(value, str | int):
                value = [str(value)]
            values = super().to_python(value)
            out: list[str] = []
            for item in values:
                out.extend(part.strip() for part in str(item).split(",") if part.strip())
            return out


class ServiceFilterSet(df.FilterSet):
    """Services: ``search``, ``owner`` (team slug), ``layer``, ``tier``, ``lifecycle``, ``tag``
    (tag slug), ``system`` (system slug) and ``ordering``."""

    search = df.CharFilter(method="filter_search", label="Search", max_length=200)
    owner = df.CharFilter(method="filter_owner", label="Owning team (slug)", max_length=100)
    layer = CommaMultipleChoiceFilter(choices=Service.Layer.choices)
    tier = CommaMultipleChoiceFilter(choices=[(str(v), label) for v, label in Service.Tier.choices])
    lifecycle = CommaMultipleChoiceFilter(choices=Service.Lifecycle.choices)
    tag = df.CharFilter(method="filter_tag", label="Tag (slug)", max_length=100)
    system = df.CharFilter(field_name="system__slug", label="System (slug)", max_length=100)
    ordering = df.OrderingFilter(
        fields=(
            ("name", "name"),
            ("slug", "slug"),
            ("tier", "tier"),
            ("layer", "layer"),
            ("lifecycle", "lifecycle"),
            ("updated_at", "updated_at"),
        )
    )

    class Meta:
        model = Service
        fields = ["search", "owner", "layer", "tier", "lifecycle", "tag", "system"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from catalog.selectors.catalog import service_search

        return service_search(queryset=queryset, query=value)

    def filter_owner(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        slugs = [s.strip() for s in value.split(",") if s.strip()]
        return queryset.filter(owner__slug__in=slugs) if slugs else queryset

    def filter_tag(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        slugs = [s.strip() for s in value.split(",") if s.strip()]
        if not slugs:
            return queryset
        through = Service.tags.through
        return queryset.filter(
            Exists(through.objects.filter(service_id=OuterRef("pk"), tag__slug__in=slugs))
        )


class TeamFilterSet(df.FilterSet):
    """Teams: ``search`` (name/slug), ``member`` (username) and ``ordering``."""

    search = df.CharFilter(method="filter_search", max_length=200)
    member = df.CharFilter(field_name="memberships__user__username", max_length=150)
    ordering = df.OrderingFilter(fields=(("name", "name"), ("slug", "slug")))

    class Meta:
        model = Team
        fields = ["search", "member"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class ApiFilterSet(df.FilterSet):
    """APIs: ``provider`` (service slug), ``type``, ``audience``, ``search`` and ``ordering``."""

    provider = df.CharFilter(field_name="provider__slug", max_length=100)
    owner = df.CharFilter(field_name="provider__owner__slug", label="Team (slug)", max_length=100)
    type = CommaMultipleChoiceFilter(choices=Api.Type.choices)
    audience = CommaMultipleChoiceFilter(choices=Api.Audience.choices)
    search = df.CharFilter(method="filter_search", max_length=200)
    ordering = df.OrderingFilter(fields=(("name", "name"), ("slug", "slug")))

    class Meta:
        model = Api
        fields = ["provider", "owner", "type", "audience", "search"]

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(slug__icontains=value))


class ApiVersionFilterSet(df.FilterSet):
    """API versions: ``api`` (API slug), ``status``, ``stability``, ``provider`` and ``ordering``."""

    api = df.CharFilter(field_name="api__slug", label="API (slug)", max_length=100)
    provider = df.CharFilter(field_name="api__provider__slug", max_length=100)
    status = CommaMultipleChoiceFilter(choices=ApiVersion.Status.choices)
    stability = CommaMultipleChoiceFilter(choices=ApiVersion.Stability.choices)
    ordering = df.OrderingFilter(
        fields=(("released_on", "released_on"), ("created_at", "created_at"), ("id", "id"))
    )

    class Meta:
        model = ApiVersion
        fields = ["api", "provider", "status", "stability"]


class DependencyFilterSet(df.FilterSet):
    """Dependencies: ``consumer`` (service slug), ``provider`` (service slug), ``api`` (API slug),
    ``api_version`` (id) and ``ordering``."""

    consumer = df.CharFilter(field_name="consumer__slug", max_length=100)
    provider = df.CharFilter(field_name="provider__slug", max_length=100)
    api = df.CharFilter(field_name="api_version__api__slug", label="API (slug)", max_length=100)
    api_version = df.NumberFilter(field_name="api_version_id", min_value=1, max_value=2**62)
    ordering = df.OrderingFilter(
        fields=(("id", "id"), ("live_at", "live_at"), ("requested_at", "requested_at"))
    )

    class Meta:
        model = Dependency
        fields = ["consumer", "provider", "api", "api_version"]
