"""Pages of the notifications app, mounted at /inbox/: the inbox, and each team's notification
settings under ``teams/<team id>/settings/`` (the recipient model's primary key: this leaf app
knows teams by id only)."""

from django.urls import path

from portal.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("<int:pk>/read/", views.mark_read, name="mark-read"),
    path("read-all/", views.mark_all_read, name="mark-all-read"),
    path("teams/<int:team_id>/settings/", views.team_settings, name="settings"),
    path("teams/<int:team_id>/settings/endpoints/", views.endpoint_add, name="endpoint-add"),
    path(
        "teams/<int:team_id>/settings/endpoints/<int:pk>/toggle/",
        views.endpoint_toggle,
        name="endpoint-toggle",
    ),
    path(
        "teams/<int:team_id>/settings/endpoints/<int:pk>/rotate/",
        views.endpoint_rotate,
        name="endpoint-rotate",
    ),
    path(
        "teams/<int:team_id>/settings/endpoints/<int:pk>/delete/",
        views.endpoint_delete,
        name="endpoint-delete",
    ),
    path(
        "teams/<int:team_id>/settings/preferences/",
        views.preferences_save,
        name="preferences",
    ),
]
