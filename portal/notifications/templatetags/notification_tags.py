"""Template tags other apps' pages use to reach the notification pages (no logic: a read and a link)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.html import format_html

from portal.notifications import selectors

register = template.Library()


@register.simple_tag(takes_context=True)
def notification_settings_link(context, team) -> str:
    """A link to ``team``'s notification settings, only for users who may manage them."""
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    if team is None or not selectors.user_can_manage_recipient(user=user, recipient_id=team.pk):
        return ""
    return format_html(
        '<a href="{}" data-testid="notification-settings-link">Notification settings</a>',
        reverse("notifications:settings", args=[team.pk]),
    )
