"""Template tags of the deprecation workflow, used by the catalog's pages."""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def team_changes_panel(context, team) -> str:
    """"What is changing under me": deprecations affecting ``team``, ordered by sunset."""
    return ""


@register.simple_tag(takes_context=True)
def version_deprecations_panel(context, api_version) -> str:
    """Deprecations of ``api_version`` with their migration boards' summary."""
    return ""
