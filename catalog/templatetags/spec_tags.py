"""Template tags of the spec registry, used by the catalog's pages."""

from django import template
from django.template.loader import render_to_string

from catalog.selectors.specs import spec_panel

register = template.Library()


@register.simple_tag(takes_context=True)
def version_spec_panel(context, api_version) -> str:
    """Operations grouped by tag, schemas, and the changelog against the previous version."""
    panel = spec_panel(api_version=api_version)
    return render_to_string(
        "catalog/specs/_panel.html",
        {"panel": panel, "version": api_version},
        request=context.get("request"),
    )
