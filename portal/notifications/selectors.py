"""Reads of the notification outbox and inbox."""

from __future__ import annotations

from portal.notifications.models import Notification


def inbox_unread_count(*, user) -> int:
    """Unread in-app notifications addressed to any team the user belongs to."""
    return Notification.objects.filter(
        channel=Notification.Channel.INBOX,
        read_at__isnull=True,
        recipient__memberships__user=user,
    ).count()
