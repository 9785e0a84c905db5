"""Template tags of the spec registry, used by the catalog's pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def version_spec_panel(context, api_version) -> str:
    """Operations grouped by tag, schemas, and the changelog against the previous version."""
    return ""
