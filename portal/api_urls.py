"""The v1 REST API, assembled from one router per area."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from catalog.api import catalog, deprecations, imports, specs
from portal.api import health_urls
from portal.notifications.api import urls as notifications
from slas.api import urls as slas

AREAS = [catalog, deprecations, specs, imports, slas, notifications, health_urls]

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="v1:schema"), name="docs"),
]
for area in AREAS:
    urlpatterns += area.urlpatterns
    urlpatterns += area.router.urls
