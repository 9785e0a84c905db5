"""Markdown rendered to HTML that is safe to show: python-markdown, then an nh3 allow-list.

No script, no event-handler attributes, no ``javascript:`` (or ``data:``) URLs; every link gets
``rel="noopener noreferrer"``. Raw HTML in the source is sanitised the same way as generated HTML.
"""

from __future__ import annotations

import markdown as _markdown
import nh3

ALLOWED_TAGS = frozenset(
    {
        "a",
        "abbr",
        "b",
        "blockquote",
        "br",
        "code",
        "dd",
        "del",
        "details",
        "dl",
        "dt",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "sub",
        "summary",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "ul",
    }
)

ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "code": {"class"},
    "ol": {"start"},
}

ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})

# Contents of these tags are dropped entirely, not just the tags.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe", "object", "embed", "noscript"})

EXTENSIONS = ["fenced_code", "tables", "sane_lists", "nl2br"]


def sanitize_html(html: str) -> str:
    """Keep only the allow-listed tags, attributes and URL schemes of ``html``."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(DROPPED_WITH_CONTENT),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str | None) -> str:
    """Render Markdown ``text`` to sanitised HTML (an empty string for empty input)."""
    if not text:
        return ""
    html = _markdown.markdown(str(text), extensions=EXTENSIONS, output_format="html")
    return sanitize_html(html)
