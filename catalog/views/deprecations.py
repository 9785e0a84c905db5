"""Pages of this area; urlpatterns are collected by catalog/urls.py."""

urlpatterns: list = []
