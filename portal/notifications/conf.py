"""Tunables of the delivery pipeline, read from settings with safe defaults."""

from __future__ import annotations

from django.conf import settings


def _get(name: str, default):
    return getattr(settings, name, default)


def max_attempts() -> int:
    """After this many failed tries a notification is ``dead`` (replayable from the admin)."""
    return int(_get("PORTAL_NOTIFICATION_MAX_ATTEMPTS", 8))


def backoff_base_seconds() -> float:
    return float(_get("PORTAL_NOTIFICATION_BACKOFF_BASE_SECONDS", 30))


def backoff_max_seconds() -> float:
    return float(_get("PORTAL_NOTIFICATION_BACKOFF_MAX_SECONDS", 6 * 3600))


def lease_seconds() -> float:
    """How long a claimed row belongs to one worker before the sweeper may re-dispatch it."""
    return float(_get("PORTAL_NOTIFICATION_LEASE_SECONDS", 120))


def batch_size() -> int:
    """Rows claimed at once by a delivery task."""
    return int(_get("PORTAL_NOTIFICATION_BATCH_SIZE", 100))


def parallel_tasks() -> int:
    """At most this many delivery tasks are enqueued for one event (they share the work)."""
    return int(_get("PORTAL_NOTIFICATION_PARALLEL_TASKS", 4))


def task_budget_seconds() -> float:
    """A delivery task stops claiming after this long (below its soft time limit) and re-enqueues."""
    return float(_get("PORTAL_NOTIFICATION_TASK_BUDGET_SECONDS", 180))


def http_timeout_seconds() -> float:
    return float(_get("PORTAL_WEBHOOK_TIMEOUT_SECONDS", 5))


def settings_allowed_hosts() -> list[str]:
    return list(_get("PORTAL_WEBHOOK_ALLOWED_HOSTS", []))
