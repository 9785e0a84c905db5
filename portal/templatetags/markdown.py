"""``{{ text|markdown }}``: Markdown rendered and sanitised (see portal.markdown)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from portal.markdown import render_markdown

register = template.Library()


@register.filter(name="markdown", is_safe=True)
def markdown_filter(value) -> SafeString:
    """Render ``value`` as Markdown; the HTML is sanitised by nh3 before it is marked safe."""
    return mark_safe(render_markdown(value))  # sanitised by nh3 in render_markdown
