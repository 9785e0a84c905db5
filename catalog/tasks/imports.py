"""Celery tasks of the Backstage import: thin, they call the service."""

from __future__ import annotations

from celery import shared_task

TASK_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "ignore_result": True,
    "soft_time_limit": 600,
    "time_limit": 660,
}


@shared_task(name="catalog.import_job_run", **TASK_OPTIONS)
def import_job_run(job_id: int) -> None:
    """Run one uploaded catalog import (idempotent: a finished job is not run again)."""
    from catalog.services.imports import import_job_run as run

    run(job_id=job_id)
