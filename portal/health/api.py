"""REST API of the health area: metrics, feedback and roadmap items.

Views parse input, check permissions and call selectors/services. The metric endpoints take the
same filters as the pages (``team``, ``api``, ``layer``, ``months``) through HealthFilterForm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from catalog.models import Api, Service, Team
from portal.health import selectors, services, stats
from portal.health.forms import HealthFilterForm
from portal.health.models import Feedback, FeedbackRevision, RoadmapItem
from portal.health.selectors import HealthFilters

FILTER_PARAMETERS = [
    OpenApiParameter("team", OpenApiTypes.STR, description="Provider team slug"),
    OpenApiParameter("api", OpenApiTypes.STR, description="API slug"),
    OpenApiParameter("layer", OpenApiTypes.STR, enum=Service.Layer.values),
    OpenApiParameter("months", OpenApiTypes.INT, description="Months of history (1-36)"),
]


def _filters(request) -> HealthFilters:
    form = HealthFilterForm(request.query_params)
    if not form.is_valid():
        raise ValidationError({k: list(v) for k, v in form.errors.items()})
    return form.filters()


def _ref(obj) -> dict | None:
    if obj is None:
        return None
    return {"slug": obj.slug, "name": obj.name}


# A metric's body is its selector's answer reshaped by a list of fields, each one of: a key copied
# as is; ``(key, source key)``; ``(key, function of the source)``. ``_each`` reshapes a list of rows,
# ``_ref_at`` renders the object at a key as ``{slug, name}`` (or null).
Field = str | tuple[str, str | Callable[[dict], Any]]


def _pick(source: dict, *fields: Field) -> dict:
    out = {}
    for field in fields:
        key, get = (field, field) if isinstance(field, str) else field
        out[key] = get(source) if callable(get) else source[get]
    return out


def _each(key: str, *fields: Field) -> Field:
    return key, lambda source: [_pick(row, *fields) for row in source[key]]


def _ref_at(key: str) -> Field:
    return key, lambda row: _ref(row[key])


_DURATIONS = ("count", ("median_days", "median"), ("p75_days", "p75"))


def _velocity(filters: HealthFilters) -> dict:
    return _pick(
        selectors.integration_velocity(filters=filters),
        "count", "median_days", "p75_days", "pending_count", "pending_oldest_days", "by_month",
        _each("per_api", _ref_at("api"), *_DURATIONS),
        _each("per_team", _ref_at("team"), *_DURATIONS),
    )  # fmt: skip


def _adoption(filters: HealthFilters) -> dict:
    return _pick(
        selectors.adoption(filters=filters),
        "active_consumers", "apis_consumed", ("newest_major_share", "newest_share"),
        ("new_consumers_total", "new_total"), "new_by_month",
        _each("per_api", _ref_at("api"), "consumers", ("consumer_teams", "teams"),
              ("on_newest_major", "on_newest"), ("newest_major_share", "newest_share")),
        _each("per_team", _ref_at("team"), "consumers", "consumer_teams", "apis"),
        _each("per_layer", "layer", "teams", "consumers"),
    )  # fmt: skip


def _satisfaction(filters: HealthFilters) -> dict:
    return _pick(
        selectors.satisfaction(filters=filters),
        "count", "average", "distribution", "trend", "by_month",
        _each("per_api", _ref_at("api"), "average", "count"),
    )  # fmt: skip


def _reliability(filters: HealthFilters) -> dict:
    return _pick(
        selectors.reliability(filters=filters),
        "slas", "measured", "met", "attainment_share", "breaching", "budget_remaining_avg",
        _each("worst", "kind", _ref_at("subject"), "target", "attained", "budget_remaining",
              "breached"),
    )  # fmt: skip


def _deprecations(filters: HealthFilters) -> dict:
    return _pick(
        selectors.deprecation_health(filters=filters),
        "open", "migrations", "done", "done_share", "overdue", "median_days_to_migrated",
        _each("open_deprecations",
              ("id", lambda x: x["deprecation"].pk),
              ("api", lambda x: _ref(x["deprecation"].api_version.api)),
              ("version", lambda x: x["deprecation"].api_version.version),
              ("sunset_date", lambda x: x["deprecation"].sunset_date),
              ("migrations", "total"), "done", "done_share", "overdue"),
    )  # fmt: skip


# name → (builder, headline keys shown in the index)
METRICS = {
    "integration-velocity": (_velocity, ("count", "median_days", "p75_days", "pending_count")),
    "adoption": (_adoption, ("active_consumers", "apis_consumed", "newest_major_share",
                             "new_consumers_total")),
    "reliability": (_reliability, ("slas", "measured", "attainment_share", "breaching",
                                   "budget_remaining_avg")),
    "satisfaction": (_satisfaction, ("count", "average", "trend")),
    "deprecation-health": (_deprecations, ("open", "migrations", "done_share", "overdue",
                                           "median_days_to_migrated")),
}  # fmt: skip

ANY_OBJECT = inline_serializer("HealthMetricOut", fields={"value": serializers.DictField()})


class MetricsIndexView(APIView):
    """Every metric's current value (headline numbers) with a link to its endpoint.

    ``null`` means no data (never zero)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="metrics_index",
        parameters=FILTER_PARAMETERS,
        responses=inline_serializer(
            "HealthMetricsIndex", fields={"metrics": serializers.DictField()}
        ),
    )
    def get(self, request, *args, **kwargs):
        filters = _filters(request)
        out = {}
        for name, (builder, keys) in METRICS.items():
            value = builder(filters)
            out[name] = {
                "url": reverse("v1:health-metric", kwargs={"name": name}, request=request),
                **{k: value[k] for k in keys},
            }
        return Response({"metrics": out})


class MetricView(APIView):
    """One metric in full, with the same filters as the dashboard pages."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="metrics_detail", parameters=FILTER_PARAMETERS, responses=ANY_OBJECT
    )
    def get(self, request, name: str, *args, **kwargs):
        if name not in METRICS:
            from rest_framework.exceptions import NotFound

            raise NotFound(f"No metric '{name}'. Known: {', '.join(METRICS)}.")
        filters = _filters(request)
        return Response({"metric": name, "filters": filters.as_query(),
                         "value": METRICS[name][0](filters)})  # fmt: skip


# --- feedback -----------------------------------------------------------------------------------


class FeedbackRevisionOut(serializers.ModelSerializer):
    author = serializers.CharField(source="author.get_username", default=None)

    class Meta:
        model = FeedbackRevision
        fields = ["rating", "comment", "author", "created_at"]


class FeedbackOut(serializers.ModelSerializer):
    team = serializers.SlugRelatedField(source="consumer_team", slug_field="slug", read_only=True)
    api = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    author = serializers.CharField(source="author.get_username", default=None)

    class Meta:
        model = Feedback
        fields = ["id", "team", "api", "rating", "comment", "author", "hidden", "created_at",
                  "updated_at"]  # fmt: skip


class FeedbackIn(serializers.Serializer):
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all())
    api = serializers.SlugRelatedField(slug_field="slug", queryset=Api.objects.all())
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class FeedbackUpdateIn(serializers.Serializer):
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class FeedbackModerateIn(serializers.Serializer):
    hidden = serializers.BooleanField()
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class FeedbackViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):  # fmt: skip
    """Ratings (1-5) consumer teams give APIs: one current rating per (team, API).

    ``POST`` gives or replaces your team's rating (members of the consuming team only);
    ``PUT/PATCH {id}`` changes it; ``GET {id}/history/`` lists every rating given;
    ``POST {id}/moderate/`` hides or shows it (staff). Filters: ``team``, ``api``, ``layer``
    (provider side), ``rating``, ``consumer_team``.
    """

    serializer_class = FeedbackOut
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        params = self.request.query_params
        filters = _filters(self.request) if self.action == "list" else None
        staff = self.request.user.is_staff
        qs = selectors.feedback_rows(filters=filters or HealthFilters(), include_hidden=staff)
        if self.action == "list":
            rating = params.get("rating")
            if rating:
                if rating not in {"1", "2", "3", "4", "5"}:
                    raise ValidationError({"rating": ["A whole number from 1 to 5."]})
                qs = qs.filter(rating=int(rating))
            if params.get("consumer_team"):
                qs = qs.filter(consumer_team__slug=params["consumer_team"])
        return qs

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("rating", OpenApiTypes.INT),
                    OpenApiParameter("consumer_team", OpenApiTypes.STR)]
    )  # fmt: skip
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(request=FeedbackIn, responses={201: FeedbackOut, 200: FeedbackOut})
    def create(self, request, *args, **kwargs):
        data = FeedbackIn(data=request.data)
        data.is_valid(raise_exception=True)
        existed = Feedback.objects.filter(
            consumer_team=data.validated_data["team"], api=data.validated_data["api"]
        ).exists()
        feedback = services.feedback_submit(actor=request.user, **data.validated_data)
        return Response(FeedbackOut(feedback).data, status=status.HTTP_200_OK if existed else 201)

    def _update(self, request, partial: bool):
        feedback = self.get_object()
        data = FeedbackUpdateIn(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = {"rating": feedback.rating, "comment": feedback.comment, **data.validated_data}
        feedback = services.feedback_submit(
            actor=request.user, team=feedback.consumer_team, api=feedback.api, **values
        )
        return Response(FeedbackOut(feedback).data)

    @extend_schema(request=FeedbackUpdateIn, responses=FeedbackOut)
    def update(self, request, *args, **kwargs):
        return self._update(request, partial=False)

    @extend_schema(request=FeedbackUpdateIn, responses=FeedbackOut)
    def partial_update(self, request, *args, **kwargs):
        return self._update(request, partial=True)

    @extend_schema(responses=FeedbackRevisionOut(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, *args, **kwargs):
        feedback = self.get_object()
        return Response(
            FeedbackRevisionOut(selectors.feedback_history(feedback=feedback), many=True).data
        )

    @extend_schema(request=FeedbackModerateIn, responses=FeedbackOut)
    @action(detail=True, methods=["post"])
    def moderate(self, request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied("Only staff moderate feedback.")
        feedback = self.get_object()
        data = FeedbackModerateIn(data=request.data)
        data.is_valid(raise_exception=True)
        feedback = services.feedback_moderate(
            actor=request.user, feedback=feedback, hidden=data.validated_data["hidden"],
            note=data.validated_data.get("note", ""),
        )  # fmt: skip
        return Response(FeedbackOut(feedback).data)


# --- roadmap items ------------------------------------------------------------------------------


class RoadmapItemOut(serializers.ModelSerializer):
    service = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    team = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    depends_on = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = RoadmapItem
        fields = ["id", "title", "description", "layer", "service", "team", "target_quarter",
                  "status", "depends_on", "created_at", "updated_at"]  # fmt: skip


class RoadmapItemIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    layer = serializers.ChoiceField(choices=RoadmapItem.Layer.choices)
    target_quarter = serializers.RegexField(r"^[0-9]{4}-Q[1-4]\Z", max_length=7)
    status = serializers.ChoiceField(choices=RoadmapItem.Status.choices, required=False)
    service = serializers.SlugRelatedField(
        slug_field="slug", queryset=Service.objects.all(), required=False, allow_null=True
    )
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True
    )
    depends_on = serializers.PrimaryKeyRelatedField(
        many=True, queryset=RoadmapItem.objects.all(), required=False
    )


class RoadmapImpactOut(serializers.Serializer):
    item = serializers.IntegerField()
    slip_to = serializers.CharField()
    unlocks = serializers.ListField(child=serializers.IntegerField())
    breaks = serializers.ListField(child=serializers.IntegerField())
    prerequisites = serializers.ListField(child=serializers.IntegerField())


class RoadmapItemViewSet(viewsets.ModelViewSet):
    """Roadmap items: engineers read; staff (or owners of the providing team) write.

    ``GET {id}/impact/?slip_to=2026-Q1`` → what the item unlocks (transitive dependents) and
    what breaks if it slips (dependents targeted before ``slip_to``; default the next quarter).
    """

    serializer_class = RoadmapItemOut
    permission_classes = [IsAuthenticated]
    filter_backends: list = []

    def get_queryset(self):
        layer = self.request.query_params.get("layer", "")
        if layer and layer not in RoadmapItem.Layer.values:
            raise ValidationError(
                {"layer": [f"Choose one of {', '.join(RoadmapItem.Layer.values)}."]}
            )
        team = None
        if self.request.query_params.get("team"):
            team = get_object_or_404(Team, slug=self.request.query_params["team"])
        return selectors.roadmap_items(team=team, layer=layer)

    def _save(self, request, item=None, partial=False):
        data = RoadmapItemIn(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if item is not None:
            current = {
                "title": item.title, "description": item.description, "layer": item.layer,
                "target_quarter": item.target_quarter, "status": item.status,
                "service": item.service, "team": item.team,
                "depends_on": list(item.depends_on.all()),
            }  # fmt: skip
            values = {**current, **values}
        return services.roadmap_item_save(actor=request.user, item=item, **values)

    @extend_schema(request=RoadmapItemIn, responses={201: RoadmapItemOut})
    def create(self, request, *args, **kwargs):
        item = self._save(request)
        return Response(RoadmapItemOut(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RoadmapItemIn, responses=RoadmapItemOut)
    def update(self, request, *args, **kwargs):
        item = self._save(request, item=self.get_object(), partial=kwargs.get("partial", False))
        return Response(RoadmapItemOut(item).data)

    def destroy(self, request, *args, **kwargs):
        services.roadmap_item_delete(actor=request.user, item=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        parameters=[OpenApiParameter("slip_to", OpenApiTypes.STR, description="Like 2026-Q1")],
        responses=RoadmapImpactOut,
    )
    @action(detail=True, methods=["get"])
    def impact(self, request, *args, **kwargs):
        item = self.get_object()
        slip_to = request.query_params.get("slip_to") or None
        if slip_to:
            try:
                stats.parse_quarter(slip_to)
            except ValueError as exc:
                raise ValidationError({"slip_to": [str(exc)]}) from exc
        impact = selectors.roadmap_impact(item=item, slip_to=slip_to)
        return Response(
            {"item": item.pk, "slip_to": impact["slip_to"], "unlocks": impact["unlocks"],
             "breaks": impact["breaks"], "prerequisites": impact["prerequisites"]}
        )  # fmt: skip
