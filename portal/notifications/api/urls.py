"""REST API of this area: a router and extra urlpatterns, collected by portal/api_urls.py."""

from rest_framework.routers import SimpleRouter

router = SimpleRouter()
urlpatterns: list = []
