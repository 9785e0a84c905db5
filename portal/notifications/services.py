"""Writes of the notification outbox."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction

from portal.notifications.models import ChangeEvent, Notification


@dataclass(frozen=True)
class Recipient:
    """A team to notify about an event, and why (its relation and the dependency path)."""

    team_id: int
    relation: str = Notification.Relation.DIRECT
    path: list[str] = field(default_factory=list)
    detail: dict = field(default_factory=dict)


def _channels_for(team_ids: list[int]) -> dict[int, list[str]]:
    """Channels each team receives on. Every team has the in-app inbox."""
    return {team_id: [Notification.Channel.INBOX] for team_id in team_ids}


@transaction.atomic
def event_record(
    *,
    kind: str,
    dedupe_key: str,
    title: str,
    body: str = "",
    url: str = "",
    payload: dict | None = None,
    recipients: Iterable[Recipient],
    actor=None,
) -> ChangeEvent:
    """Record a change event and plan one notification per (team, channel).

    Must be called inside the transaction of the change itself (it joins it). A second call with
    the same ``dedupe_key`` returns the existing event and writes nothing. Dispatch is scheduled
    for after commit.
    """
    existing = ChangeEvent.objects.filter(dedupe_key=dedupe_key).first()
    if existing is not None:
        return existing
    event = ChangeEvent.objects.create(
        kind=kind,
        dedupe_key=dedupe_key,
        title=title[:300],
        body=body,
        url=url,
        payload=payload or {},
        actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
    )
    by_team: dict[int, Recipient] = {}
    order = {"owner": 0, "direct": 1, "transitive": 2}
    for recipient in recipients:
        current = by_team.get(recipient.team_id)
        if current is None or order.get(recipient.relation, 9) < order.get(current.relation, 9):
            by_team[recipient.team_id] = recipient
    channels = _channels_for(list(by_team))
    rows = [
        Notification(
            event=event,
            recipient_id=team_id,
            channel=channel,
            relation=recipient.relation,
            path=list(recipient.path),
            detail=dict(recipient.detail),
        )
        for team_id, recipient in by_team.items()
        for channel in channels.get(team_id, [])
    ]
    Notification.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return event
