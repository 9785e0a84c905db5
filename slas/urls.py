"""Pages of the SLA and policy registry."""

from django.urls import path

from slas import views

app_name = "slas"

urlpatterns = [
    path("", views.sla_list, name="sla-list"),
    path("<int:pk>/", views.sla_detail, name="sla-detail"),
    path("policies/", views.policy_list, name="policy-list"),
    path("policies/<int:pk>/", views.policy_detail, name="policy-detail"),
]
