"""Pages of the SLA and policy registry."""

app_name = "slas"

urlpatterns: list = []
