"""Template tags of the SLA registry, used by the catalog's pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def sla_panel(context, subject) -> str:
    """The active SLA, escalation path and compliance of a Service or Api (rendered HTML)."""
    return ""
