"""The catalog's pages, collected from one module per area."""

from catalog.views import catalog, deprecations, imports, specs

app_name = "catalog"

urlpatterns = [
    *catalog.urlpatterns,
    *deprecations.urlpatterns,
    *specs.urlpatterns,
    *imports.urlpatterns,
]
