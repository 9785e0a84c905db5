"""Django admin, one module per area."""

from . import catalog, deprecations, imports, specs  # noqa: F401
