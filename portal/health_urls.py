"""Pages of the platform-health dashboard and the roadmap."""

from django.urls import path

from portal.health import views

app_name = "health"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("teams/<slug:slug>/", views.team_dashboard, name="team"),
    path("apis/<slug:slug>/", views.api_dashboard, name="api"),
    path("apis/<slug:slug>/rate/", views.feedback_form, name="feedback-form"),
    path("export/<slug:name>.csv", views.export, name="export"),
    path("rows/<slug:kind>/", views.rows, name="rows"),
    path("roadmap/", views.roadmap, name="roadmap"),
    path("roadmap/export.csv", views.roadmap_export, name="roadmap-export"),
    path("roadmap/new/", views.roadmap_item_new, name="roadmap-new"),
    path("roadmap/<int:pk>/edit/", views.roadmap_item_edit, name="roadmap-edit"),
    path("roadmap/<int:pk>/delete/", views.roadmap_item_delete, name="roadmap-delete"),
]
