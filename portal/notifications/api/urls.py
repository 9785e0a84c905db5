"""REST API of notifications: a router collected by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

from portal.notifications.api.views import EndpointViewSet, InboxViewSet, PreferenceViewSet

router = SimpleRouter()
router.register("notifications", InboxViewSet, basename="notification")
router.register("notification-endpoints", EndpointViewSet, basename="notification-endpoint")
router.register("notification-preferences", PreferenceViewSet, basename="notification-preference")
urlpatterns: list = []
