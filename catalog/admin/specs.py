"""Django admin of the spec registry: stored specs and their findings, read-only (specs change
only through publishing, which runs the policy checks)."""

from django.contrib import admin

from catalog.models import ApiSpec


@admin.register(ApiSpec)
class ApiSpecAdmin(admin.ModelAdmin):
    list_display = (
        "api_version",
        "openapi_version",
        "compared_to",
        "error_count",
        "warning_count",
        "info_count",
        "updated_at",
    )
    list_filter = ("openapi_version",)
    search_fields = ("api_version__api__slug", "api_version__version")
    list_select_related = ("api_version__api", "compared_to__api")
    readonly_fields = [f.name for f in ApiSpec._meta.fields] + ["findings"]
    exclude = ("document",)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
