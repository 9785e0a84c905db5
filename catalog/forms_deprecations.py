"""Forms of the deprecation pages. They only parse input; the services decide."""

from __future__ import annotations

from django import forms

from catalog.models import ApiOperation, ApiVersion, Deprecation


class DateInput(forms.DateInput):
    input_type = "date"


class DeprecationForm(forms.Form):
    """A draft deprecation of one version. ``api_version`` is fixed by the page (query string)."""

    scope = forms.ChoiceField(
        choices=Deprecation.Scope.choices,
        initial=Deprecation.Scope.VERSION,
        widget=forms.RadioSelect,
    )
    operations = forms.ModelMultipleChoiceField(
        queryset=ApiOperation.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only for an operation-scoped deprecation.",
    )
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text="Markdown.")
    replacement_version = forms.ModelChoiceField(
        queryset=ApiVersion.objects.none(), required=False, empty_label="— none —"
    )
    migration_guide_url = forms.URLField(required=False, max_length=500, assume_scheme="https")
    deprecation_date = forms.DateField(
        required=False, widget=DateInput, help_text="Empty: the day it is announced."
    )
    sunset_date = forms.DateField(widget=DateInput)

    def __init__(self, *args, api_version: ApiVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.api_version = api_version
        self.fields["operations"].queryset = api_version.operations.order_by("path", "method")
        self.fields["replacement_version"].queryset = (
            ApiVersion.objects.filter(api=api_version.api)
            .exclude(pk=api_version.pk)
            .exclude(status=ApiVersion.Status.RETIRED)
            .select_related("api")
        )

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        data["operations"] = list(data.get("operations") or [])
        return data


class RescheduleForm(forms.Form):
    sunset_date = forms.DateField(widget=DateInput)
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RetireForm(forms.Form):
    override_reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Staff only: retire over open blockers, with the reason recorded.",
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
