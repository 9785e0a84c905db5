"""Celery tasks of the delivery pipeline. Thin: they call the services.

Every task is idempotent (rows are claimed with a lease; a delivered row is never sent again),
acknowledged late and rejected (re-queued) when the worker process is lost, with time limits well
below the broker's visibility timeout. Waits between retries live in the database
(``next_attempt_at``), never as broker countdowns.
"""

from __future__ import annotations

import logging

from celery import shared_task

from portal.notifications import services

logger = logging.getLogger(__name__)

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": 240,
    "time_limit": 300,
}


@shared_task(name="notifications.deliver_due", **TASK_OPTIONS)
def deliver_due(digest_only: bool = False) -> dict:
    """Claim due notifications in batches and deliver them until none are left (or time is up)."""
    report = services.delivery_run(digest_only=digest_only)
    if report.claimed:
        logger.info("notifications delivered: %s", report)
    return report.__dict__


@shared_task(name="notifications.sweep", **TASK_OPTIONS)
def sweep() -> int:
    """Beat, every minute: re-dispatch anything pending, due for retry, or stuck (lease expired)."""
    return services.sweep()


@shared_task(name="notifications.send_digests", **TASK_OPTIONS)
def send_digests() -> dict:
    """Beat, hourly: send the daily digests due now (teams pick their digest hour)."""
    return services.delivery_run(digest_only=True).__dict__
