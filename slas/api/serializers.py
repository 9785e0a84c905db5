"""Serializers of the SLA registry API. Input serializers only parse; services validate."""

from __future__ import annotations

from rest_framework import serializers

from catalog.models import Api, Service, Team
from slas.models import (
    EscalationLevel,
    Incident,
    Measurement,
    SeverityTarget,
    Sla,
    VersioningPolicy,
)
from slas.services import SLA_FIELDS


class SlaSeverityTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = SeverityTarget
        fields = ["severity", "response_minutes", "resolution_minutes"]


class SlaEscalationLevelSerializer(serializers.ModelSerializer):
    contact_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    contact = serializers.CharField(read_only=True)

    class Meta:
        model = EscalationLevel
        fields = [
            "position",
            "delay_minutes",
            "contact_kind",
            "contact_team",
            "contact_email",
            "contact_handle",
            "contact",
            "condition",
        ]


class SlaComplianceSummarySerializer(serializers.Serializer):
    attained_availability = serializers.DecimalField(
        max_digits=9, decimal_places=5, allow_null=True
    )
    budget_remaining = serializers.DecimalField(max_digits=12, decimal_places=5, allow_null=True)
    breached = serializers.BooleanField(source="is_breached")
    computed_at = serializers.DateTimeField(source="compliance_at", allow_null=True)


class SlaSerializer(serializers.ModelSerializer):
    subject_kind = serializers.CharField(read_only=True)
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    api = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    owner_team = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    severity_targets = SlaSeverityTargetSerializer(many=True, read_only=True)
    escalation_levels = SlaEscalationLevelSerializer(many=True, read_only=True)
    compliance = SlaComplianceSummarySerializer(source="*", read_only=True)

    class Meta:
        model = Sla
        fields = [
            "id",
            "subject_kind",
            "service",
            "api",
            "revision",
            "is_active",
            *SLA_FIELDS,
            "severity_targets",
            "escalation_levels",
            "change",
            "change_summary",
            "created_by",
            "created_at",
            "superseded_at",
            "compliance",
        ]
        read_only_fields = fields


class SlaSeverityTargetInputSerializer(serializers.Serializer):
    severity = serializers.CharField()
    response_minutes = serializers.IntegerField(required=False, allow_null=True)
    resolution_minutes = serializers.IntegerField(required=False, allow_null=True)


class SlaEscalationLevelInputSerializer(serializers.Serializer):
    delay_minutes = serializers.IntegerField(required=False, allow_null=True)
    contact_kind = serializers.CharField()
    contact_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    contact_email = serializers.CharField(required=False, allow_blank=True)
    contact_handle = serializers.CharField(required=False, allow_blank=True)
    condition = serializers.CharField(required=False)


class SlaInputSerializer(serializers.Serializer):
    """Fields of an SLA; on create also its subject (``service`` or ``api`` slug)."""

    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True
    )
    api = serializers.SlugRelatedField(
        slug_field="slug", queryset=Api.objects.all(), required=False, allow_null=True
    )
    preset = serializers.CharField(required=False, help_text="Start from a tier preset.")
    tier = serializers.CharField(required=False)
    owner_team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    availability_target = serializers.DecimalField(
        max_digits=None, decimal_places=None, required=False
    )
    latency_p95_ms = serializers.IntegerField(required=False, allow_null=True)
    latency_p99_ms = serializers.IntegerField(required=False, allow_null=True)
    window_kind = serializers.CharField(required=False)
    window_days = serializers.IntegerField(required=False)
    support_hours = serializers.CharField(required=False)
    business_days = serializers.ListField(child=serializers.IntegerField(), required=False)
    business_start = serializers.TimeField(required=False, allow_null=True)
    business_end = serializers.TimeField(required=False, allow_null=True)
    time_zone = serializers.CharField(required=False)
    rto_minutes = serializers.IntegerField(required=False, allow_null=True)
    rpo_minutes = serializers.IntegerField(required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    severity_targets = SlaSeverityTargetInputSerializer(many=True, required=False)
    escalation_levels = SlaEscalationLevelInputSerializer(many=True, required=False)


class SlaMeasurementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Measurement
        fields = ["day", "good", "total", "updated_at"]


class SlaMeasurementInputSerializer(serializers.Serializer):
    day = serializers.DateField()
    good = serializers.IntegerField(min_value=0)
    total = serializers.IntegerField(min_value=0)


class SlaMeasurementPushSerializer(serializers.Serializer):
    measurements = SlaMeasurementInputSerializer(many=True)


class SlaIncidentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "started_at",
            "ended_at",
            "severity",
            "impact",
            "excluded",
            "created_at",
        ]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"severity": {"validators": []}}


class SlaComplianceSerializer(serializers.Serializer):
    target = serializers.DecimalField(max_digits=6, decimal_places=3)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    window_days = serializers.IntegerField()
    good = serializers.IntegerField()
    total = serializers.IntegerField()
    bad = serializers.IntegerField()
    attained = serializers.DecimalField(max_digits=12, decimal_places=5, allow_null=True)
    budget = serializers.DecimalField(max_digits=24, decimal_places=3)
    consumed = serializers.DecimalField(max_digits=24, decimal_places=5, allow_null=True)
    remaining = serializers.DecimalField(max_digits=24, decimal_places=5, allow_null=True)
    burn_rates = serializers.DictField(child=serializers.FloatField(allow_null=True))
    exhaustion_on = serializers.DateField(allow_null=True)
    exhausted = serializers.BooleanField()
    met = serializers.BooleanField(allow_null=True)
    incident_minutes = serializers.IntegerField()


class VersioningPolicySerializer(serializers.ModelSerializer):
    api_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = VersioningPolicy
        fields = [
            "id",
            "name",
            "description",
            "is_default",
            "scheme",
            "min_notice_days_draft",
            "min_notice_days_alpha",
            "min_notice_days_beta",
            "min_notice_days_stable",
            "max_supported_majors",
            "breaking_requires_major",
            "compare_against",
            "migration_guide_required",
            "successor_required",
            "consent_mode",
            "reminder_offsets",
            "api_count",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VersioningPolicyInputSerializer(serializers.Serializer):
    name = serializers.CharField(required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    is_default = serializers.BooleanField(required=False)
    scheme = serializers.CharField(required=False)
    min_notice_days_draft = serializers.IntegerField(required=False)
    min_notice_days_alpha = serializers.IntegerField(required=False)
    min_notice_days_beta = serializers.IntegerField(required=False)
    min_notice_days_stable = serializers.IntegerField(required=False)
    max_supported_majors = serializers.IntegerField(required=False)
    breaking_requires_major = serializers.BooleanField(required=False)
    compare_against = serializers.CharField(
        required=False,
        help_text="previous (default) or all_supported: which versions a new spec is diffed against.",
    )
    migration_guide_required = serializers.BooleanField(required=False)
    successor_required = serializers.BooleanField(required=False)
    consent_mode = serializers.CharField(required=False)
    reminder_offsets = serializers.ListField(child=serializers.IntegerField(), required=False)


class EffectivePolicySerializer(serializers.Serializer):
    source = serializers.CharField()
    policy_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    scheme = serializers.CharField()
    min_notice_days = serializers.DictField(child=serializers.IntegerField())
    max_supported_majors = serializers.IntegerField()
    breaking_requires_major = serializers.BooleanField()
    compare_against = serializers.CharField()
    migration_guide_required = serializers.BooleanField()
    successor_required = serializers.BooleanField()
    consent_mode = serializers.CharField()
    reminder_offsets = serializers.ListField(child=serializers.IntegerField())
