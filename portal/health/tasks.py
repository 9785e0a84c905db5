"""Celery tasks of the health area."""

from __future__ import annotations

from celery import shared_task

from portal.health import services


@shared_task(
    name="health.send_feedback_prompts", acks_late=True, time_limit=600, soft_time_limit=540
)
def send_feedback_prompts() -> int:
    """Daily: prompt consumer teams (inbox) to rate integrations that went live a week ago.

    Idempotent (one event per dependency, deduplicated); returns how many prompts were new.
    """
    return services.feedback_prompts_send()
