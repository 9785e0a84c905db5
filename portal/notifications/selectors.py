"""Reads of the notification outbox and inbox."""

from __future__ import annotations

from datetime import datetime

from django.apps import apps
from django.conf import settings
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from portal.notifications import conf
from portal.notifications.models import (
    Notification,
    NotificationEndpoint,
    RecipientPreference,
    WebhookAllowedHost,
)

# How the recipient model (a team) reaches its members: ``<recipient>.memberships`` rows with
# ``user`` and ``role``. A project can point PORTAL_NOTIFICATION_MANAGER_CHECK at a callable
# ``(user, recipient_id) -> bool`` instead.
MEMBERSHIP_RELATION = "memberships"
OWNER_ROLE = "owner"


def recipient_model():
    return apps.get_model(settings.PORTAL_NOTIFICATION_RECIPIENT_MODEL)


def inbox_for_user(*, user) -> QuerySet[Notification]:
    """In-app notifications addressed to any team the user belongs to, newest first."""
    if not (user and user.is_authenticated):
        return Notification.objects.none()
    team_ids = recipient_ids_for_user(user=user)
    return (
        Notification.objects.filter(channel=Notification.Channel.INBOX, recipient_id__in=team_ids)
        .select_related("event", "recipient")
        .order_by("-created_at", "-id")
    )


def inbox_unread_count(*, user) -> int:
    """Unread in-app notifications addressed to any team the user belongs to."""
    return Notification.objects.filter(
        channel=Notification.Channel.INBOX,
        read_at__isnull=True,
        recipient__memberships__user=user,
    ).count()


def recipient_ids_for_user(*, user, role: str | None = None) -> list[int]:
    if not (user and user.is_authenticated):
        return []
    lookup = {f"{MEMBERSHIP_RELATION}__user": user}
    if role:
        lookup[f"{MEMBERSHIP_RELATION}__role"] = role
    return list(recipient_model().objects.filter(**lookup).values_list("pk", flat=True).distinct())


def user_can_manage_recipient(*, user, recipient_id: int) -> bool:
    """Staff, or an owner of the team (read through the recipient model's memberships)."""
    if not (user and user.is_authenticated):
        return False
    if user.is_staff:
        return True
    custom = getattr(settings, "PORTAL_NOTIFICATION_MANAGER_CHECK", "")
    if custom:
        return bool(import_string(custom)(user, recipient_id))
    return (
        recipient_model()
        .objects.filter(
            pk=recipient_id,
            **{f"{MEMBERSHIP_RELATION}__user": user, f"{MEMBERSHIP_RELATION}__role": OWNER_ROLE},
        )
        .exists()
    )


def endpoints_for_user(*, user) -> QuerySet[NotificationEndpoint]:
    """Endpoints the user may manage: all for staff, else those of the teams they own."""
    qs = NotificationEndpoint.objects.select_related("recipient").order_by(
        "recipient_id", "channel"
    )
    if user.is_staff:
        return qs
    return qs.filter(recipient_id__in=recipient_ids_for_user(user=user, role=OWNER_ROLE))


def preferences_for_user(*, user) -> QuerySet[RecipientPreference]:
    qs = RecipientPreference.objects.select_related("recipient").order_by("recipient_id")
    if user.is_staff:
        return qs
    return qs.filter(recipient_id__in=recipient_ids_for_user(user=user, role=OWNER_ROLE))


def webhook_allowed_hosts() -> list[str]:
    """Hosts exempt from the private-address rule: settings plus the admin-managed list."""
    return [
        *conf.settings_allowed_hosts(),
        *WebhookAllowedHost.objects.values_list("host", flat=True),
    ]


def due_count(*, now: datetime | None = None, digest_only: bool = False) -> int:
    """Rows a delivery task would claim now (due, or stuck with an expired lease)."""
    from portal.notifications.services import _due_q

    return Notification.objects.filter(
        _due_q(now or timezone.now(), digest_only=digest_only)
    ).count()


def delivery_stats() -> dict[str, int]:
    """Counts of non-inbox notifications by state (for the admin and the bench)."""
    rows = (
        Notification.objects.exclude(channel=Notification.Channel.INBOX)
        .values("state")
        .order_by()
        .annotate(n=Count("id"))
    )
    return {row["state"]: row["n"] for row in rows}


# --- the settings page ------------------------------------------------------------------------

LAST_DELIVERY_STATES = (
    Notification.State.DELIVERED,
    Notification.State.FAILED,
    Notification.State.DEAD,
    Notification.State.SKIPPED,
)


def endpoints_for_recipient(*, recipient_id: int) -> QuerySet[NotificationEndpoint]:
    """A team's endpoints in channel order, each annotated with its last delivery outcome.

    ``last_state``, ``last_error`` and ``last_at`` come from the newest notification of that
    (team, channel) that was delivered, failed, dead or skipped; ``None`` when nothing was sent
    yet. One query, whatever the number of notifications.
    """
    last = Notification.objects.filter(
        recipient_id=OuterRef("recipient_id"),
        channel=OuterRef("channel"),
        state__in=LAST_DELIVERY_STATES,
    ).order_by("-id")
    return (
        NotificationEndpoint.objects.filter(recipient_id=recipient_id)
        .annotate(
            last_state=Subquery(last.values("state")[:1]),
            last_error=Subquery(last.values("last_error")[:1]),
            last_at=Subquery(
                last.annotate(at=Coalesce("delivered_at", "created_at")).values("at")[:1]
            ),
        )
        .order_by("channel")
    )


def preference_for_recipient(*, recipient_id: int) -> RecipientPreference:
    """The team's preference row, or an unsaved one holding the defaults when never set."""
    pref = RecipientPreference.objects.filter(recipient_id=recipient_id).first()
    return pref or RecipientPreference(recipient_id=recipient_id)


def recipients_managed_by(*, user) -> QuerySet:
    """Teams the user owns (in the recipient model's order): the settings pages to link to.

    Staff may manage every team but get no list of thousands here; they reach a team's settings
    from its page.
    """
    return recipient_model().objects.filter(
        pk__in=recipient_ids_for_user(user=user, role=OWNER_ROLE)
    )
