"""Pages of the platform-health dashboard and the roadmap."""

app_name = "health"

urlpatterns: list = []
