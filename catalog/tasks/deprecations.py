"""Celery tasks of the deprecation workflow: thin, they call the service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": 900,
    "time_limit": 960,
}


@shared_task(name="catalog.deprecations_daily", **TASK_OPTIONS)
def deprecations_daily(today: str | None = None) -> dict:
    """The daily clock: reminders at the policy's offsets, sunset blocked or ready. Idempotent
    (every notice has a dedupe key), so beat may run it as often as it likes."""
    from catalog.services.deprecations import deprecations_daily as run

    return run(today=dt.date.fromisoformat(today) if today else None)
