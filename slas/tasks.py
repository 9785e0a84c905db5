"""Celery tasks of the SLA registry: thin, they call the service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task


@shared_task(
    name="slas.compliance_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    soft_time_limit=900,
    time_limit=960,
)
def compliance_refresh(today: str | None = None) -> int:
    """Recompute every active SLA's window compliance (attained, budget left, breached): the
    rolling window moves every day even when no measurement arrives. Idempotent."""
    from slas.services import sla_compliance_refresh_all

    return sla_compliance_refresh_all(today=dt.date.fromisoformat(today) if today else None)
