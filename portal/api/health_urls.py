"""REST API of this area: a router and extra urlpatterns, collected by portal/api_urls.py."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from portal.health import api

router = SimpleRouter()
router.register("feedback", api.FeedbackViewSet, basename="feedback")
router.register("roadmap-items", api.RoadmapItemViewSet, basename="roadmap-item")

urlpatterns: list = [
    path("metrics/", api.MetricsIndexView.as_view(), name="health-metrics"),
    path("metrics/<slug:name>/", api.MetricView.as_view(), name="health-metric"),
]
