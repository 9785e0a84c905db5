"""Pages of notifications: the inbox (the signed-in user's teams' notifications, mark-read) and
a team's notification settings (endpoints, webhook secrets, preferences). Every form is a POST
with CSRF; views parse input, check who may, and call ``services``.
"""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal.api.exceptions import DomainError
from portal.notifications import selectors, services
from portal.notifications.forms import (
    EndpointAddForm,
    EndpointToggleForm,
    PreferenceForm,
    add_domain_error,
)
from portal.notifications.models import ChangeEvent, NotificationEndpoint


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
        "managed_teams": selectors.recipients_managed_by(user=request.user),
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


# --- a team's notification settings ------------------------------------------------------------
# Who may: the same rule as the API (selectors.user_can_manage_recipient: the team's owners, or
# staff); anyone else signed in gets 403, anonymous visitors the login. Webhook signing secrets
# appear only in the response to the POST that created or rotated them (never stored in the
# session, never on a later page), and that response is not cached.

MAX_ID = 2**63 - 1  # a larger path id is no row (and must not overflow the database driver)


def _team_or_404(team_id: int):
    if team_id > MAX_ID:
        raise Http404("No such team.")
    return get_object_or_404(selectors.recipient_model(), pk=team_id)


def _endpoint_or_404(team, pk: int) -> NotificationEndpoint:
    if pk > MAX_ID:
        raise Http404("No such endpoint.")
    return get_object_or_404(NotificationEndpoint, pk=pk, recipient_id=team.pk)


def _forbidden(request, team):
    return render(request, "notifications/settings_forbidden.html", {"team": team}, status=403)


def team_managers_only(view):
    """Turn ``team_id`` into the team (404 if none) and let only those who may manage it through.

    Others get the 403 page before the view runs; a service that refuses for the same reason
    later (``DomainError`` of kind ``forbidden``) gets the same page.
    """

    @wraps(view)
    def wrapped(request, team_id: int, **kwargs):
        team = _team_or_404(team_id)
        if not selectors.user_can_manage_recipient(user=request.user, recipient_id=team.pk):
            return _forbidden(request, team)
        try:
            return view(request, team, **kwargs)
        except DomainError as exc:
            if exc.kind == "forbidden":
                return _forbidden(request, team)
            raise

    return wrapped


def masked_target(endpoint: NotificationEndpoint) -> str:
    """What the page shows of a target: e-mail addresses in full; a webhook URL's scheme and host
    only, since chat webhook URLs carry their credential in the path or query."""
    if endpoint.channel == NotificationEndpoint.Channel.EMAIL:
        return endpoint.target
    parts = urlsplit(endpoint.target)
    host = parts.netloc.rsplit("@", 1)[-1]
    hidden = parts.path not in ("", "/") or parts.query or parts.fragment
    return f"{parts.scheme}://{host}/{'…' if hidden else ''}"


def _masked_error(endpoint: NotificationEndpoint, error: str | None) -> str:
    """A delivery error with any part of the endpoint's secret-bearing URL taken out."""
    if not error or endpoint.channel == NotificationEndpoint.Channel.EMAIL:
        return error or ""
    parts = urlsplit(endpoint.target)
    for secret in (endpoint.target, parts.path, parts.query, parts.fragment):
        if secret and secret != "/":
            error = error.replace(secret, "/…")
    return error


def _render_settings(
    request,
    team,
    *,
    add_form: EndpointAddForm | None = None,
    pref_form: PreferenceForm | None = None,
    new_secret: dict | None = None,
    error: str = "",
    status: int = 200,
):
    endpoints = list(selectors.endpoints_for_recipient(recipient_id=team.pk))
    taken = {e.channel for e in endpoints}
    if add_form is None:
        free = [c for c in NotificationEndpoint.Channel.values if c not in taken]
        add_form = EndpointAddForm(initial={"channel": free[0] if free else None})
    if pref_form is None:
        pref = selectors.preference_for_recipient(recipient_id=team.pk)
        pref_form = PreferenceForm(
            initial={
                "delivery_mode": pref.delivery_mode,
                "digest_hour": pref.digest_hour,
                "transitive_notices": pref.transitive_notices,
            }
        )
    context = {
        "team": team,
        "rows": [
            {
                "endpoint": e,
                "target": masked_target(e),
                "last_error": _masked_error(e, e.last_error),
            }
            for e in endpoints
        ],
        "all_channels_set": taken >= set(NotificationEndpoint.Channel.values),
        "add_form": add_form,
        "pref_form": pref_form,
        "new_secret": new_secret,
        "error": error,
    }
    response = render(request, "notifications/settings.html", context, status=status)
    add_never_cache_headers(response)
    return response


def _refused(request, team, exc: DomainError, *, prefix: str = ""):
    """The settings page with a service's refusal on top (its status: 400, 409, …)."""
    message = "; ".join(m for msgs in exc.errors.values() for m in msgs) or exc.detail
    return _render_settings(request, team, error=prefix + message, status=exc.status_code)


def _back_to_settings(team):
    return redirect("notifications:settings", team_id=team.pk)


@login_required
@require_GET
@team_managers_only
def team_settings(request, team):
    """The team's endpoints (targets masked), their state and last delivery, and preferences."""
    return _render_settings(request, team)


@login_required
@require_POST
@team_managers_only
def endpoint_add(request, team):
    """Add an endpoint; a signed webhook's new secret is shown in this response only."""
    form = EndpointAddForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, team, add_form=form, status=400)
    try:
        endpoint, secret = services.endpoint_save(
            actor=request.user,
            recipient_id=team.pk,
            channel=form.cleaned_data["channel"],
            target=form.cleaned_data["target"],
        )
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise
        add_domain_error(form, exc)
        return _render_settings(request, team, add_form=form, status=exc.status_code)
    if secret:
        return _render_settings(request, team, new_secret={"endpoint": endpoint, "secret": secret})
    messages.success(request, f"{endpoint.get_channel_display()} endpoint added.")
    return _back_to_settings(team)


@login_required
@require_POST
@team_managers_only
def endpoint_toggle(request, team, pk: int):
    """Enable or disable an endpoint (re-enabling runs the URL guard and clears the reason)."""
    endpoint = _endpoint_or_404(team, pk)
    form = EndpointToggleForm(request.POST)
    if not form.is_valid():
        return _render_settings(
            request, team, error="Say whether to enable or disable the endpoint.", status=400
        )
    enabled = form.cleaned_data["enabled"]
    label = endpoint.get_channel_display()
    try:
        services.endpoint_save(
            actor=request.user,
            recipient_id=team.pk,
            channel=endpoint.channel,
            target=endpoint.target,
            enabled=enabled,
            endpoint=endpoint,
        )
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise
        return _refused(request, team, exc, prefix=f"Could not change the {label.lower()}: ")
    messages.success(request, f"{label} endpoint {'enabled' if enabled else 'disabled'}.")
    return _back_to_settings(team)


def _confirm(request, team, endpoint, *, action: str):
    return render(
        request,
        "notifications/endpoint_confirm.html",
        {"team": team, "endpoint": endpoint, "target": masked_target(endpoint), "action": action},
    )


@login_required
@require_http_methods(["GET", "POST"])
@team_managers_only
def endpoint_rotate(request, team, pk: int):
    """GET asks for confirmation; POST gives the signed webhook a new secret, shown once."""
    endpoint = _endpoint_or_404(team, pk)
    if request.method == "GET":
        return _confirm(request, team, endpoint, action="rotate")
    try:
        secret = services.endpoint_rotate_secret(actor=request.user, endpoint=endpoint)
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise
        return _refused(request, team, exc)
    return _render_settings(request, team, new_secret={"endpoint": endpoint, "secret": secret})


@login_required
@require_http_methods(["GET", "POST"])
@team_managers_only
def endpoint_delete(request, team, pk: int):
    """GET asks for confirmation; POST removes the endpoint."""
    endpoint = _endpoint_or_404(team, pk)
    if request.method == "GET":
        return _confirm(request, team, endpoint, action="delete")
    label = endpoint.get_channel_display()
    services.endpoint_delete(actor=request.user, endpoint=endpoint)
    messages.success(request, f"{label} endpoint deleted.")
    return _back_to_settings(team)


@login_required
@require_POST
@team_managers_only
def preferences_save(request, team):
    """Save how the team is notified (immediately or daily digest; transitive notices)."""
    form = PreferenceForm(request.POST)
    if not form.is_valid():
        return _render_settings(request, team, pref_form=form, status=400)
    try:
        services.preference_set(actor=request.user, recipient_id=team.pk, **form.cleaned_data)
    except DomainError as exc:
        if exc.kind == "forbidden":
            raise
        add_domain_error(form, exc)
        return _render_settings(request, team, pref_form=form, status=exc.status_code)
    messages.success(request, "Notification preferences saved.")
    return _back_to_settings(team)
