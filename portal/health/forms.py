"""Forms of the health area. ``HealthFilterForm`` parses the filters of both the pages and the
API, so they accept exactly the same parameters."""

from __future__ import annotations

from django import forms

from catalog.models import Api, Service, Team
from portal.health.models import RoadmapItem
from portal.health.selectors import HealthFilters

MONTHS_MAX = 36


class HealthFilterForm(forms.Form):
    """``team`` (provider team slug), ``api`` (API slug), ``layer``, ``months`` (1-36)."""

    team = forms.SlugField(required=False)
    api = forms.SlugField(required=False)
    layer = forms.ChoiceField(required=False, choices=[("", "All layers"), *Service.Layer.choices])
    months = forms.IntegerField(required=False, min_value=1, max_value=MONTHS_MAX)

    def clean_team(self):
        slug = self.cleaned_data.get("team")
        if not slug:
            return None
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            raise forms.ValidationError(f"No team '{slug}'.")
        return team

    def clean_api(self):
        slug = self.cleaned_data.get("api")
        if not slug:
            return None
        api = Api.objects.filter(slug=slug).first()
        if api is None:
            raise forms.ValidationError(f"No API '{slug}'.")
        return api

    def filters(self, **overrides) -> HealthFilters:
        data = self.cleaned_data
        values = {
            "team": data.get("team"),
            "api": data.get("api"),
            "layer": data.get("layer") or "",
            "months": data.get("months") or 12,
        }
        values.update(overrides)
        return HealthFilters(**values)


class RowsFilterForm(HealthFilterForm):
    """Extra filters of the rows behind a number."""

    month = forms.RegexField(regex=r"^\d{4}-(0[1-9]|1[0-2])$", required=False)
    state = forms.CharField(required=False, max_length=20)
    newest = forms.ChoiceField(required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")])
    rating = forms.IntegerField(required=False, min_value=1, max_value=5)


class FeedbackForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), to_field_name="slug")
    rating = forms.TypedChoiceField(
        coerce=int,
        choices=[
            (i, f"{i} — {label}")
            for i, label in [(5, "excellent"), (4, "good"), (3, "fine"), (2, "poor"), (1, "bad")]
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()


class RoadmapItemForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    layer = forms.ChoiceField(choices=RoadmapItem.Layer.choices)
    target_quarter = forms.CharField(
        max_length=7, help_text="Like 2025-Q3.", widget=forms.TextInput(attrs={"size": 8})
    )
    status = forms.ChoiceField(choices=RoadmapItem.Status.choices)
    service = forms.ModelChoiceField(
        queryset=Service.objects.all(),
        required=False,
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": "service slug"}),
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        to_field_name="slug",
        widget=forms.TextInput(attrs={"placeholder": "team slug"}),
    )
    depends_on = forms.ModelMultipleChoiceField(queryset=RoadmapItem.objects.all(), required=False)
