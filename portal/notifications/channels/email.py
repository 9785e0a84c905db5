"""E-mail: plain text with an HTML alternative, to the team's configured addresses."""

from __future__ import annotations

import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from portal.notifications.channels import Context, DeliveryError, Item


def addresses(target: str) -> list[str]:
    return [a.strip() for a in target.replace(";", ",").split(",") if a.strip()]


def message_for(*, to: list[str], items: list[Item]) -> EmailMultiAlternatives:
    context = {"items": items, "digest": len(items) > 1, "team": items[0].team}
    subject = (
        f"[Platform Portal] {items[0].title}"
        if len(items) == 1
        else f"[Platform Portal] Daily digest for {items[0].team}: {len(items)} changes"
    )
    text = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)
    message = EmailMultiAlternatives(
        subject=subject[:250].replace("\r", " ").replace("\n", " "),  # no BadHeaderError
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        headers={"X-Portal-Notification": ",".join(str(i.notification_id) for i in items)},
    )
    message.attach_alternative(html, "text/html")
    return message


def send(*, endpoint, items: list[Item], ctx: Context) -> None:
    to = addresses(endpoint.target)
    if not to:
        raise DeliveryError("The e-mail endpoint has no address.", permanent=True)
    try:
        message_for(to=to, items=items).send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc
