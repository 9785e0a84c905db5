"""Forms of the notification settings page: they parse input only; the services decide.

Every rule (who may, the URL guard, one endpoint per channel, the digest hour's range) lives in
``portal.notifications.services``; a refusal comes back as a DomainError and is shown on the form
through :func:`add_domain_error`.
"""

from __future__ import annotations

from django import forms

from portal.api.exceptions import DomainError
from portal.notifications.models import DeliveryMode, NotificationEndpoint


class EndpointAddForm(forms.Form):
    """A new endpoint: the channel and where it goes (checked by the URL guard on save)."""

    channel = forms.ChoiceField(choices=NotificationEndpoint.Channel.choices)
    target = forms.CharField(
        max_length=2000,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=(
            "E-mail: comma-separated addresses. Chat or signed webhook: the https:// URL; "
            "internal addresses are refused."
        ),
    )


class EndpointToggleForm(forms.Form):
    """Turn an endpoint on (``1``) or off (``0``)."""

    enabled = forms.TypedChoiceField(
        choices=[("1", "Enable"), ("0", "Disable")], coerce=lambda v: v == "1"
    )


class PreferenceForm(forms.Form):
    """How the team is notified: at once or in a daily digest, and transitive notices."""

    delivery_mode = forms.ChoiceField(
        choices=DeliveryMode.choices, widget=forms.RadioSelect, label="Delivery"
    )
    digest_hour = forms.IntegerField(
        min_value=0,
        max_value=23,
        label="Digest hour (UTC)",
        help_text="0 to 23; used when delivery is the daily digest.",
    )
    transitive_notices = forms.BooleanField(
        required=False,
        label="Transitive notices",
        help_text="Also tell us when something our dependencies depend on changes.",
    )


def add_domain_error(form: forms.Form, exc: DomainError) -> None:
    """Show a service's refusal on ``form``: per field where the service named one, else on top."""
    placed = False
    for field, messages in exc.errors.items():
        if field in form.fields:
            for message in messages:
                form.add_error(field, message)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)
