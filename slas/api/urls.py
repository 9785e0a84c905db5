"""REST API of this area: a router and extra urlpatterns, collected by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

from slas.api.views import SlaViewSet, VersioningPolicyViewSet

router = SimpleRouter()
router.register("slas", SlaViewSet, basename="sla")
router.register("versioning-policies", VersioningPolicyViewSet, basename="versioning-policy")
urlpatterns: list = []
