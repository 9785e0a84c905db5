"""Forms of the catalog's pages. They parse input only; the services enforce the rules."""

from __future__ import annotations

from django import forms

from catalog.models import ApiVersion, Service


class ServiceEditForm(forms.Form):
    """What a team owner edits on the service page."""

    tier = forms.TypedChoiceField(choices=Service.Tier.choices, coerce=int)
    lifecycle = forms.ChoiceField(choices=Service.Lifecycle.choices)
    repository_url = forms.URLField(
        label="Repository URL", max_length=500, required=False, assume_scheme="https"
    )
    documentation_url = forms.URLField(
        label="Documentation URL", max_length=500, required=False, assume_scheme="https"
    )
    runbook_url = forms.URLField(
        label="Runbook URL", max_length=500, required=False, assume_scheme="https"
    )
    onboarding_notes = forms.CharField(
        label="Onboarding notes (Markdown)",
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="Rendered as sanitised Markdown: no scripts, no raw event handlers.",
    )

    FIELDS = (
        "tier",
        "lifecycle",
        "repository_url",
        "documentation_url",
        "runbook_url",
        "onboarding_notes",
    )

    @classmethod
    def initial_for(cls, service: Service) -> dict:
        return {name: getattr(service, name) for name in cls.FIELDS}

    def changes(self, service: Service) -> dict:
        """The cleaned values that differ from ``service``."""
        return {
            name: self.cleaned_data[name]
            for name in self.FIELDS
            if self.cleaned_data[name] != getattr(service, name)
        }


class DependencyDeclareForm(forms.Form):
    """Declare that a service of my team consumes an API version."""

    consumer = forms.SlugField(
        label="Consuming service",
        max_length=100,
        help_text="The slug of one of your team's services.",
        widget=forms.TextInput(attrs={"list": "declarable-services", "autocomplete": "off"}),
    )
    api = forms.SlugField(label="API", max_length=100, help_text="The slug of the API consumed.")
    version = forms.CharField(label="Version", max_length=100, help_text="e.g. 2.1.0")
    purpose = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    requested_at = forms.DateField(
        label="Requested on", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    live_at = forms.DateField(
        label="Live since", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean_consumer(self) -> Service:
        slug = self.cleaned_data["consumer"]
        try:
            return Service.objects.select_related("owner").get(slug=slug)
        except Service.DoesNotExist:
            raise forms.ValidationError(f"There is no service '{slug}'.") from None

    def clean(self) -> dict:
        data = super().clean()
        api, version = data.get("api"), data.get("version")
        if api and version:
            try:
                data["api_version"] = ApiVersion.objects.select_related("api").get(
                    api__slug=api, version=version.strip()
                )
            except ApiVersion.DoesNotExist:
                self.add_error("version", f"The API '{api}' has no version '{version}'.")
        return data
