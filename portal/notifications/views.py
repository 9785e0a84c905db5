"""The inbox page: the signed-in user's teams' notifications, with mark-read (POST, CSRF)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from portal.notifications import selectors, services
from portal.notifications.models import ChangeEvent


@login_required
def inbox(request):
    qs = selectors.inbox_for_user(user=request.user)
    unread_only = request.GET.get("unread") == "1"
    kind = request.GET.get("kind", "")
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    if kind in ChangeEvent.Kind.values:
        qs = qs.filter(event__kind=kind)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "unread_only": unread_only,
        "kind": kind,
        "kinds": ChangeEvent.Kind.choices,
        "has_teams": bool(selectors.recipient_ids_for_user(user=request.user)),
    }
    return render(request, "notifications/inbox.html", context)


def _back(request):
    target = request.POST.get("next", "")
    inbox_url = reverse("notifications:inbox")
    return redirect(target if target.startswith(inbox_url) else inbox_url)


@login_required
@require_POST
def mark_read(request, pk: int):
    marked = services.inbox_mark_read(user=request.user, ids=[pk])
    if not marked:
        messages.info(request, "That notification was already read or is not in your inbox.")
    return _back(request)


@login_required
@require_POST
def mark_all_read(request):
    marked = services.inbox_mark_read(user=request.user)
    messages.success(request, f"Marked {marked} notification{'s' if marked != 1 else ''} read.")
    return _back(request)
