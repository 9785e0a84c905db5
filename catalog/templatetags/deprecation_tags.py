"""Template tags of the deprecation workflow, used by the catalog's pages."""

from django import template
from django.template.loader import render_to_string
from django.utils import timezone

from catalog.selectors import deprecations as sel

register = template.Library()


@register.simple_tag(takes_context=True)
def team_changes_panel(context, team) -> str:
    """ "What is changing under me": deprecations affecting ``team``, ordered by sunset."""
    today = timezone.localdate()
    deprecations = list(sel.deprecations_affecting_team(team=team)[:50])
    mine = sel.team_migrations(team=team, deprecation_ids=[d.pk for d in deprecations])
    rows = [
        {
            "deprecation": d,
            "days_left": sel.days_left(deprecation=d, today=today),
            "migrations": mine.get(d.pk, []),
        }
        for d in deprecations
    ]
    return render_to_string(
        "catalog/deprecations/_team_panel.html",
        {"team": team, "rows": rows},
        request=context.get("request"),
    )


@register.simple_tag(takes_context=True)
def version_deprecations_panel(context, api_version) -> str:
    """Deprecations of ``api_version`` with their migration boards' summary."""
    request = context.get("request")
    user = getattr(request, "user", None)
    deprecations = list(
        sel.deprecation_list(qs=api_version.deprecations.exclude(state="cancelled"))
    )
    return render_to_string(
        "catalog/deprecations/_version_panel.html",
        {
            "version": api_version,
            "deprecations": deprecations,
            "can_manage": sel.user_can_manage_deprecations(user=user, api_version=api_version),
        },
        request=request,
    )
