"""Pages of the notifications app (the inbox)."""

app_name = "notifications"

urlpatterns: list = []
