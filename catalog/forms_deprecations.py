"""Forms of the deprecation pages. They only parse input; the services decide."""

from __future__ import annotations

from django import forms
from django.db.models import Q

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


class DeprecationDraftForm(DeprecationForm):
    """The same fields as :class:`DeprecationForm`, plus a replacement operation, pre-filled from
    a draft. ``changes()`` gives only the fields the user changed, for ``deprecation_update``."""

    replacement_operation = forms.ModelChoiceField(
        queryset=ApiOperation.objects.none(),
        required=False,
        empty_label="— none —",
        help_text="An operation of another version of this API that replaces the deprecated ones.",
    )

    field_order = [
        "scope",
        "operations",
        "reason",
        "replacement_version",
        "replacement_operation",
        "migration_guide_url",
        "deprecation_date",
        "sunset_date",
    ]

    def __init__(self, *args, deprecation: Deprecation, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "scope": deprecation.scope,
                "operations": [op.pk for op in deprecation.operations.all()],
                "reason": deprecation.reason,
                "replacement_version": deprecation.replacement_version_id,
                "replacement_operation": deprecation.replacement_operation_id,
                "migration_guide_url": deprecation.migration_guide_url,
                "deprecation_date": deprecation.deprecation_date,
                "sunset_date": deprecation.sunset_date,
            },
        )
        super().__init__(*args, api_version=deprecation.api_version, **kwargs)
        self.deprecation = deprecation
        # The draft's current choices stay choosable even if they would no longer be offered
        # (e.g. the replacement was retired since), so an untouched field never changes.
        version = deprecation.api_version
        self.fields["replacement_version"].queryset = (
            ApiVersion.objects.filter(api=version.api)
            .exclude(pk=version.pk)
            .filter(~Q(status=ApiVersion.Status.RETIRED) | Q(pk=deprecation.replacement_version_id))
            .select_related("api")
        )
        self.fields["replacement_operation"].queryset = (
            ApiOperation.objects.filter(api_version__api=version.api)
            .exclude(api_version=version)
            .filter(
                ~Q(api_version__status=ApiVersion.Status.RETIRED)
                | Q(pk=deprecation.replacement_operation_id)
            )
            .select_related("api_version__api")
            .order_by("api_version_id", "path", "method")
        )
        self.fields["replacement_operation"].label_from_instance = lambda op: (
            f"{op.api_version} · {op}"
        )

    def changes(self) -> dict:
        """The changed fields as ``deprecation_update`` keyword arguments."""
        data = {name: self.cleaned_data[name] for name in self.changed_data}
        if "operations" in data:
            data["operations"] = list(data["operations"] or [])
        if "migration_guide_url" in data:
            data["migration_guide_url"] = data["migration_guide_url"] or ""
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
