"""Forms of the SLA admin. They only parse; every rule is checked by the same functions the
services use (``slas.services.sla_clean_*`` and ``policy_validate``)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from portal.api.exceptions import DomainError
from slas import services
from slas.models import Sla, VersioningPolicy

WEEKDAYS = [
    ("1", "Mon"),
    ("2", "Tue"),
    ("3", "Wed"),
    ("4", "Thu"),
    ("5", "Fri"),
    ("6", "Sat"),
    ("7", "Sun"),
]


def _apply_errors(form: forms.BaseForm, errors: dict[str, list[str]]) -> None:
    for key, messages in errors.items():
        target = key if key in form.fields else None
        for message in messages:
            form.add_error(target, message)


class SlaAdminForm(forms.ModelForm):
    business_days = forms.TypedMultipleChoiceField(
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for business hours.",
    )
    preset = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Sla
        fields = ["service", "api", *services.SLA_FIELDS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "business_days" in self.fields:
            self.initial["business_days"] = [str(d) for d in self.instance.business_days or []]

    def clean(self):
        data = super().clean()
        has_subject = "service" in self.fields and "api" in self.fields
        if has_subject and bool(data.get("service")) == bool(data.get("api")):
            raise ValidationError(
                "An SLA covers exactly one subject: choose a service or an API, not both."
            )
        errs = services._Errors()
        fields = {name: data.get(name) for name in services.SLA_FIELDS if name in self.fields}
        # Model field validation already ran; re-run the domain rules on the parsed values.
        services.sla_clean_fields({**self._current(), **fields}, errs)
        _apply_errors(self, errs.errors)
        return data

    def _current(self) -> dict:
        if not self.instance.pk:
            return {}
        from slas.selectors import sla_as_data

        return {k: v for k, v in sla_as_data(self.instance, with_objects=True).items()}


class _RowsFormSet(BaseInlineFormSet):
    """An inline formset whose rows are checked by a service function, and whose pre-filled
    extra rows (from a preset) count even when the admin leaves them unchanged."""

    clean_rows = None
    row_fields: tuple[str, ...] = ()

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        extra_index = i - self.initial_form_count()
        if 0 <= extra_index < len(self.initial_extra or []):
            form.empty_permitted = False
        return form

    def rows(self) -> list[dict]:
        out = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE"):
                continue
            out.append({name: data.get(name) for name in self.row_fields})
        return out

    def clean(self):
        super().clean()
        if any(form.errors for form in self.forms):
            return
        errs = services._Errors()
        type(self).clean_rows(self.rows(), errs)
        messages = [m for msgs in errs.errors.values() for m in msgs]
        if messages:
            raise ValidationError(messages)


class SeverityTargetFormSet(_RowsFormSet):
    clean_rows = staticmethod(services.sla_clean_severity_targets)
    row_fields = ("severity", "response_minutes", "resolution_minutes")


class EscalationLevelFormSet(_RowsFormSet):
    clean_rows = staticmethod(services.sla_clean_escalation_levels)
    row_fields = (
        "delay_minutes",
        "contact_kind",
        "contact_team",
        "contact_email",
        "contact_handle",
        "condition",
    )


class VersioningPolicyAdminForm(forms.ModelForm):
    class Meta:
        model = VersioningPolicy
        fields = list(services.POLICY_FIELDS)

    def _get_validation_exclusions(self):
        # policy_create/policy_update hand the default over from the previous default policy,
        # so the one-default constraint must not refuse the form first.
        return {*super()._get_validation_exclusions(), "is_default"}

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.policy_validate(
                fields=dict(data), instance=self.instance if self.instance.pk else None
            )
        except DomainError as exc:
            _apply_errors(self, exc.errors)
        return data
