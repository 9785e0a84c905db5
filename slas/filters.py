"""FilterSets of the SLA registry, shared by the API and the pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q

from slas.models import Sla, Tier


class SlaFilter(django_filters.FilterSet):
    """``?subject=<service or API slug>&subject_kind=service|api&tier=…&breached=true``.

    Only active revisions are listed unless ``?active=false`` (history only) or ``?active=all``.
    """

    subject = django_filters.CharFilter(method="filter_subject", label="Service or API slug")
    service = django_filters.CharFilter(field_name="service__slug", label="Service slug")
    api = django_filters.CharFilter(field_name="api__slug", label="API slug")
    subject_kind = django_filters.ChoiceFilter(
        choices=[("service", "Service"), ("api", "API")], method="filter_subject_kind"
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    breached = django_filters.BooleanFilter(field_name="is_breached")
    active = django_filters.ChoiceFilter(
        choices=[("true", "Active"), ("false", "History"), ("all", "All")],
        method="filter_active",
        empty_label=None,
    )

    class Meta:
        model = Sla
        fields = ["subject", "service", "api", "subject_kind", "tier", "breached", "active"]

    def filter_queryset(self, queryset):
        if not self.data.get("active"):
            queryset = queryset.filter(is_active=True)
        return super().filter_queryset(queryset)

    def filter_subject(self, queryset, name, value):
        return queryset.filter(Q(service__slug=value) | Q(api__slug=value))

    def filter_subject_kind(self, queryset, name, value):
        if value == "service":
            return queryset.filter(service__isnull=False)
        return queryset.filter(api__isnull=False)

    def filter_active(self, queryset, name, value):
        if value == "true":
            return queryset.filter(is_active=True)
        if value == "false":
            return queryset.filter(is_active=False)
        return queryset
