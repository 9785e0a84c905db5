from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include(("portal.api_urls", "v1"), namespace="v1")),
    path("catalog/", include("catalog.urls")),
    path("slas/", include("slas.urls")),
    path("inbox/", include("portal.notifications.urls")),
    path("health/", include("portal.health_urls")),
]

# Error pages that need no database; API clients get the problem JSON (portal/middleware.py).
handler403 = "portal.middleware.handler403"
handler404 = "portal.middleware.handler404"
handler500 = "portal.middleware.handler500"
