"""Celery tasks, one module per area (autodiscovered through this package)."""

from . import deprecations, imports, specs  # noqa: F401
