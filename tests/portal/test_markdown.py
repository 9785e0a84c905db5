"""Markdown is rendered and sanitised: nothing executable survives, links are safe."""

from __future__ import annotations

import re

import pytest
from django.template import Context, Template

from portal.markdown import render_markdown

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)><circle r=1></svg>",
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="  javascript:alert(1)">click</a>',
    "[click](javascript:alert(1))",
    "[click](JAVASCRIPT:alert(1))",
    "![x](javascript:alert(1))",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p onclick="alert(1)">x</p>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<form action="https://evil.example"><input name=x></form>',
    "<details open ontoggle=alert(1)>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
]


@pytest.mark.parametrize("payload", XSS_PAYLOADS)
def test_xss_payloads_are_neutralised(payload):
    html = render_markdown(f"Before\n\n{payload}\n\nAfter").lower()
    assert "<script" not in html
    assert "javascript:" not in html
    assert "data:text/html" not in html
    assert not re.search(r"\son[a-z]+\s*=", html)  # no onerror=, onload=, onclick= ...
    assert "<iframe" not in html and "<object" not in html and "<form" not in html
    assert "<svg" not in html and "<meta" not in html and "style=" not in html
    if "<style>" not in payload:  # an unclosed <style> swallows the rest; that is safe too
        assert "after" in html  # the rest of the document survives


def test_script_content_is_dropped_not_shown():
    assert "alert" not in render_markdown("<script>alert('x')</script>Hello")


def test_markdown_features_render():
    html = render_markdown(
        "# Getting started\n\nRun **make run**, then read [the docs](https://docs.example/x).\n\n"
        "| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nprint('hi')\n```\n\n- one\n- two\n"
    )
    assert "<h1>Getting started</h1>" in html
    assert "<strong>make run</strong>" in html
    assert '<a href="https://docs.example/x" rel="noopener noreferrer">the docs</a>' in html
    assert "<table>" in html and "<td>1</td>" in html
    assert '<code class="language-python">' in html
    assert "<li>one</li>" in html


def test_every_link_gets_noopener():
    html = render_markdown('<a href="https://x.example" rel="opener" target="_blank">x</a>')
    assert 'rel="noopener noreferrer"' in html
    assert "target=" not in html


def test_mailto_links_are_kept():
    assert 'href="mailto:team@example.com"' in render_markdown("[mail](mailto:team@example.com)")


@pytest.mark.parametrize("value", [None, ""])
def test_empty_input_renders_empty(value):
    assert render_markdown(value) == ""


def test_template_filter_renders_and_sanitises():
    out = Template("{% load markdown %}{{ notes|markdown }}").render(
        Context({"notes": "**hi** <img src=x onerror=alert(1)>"})
    )
    assert "<strong>hi</strong>" in out
    assert "onerror" not in out
    # the filter's output is not escaped a second time
    assert "&lt;strong&gt;" not in out
