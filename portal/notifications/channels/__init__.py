"""Delivery channels. Each module exposes ``send(*, endpoint, items, ctx)``.

``items`` is a list of :class:`Item` (one notification, or several for a digest); a channel raises
:class:`DeliveryError` when the message did not get through.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class DeliveryError(Exception):
    """Delivery failed. ``permanent`` skips the retries; ``gone`` disables the endpoint (HTTP 410)."""

    def __init__(self, message: str, *, permanent: bool = False, gone: bool = False):
        super().__init__(message)
        self.message = message
        self.permanent = permanent or gone
        self.gone = gone


@dataclass
class Item:
    """What a channel needs to render one notification."""

    notification_id: int
    kind: str
    title: str
    body: str
    url: str
    payload: dict
    relation: str
    path: list
    detail: dict
    team: str
    created_at: str
    event_id: int


@dataclass
class Context:
    """Per-batch state shared by the channels: allow-listed hosts and one HTTP client."""

    allowed_hosts: list[str] = field(default_factory=list)
    http: object | None = None


def message_id(items: list[Item]) -> str:
    """The ``webhook-id`` of a message: stable across retries of the same notification(s)."""
    if len(items) == 1:
        return f"msg_{items[0].notification_id}"
    ids = sorted(i.notification_id for i in items)
    return f"digest_{ids[0]}_{ids[-1]}_{len(ids)}"


def send(channel: str, *, endpoint, items: list[Item], ctx: Context) -> None:
    from portal.notifications.channels import chat, email, webhook

    senders = {"email": email.send, "chat": chat.send, "webhook": webhook.send}
    sender = senders.get(channel)
    if sender is None:
        raise DeliveryError(f"Unknown channel '{channel}'.", permanent=True)
    sender(endpoint=endpoint, items=items, ctx=ctx)
