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
    """Create or edit a roadmap item on the page. Parses input only: the rules (a quarter like
    2025-Q3, no cycle, who may provide it) are ``roadmap_item_save``'s, and the view shows its
    refusals on the fields they name. ``teams``: the providing teams offered (the view passes
    the user's own teams, or every team for staff)."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Markdown; shown sanitised (no scripts, no raw HTML).",
    )
    layer = forms.ChoiceField(choices=RoadmapItem.Layer.choices, initial=RoadmapItem.Layer.CORE)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        to_field_name="slug",
        label="Providing team",
        empty_label="— the service's owning team —",
        help_text="Leave empty to use the owner of the providing service.",
    )
    service = forms.ModelChoiceField(
        queryset=Service.objects.all(),
        required=False,
        to_field_name="slug",
        label="Providing service",
        widget=forms.TextInput(attrs={"placeholder": "service slug", "list": "roadmap-services"}),
        error_messages={"invalid_choice": "No service with that slug."},
        help_text="Optional: the slug of the service that provides it.",
    )
    target_quarter = forms.CharField(
        help_text="Like 2025-Q3.",
        widget=forms.TextInput(attrs={"size": 8, "placeholder": "2025-Q3"}),
    )
    status = forms.ChoiceField(choices=RoadmapItem.Status.choices)
    depends_on = forms.ModelMultipleChoiceField(
        queryset=RoadmapItem.objects.order_by("target_quarter", "title", "id"),
        required=False,
        label="Depends on",
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="Items that must ship first (Ctrl/⌘-click to pick several).",
    )

    def __init__(self, *args, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams if teams is not None else Team.objects.none()

    @staticmethod
    def initial_for(item: RoadmapItem) -> dict:
        return {
            "title": item.title,
            "description": item.description,
            "layer": item.layer,
            "team": item.team.slug if item.team else None,
            "service": item.service.slug if item.service else "",
            "target_quarter": item.target_quarter,
            "status": item.status,
            "depends_on": [d.pk for d in item.depends_on.all()],
        }

    def values(self) -> dict:
        """The keyword arguments of ``roadmap_item_save``."""
        data = self.cleaned_data
        return {
            "title": data["title"],
            "description": data["description"],
            "layer": data["layer"],
            "team": data["team"],
            "service": data["service"],
            "target_quarter": data["target_quarter"],
            "status": data["status"],
            "depends_on": list(data["depends_on"]),
        }
