"""Django admin of the SLA registry: the primary interface for platform admins.

Every write goes through ``slas.services`` (the same functions the API calls): saving an SLA
writes a new revision, older revisions are read-only history.
"""

from __future__ import annotations

import csv
from decimal import Decimal

from django.contrib import admin, messages
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from portal.api.exceptions import DomainError
from slas import presets, selectors, services
from slas.forms import (
    EscalationLevelFormSet,
    SeverityTargetFormSet,
    SlaAdminForm,
    VersioningPolicyAdminForm,
)
from slas.models import (
    EscalationLevel,
    Incident,
    Measurement,
    SeverityTarget,
    Sla,
    VersioningPolicy,
)


class SubjectKindFilter(admin.SimpleListFilter):
    title = "subject kind"
    parameter_name = "subject_kind"

    def lookups(self, request, model_admin):
        return [("service", "Service"), ("api", "API")]

    def queryset(self, request, queryset):
        if self.value() == "service":
            return queryset.filter(service__isnull=False)
        if self.value() == "api":
            return queryset.filter(api__isnull=False)
        return queryset


class RevisionFilter(admin.SimpleListFilter):
    """Active revisions by default; history on request."""

    title = "revision"
    parameter_name = "revision"

    def lookups(self, request, model_admin):
        return [("history", "History (replaced)"), ("all", "All revisions")]

    def choices(self, changelist):
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "Active",
        }
        for value, label in self.lookup_choices:
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label,
            }

    def queryset(self, request, queryset):
        if self.value() == "history":
            return queryset.filter(is_active=False)
        if self.value() == "all":
            return queryset
        return queryset.filter(is_active=True)


class _RevisionInline(admin.TabularInline):
    extra = 0

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False
        return super().has_add_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False
        return super().has_delete_permission(request, obj)


class SeverityTargetInline(_RevisionInline):
    model = SeverityTarget
    formset = SeverityTargetFormSet
    fields = ["severity", "response_minutes", "resolution_minutes"]
    max_num = 4
    verbose_name = "response and resolution time"
    verbose_name_plural = "response and resolution times per severity (minutes)"

    def get_extra(self, request, obj=None, **kwargs):
        if obj is None:
            preset = request.GET.get("preset")
            return (
                len(presets.PRESETS[preset]["severity_targets"]) if preset in presets.PRESETS else 4
            )
        return 0


class EscalationLevelInline(_RevisionInline):
    model = EscalationLevel
    formset = EscalationLevelFormSet
    fields = [
        "delay_minutes",
        "condition",
        "contact_kind",
        "contact_team",
        "contact_email",
        "contact_handle",
    ]
    ordering = ["position"]
    verbose_name_plural = "escalation path (in order; delays must not decrease)"

    def get_extra(self, request, obj=None, **kwargs):
        return 2 if obj is None else 1


@admin.register(Sla)
class SlaAdmin(admin.ModelAdmin):
    form = SlaAdminForm
    inlines = [SeverityTargetInline, EscalationLevelInline]
    list_display = [
        "subject_display",
        "subject_kind_display",
        "tier",
        "availability_target",
        "attained_availability",
        "budget_display",
        "is_breached",
        "revision",
        "is_active",
        "owner_team",
        "created_at",
    ]
    list_filter = ["tier", SubjectKindFilter, "is_breached", RevisionFilter]
    search_fields = ["service__name", "service__slug", "api__name", "api__slug"]
    list_select_related = ["service", "api", "owner_team"]
    raw_id_fields = ["service", "api"]
    actions = ["export_csv"]
    readonly_fields = ["history_display", "compliance_display"]
    fieldsets = [
        ("Subject", {"fields": ["service", "api", "tier", "owner_team", "preset"]}),
        (
            "Targets",
            {
                "fields": [
                    "availability_target",
                    ("latency_p95_ms", "latency_p99_ms"),
                    ("window_kind", "window_days"),
                    ("rto_minutes", "rpo_minutes"),
                ]
            },
        ),
        (
            "Support hours",
            {
                "fields": [
                    "support_hours",
                    "business_days",
                    ("business_start", "business_end"),
                    "time_zone",
                ]
            },
        ),
        ("Notes", {"fields": ["notes"]}),
        ("Compliance and history", {"fields": ["compliance_display", "history_display"]}),
    ]
    change_list_template = "admin/slas/sla/change_list.html"

    # --- display -----------------------------------------------------------------------------

    @admin.display(description="subject", ordering="service__name")
    def subject_display(self, obj: Sla) -> str:
        return obj.service.name if obj.service_id else obj.api.name

    @admin.display(description="kind")
    def subject_kind_display(self, obj: Sla) -> str:
        return "Service" if obj.service_id else "API"

    @admin.display(description="budget left", ordering="budget_remaining")
    def budget_display(self, obj: Sla) -> str:
        if obj.budget_remaining is None:
            return "—"
        return f"{float(obj.budget_remaining) * 100:.1f} %"

    @admin.display(description="compliance")
    def compliance_display(self, obj: Sla) -> str:
        if obj is None or obj.pk is None:
            return "—"
        result = selectors.sla_compliance(sla=obj)
        if result.attained is None:
            return f"No measurements in {result.window_start} to {result.window_end}."
        return format_html(
            "{} % attained ({}), {} % of the error budget left, window {} to {}",
            f"{result.attained:.3f}",
            "met" if result.met else "breached",
            f"{float(result.remaining) * 100:.1f}",
            result.window_start,
            result.window_end,
        )

    @admin.display(description="revisions")
    def history_display(self, obj: Sla) -> str:
        if obj is None or obj.pk is None:
            return "—"
        rows = [
            (
                reverse("admin:slas_sla_change", args=[rev.pk]),
                rev.revision,
                " (active)" if rev.is_active else "",
                rev.get_change_display(),
                rev.created_by or "—",
                rev.created_at.strftime("%Y-%m-%d %H:%M"),
                "; ".join(
                    (rev.change_summary or {}).get("weakened", [])
                    + (rev.change_summary or {}).get("strengthened", [])
                    + (rev.change_summary or {}).get("escalation", [])
                ),
            )
            for rev in selectors.sla_history(sla=obj)
        ]
        return format_html(
            '<table class="sla-history"><tr><th>Revision</th><th>Change</th><th>By</th>'
            "<th>When</th><th>Details</th></tr>{}</table>",
            format_html_join(
                "",
                '<tr><td><a href="{}">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td>'
                "<td>{}</td></tr>",
                rows,
            ),
        )

    # --- permissions -------------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        if obj is not None and not obj.is_active:
            return False  # history is read-only
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False  # revisions are kept

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["service", "api"]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None:
            return [fs for fs in fieldsets if fs[0] != "Compliance and history"]
        return [
            (name, {**opts, "fields": [f for f in opts["fields"] if f != "preset"]})
            for name, opts in fieldsets
        ]

    # --- preset flow -------------------------------------------------------------------------

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "presets/",
                self.admin_site.admin_view(self.presets_view),
                name="slas_sla_presets",
            )
        ]
        return custom + urls

    def presets_view(self, request):
        """Pick a tier preset; the add form opens pre-filled with its targets."""
        if not self.has_add_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        add_url = reverse("admin:slas_sla_add")
        rows = [
            {
                "name": name,
                "label": preset["label"],
                "target": preset["availability_target"],
                "support": preset["support_hours"],
                "severity": preset["severity_targets"],
                "url": f"{add_url}?preset={name}",
            }
            for name, preset in presets.PRESETS.items()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Create an SLA from a preset",
            "presets": rows,
            "add_url": add_url,
        }
        return TemplateResponse(request, "admin/slas/sla/presets.html", context)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        name = request.GET.get("preset")
        if name in presets.PRESETS:
            values = presets.preset_values(name)["fields"]
            initial.update(values)
            initial["business_days"] = [str(d) for d in values.get("business_days", [])]
            initial["preset"] = name
        return initial

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        name = request.GET.get("preset")
        new = obj is None or obj.pk is None
        if new and name in presets.PRESETS and isinstance(inline, SeverityTargetInline):
            kwargs["initial"] = presets.preset_values(name)["severity_targets"]
        return kwargs

    # --- writes go through the services ---------------------------------------------------------

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.detail, level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def save_model(self, request, obj, form, change):
        """Nothing here: the revision is written in ``save_related`` once the inlines are
        known, by ``services.sla_create`` / ``services.sla_revise``."""

    def save_related(self, request, form, formsets, change):
        severity, escalation = [], []
        for formset in formsets:
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            if isinstance(formset, SeverityTargetFormSet):
                severity = formset.rows()
            elif isinstance(formset, EscalationLevelFormSet):
                escalation = formset.rows()
        data = form.cleaned_data
        fields = {name: data.get(name) for name in services.SLA_FIELDS if name in form.fields}
        if change:
            current = Sla.objects.get(pk=form.instance.pk)
            sla = services.sla_revise(
                sla=current,
                fields=fields,
                severity_targets=severity,
                escalation_levels=escalation,
                actor=request.user,
            )
        else:
            sla = services.sla_create(
                service=data.get("service"),
                api=data.get("api"),
                fields=fields,
                severity_targets=severity,
                escalation_levels=escalation,
                actor=request.user,
            )
        # The admin logs and redirects with the object it built; point it at the new revision.
        form.instance.pk = sla.pk
        form.instance.revision = sla.revision

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        if "_continue" in request.POST:
            return HttpResponseRedirect(reverse("admin:slas_sla_change", args=[obj.pk]))
        return response

    # --- actions -----------------------------------------------------------------------------

    @admin.action(description="Export selected SLAs as CSV")
    def export_csv(self, request, queryset):
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="slas.csv"'
        writer = csv.writer(response)
        writer.writerow(CSV_HEADER)
        rows = selectors.sla_queryset().filter(pk__in=queryset.values("pk")).order_by("pk")
        for sla in rows:
            writer.writerow([_csv_safe(v) for v in sla_csv_row(sla)])
        return response


CSV_HEADER = [
    "id",
    "subject_kind",
    "subject_slug",
    "subject_name",
    "revision",
    "active",
    "tier",
    "availability_target",
    "latency_p95_ms",
    "latency_p99_ms",
    "window",
    "support_hours",
    "time_zone",
    "rto_minutes",
    "rpo_minutes",
    "response_minutes",
    "escalation_path",
    "owner_team",
    "attained_availability",
    "budget_remaining",
    "breached",
    "created_by",
    "created_at",
]


def sla_csv_row(sla: Sla) -> list:
    subject = sla.subject
    window = "calendar month" if sla.window_kind == "calendar_month" else f"{sla.window_days}d"
    hours = sla.support_hours
    if hours == "business":
        hours = f"business {sla.business_start:%H:%M}-{sla.business_end:%H:%M} days " + ",".join(
            str(d) for d in sla.business_days
        )
    return [
        sla.pk,
        sla.subject_kind,
        subject.slug,
        subject.name,
        sla.revision,
        "yes" if sla.is_active else "no",
        sla.tier,
        sla.availability_target,
        sla.latency_p95_ms or "",
        sla.latency_p99_ms or "",
        window,
        hours,
        sla.time_zone,
        "" if sla.rto_minutes is None else sla.rto_minutes,
        "" if sla.rpo_minutes is None else sla.rpo_minutes,
        "; ".join(
            f"{t.severity} {t.response_minutes}/{t.resolution_minutes or '-'}"
            for t in sla.severity_targets.all()
        ),
        "; ".join(
            f"{e.position}: {e.contact} after {e.delay_minutes} min ({e.condition})"
            for e in sla.escalation_levels.all()
        ),
        sla.owner_team.slug if sla.owner_team_id else "",
        "" if sla.attained_availability is None else sla.attained_availability,
        "" if sla.budget_remaining is None else sla.budget_remaining,
        "yes" if sla.is_breached else "no",
        sla.created_by.get_username() if sla.created_by_id else "",
        sla.created_at.isoformat(),
    ]


def _csv_safe(value):
    """Neutralise spreadsheet formulas in text cells (CSV injection)."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    if isinstance(value, Decimal):
        return str(value)
    return value


@admin.register(VersioningPolicy)
class VersioningPolicyAdmin(admin.ModelAdmin):
    form = VersioningPolicyAdminForm
    list_display = [
        "name",
        "is_default",
        "scheme",
        "min_notice_days_beta",
        "min_notice_days_stable",
        "max_supported_majors",
        "compare_against",
        "consent_mode",
    ]
    list_filter = ["scheme", "is_default", "compare_against", "consent_mode"]
    search_fields = ["name"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        # A post without it keeps the current value (the service fills it in).
        form.base_fields["compare_against"].required = False
        return form

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data.get(name) for name in services.POLICY_FIELDS}
        if change:
            saved = services.policy_update(
                policy=VersioningPolicy.objects.get(pk=obj.pk), fields=fields, actor=request.user
            )
        else:
            saved = services.policy_create(fields=fields, actor=request.user)
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.policy_delete(policy=obj, actor=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except DomainError as exc:
            self.message_user(request, exc.detail, level=messages.ERROR)
            return HttpResponseRedirect(reverse("admin:slas_versioningpolicy_changelist"))

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # deletion goes through the service, one at a time
        return actions


@admin.register(Measurement)
class MeasurementAdmin(admin.ModelAdmin):
    """Read-only: monitoring pushes measurements through the API."""

    list_display = ["day", "service", "api", "good", "total", "updated_at"]
    list_filter = ["day"]
    search_fields = ["service__slug", "api__slug"]
    list_select_related = ["service", "api"]
    date_hierarchy = "day"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    """Read-only: incidents are recorded through the API."""

    list_display = ["title", "service", "api", "severity", "started_at", "ended_at", "excluded"]
    list_filter = ["severity", "excluded"]
    search_fields = ["title", "service__slug", "api__slug"]
    list_select_related = ["service", "api"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
