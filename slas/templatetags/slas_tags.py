"""Template tags of the SLA registry, used by the catalog's pages."""

from __future__ import annotations

from django import template
from django.template.loader import render_to_string

from slas import charts, selectors

register = template.Library()


def panel_context(sla, *, request=None) -> dict:
    """What the SLA panel shows: the promise, escalation path, compliance and the chart."""
    if sla is None:
        return {"sla": None}
    result = selectors.sla_compliance(sla=sla)
    return {
        "sla": sla,
        "result": result,
        "chart": charts.compliance_chart(result),
        "severity_targets": list(sla.severity_targets.all()),
        "escalation_levels": list(sla.escalation_levels.all()),
    }


@register.simple_tag(takes_context=True)
def sla_panel(context, subject) -> str:
    """The active SLA, escalation path and compliance of a Service or Api (rendered HTML)."""
    if subject is None:
        return ""
    sla = selectors.sla_active_for(subject=subject)
    ctx = panel_context(sla)
    ctx["subject"] = subject
    ctx["user"] = context.get("user")
    return render_to_string("slas/_panel.html", ctx, request=context.get("request"))


@register.filter
def percent(value, places: int = 3) -> str:
    """A Decimal fraction or percentage shown with ``places`` decimals, or an em dash."""
    if value is None:
        return "—"
    return f"{float(value):.{int(places)}f}"


@register.filter
def fraction_percent(value, places: int = 1) -> str:
    """A fraction (0.42) shown as a percentage (42.0)."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{int(places)}f}"
