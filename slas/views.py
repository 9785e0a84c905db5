"""Read-only pages of the SLA registry (admins write in Django admin or through the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from slas import selectors
from slas.filters import SlaFilter
from slas.models import Sla, VersioningPolicy


@login_required
def sla_list(request):
    """Active SLAs with filters (subject, kind, tier, breached), paginated."""
    filterset = SlaFilter(request.GET or None, queryset=selectors.sla_list(active_only=False))
    qs = filterset.qs if filterset.is_bound else selectors.sla_list()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "slas/sla_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )


@login_required
def sla_detail(request, pk: int):
    """One SLA revision: the promise, compliance (for the active one) and the history."""
    sla = get_object_or_404(selectors.sla_queryset(), pk=pk)
    active = sla if sla.is_active else selectors.sla_active_for(subject=sla.subject)
    return render(
        request,
        "slas/sla_detail.html",
        {
            "sla": sla,
            "active": active,
            "history": selectors.sla_history(sla=sla),
            "incidents": selectors.sla_incidents(sla=sla),
        },
    )


@login_required
def policy_list(request):
    return render(request, "slas/policy_list.html", {"policies": selectors.policy_list()})


@login_required
def policy_detail(request, pk: int):
    policy = get_object_or_404(selectors.policy_list(), pk=pk)
    apis = policy.apis.select_related("provider").order_by("name")[:200]
    return render(
        request,
        "slas/policy_detail.html",
        {"policy": policy, "apis": apis, "notice": _notice_rows(policy)},
    )


def _notice_rows(policy: VersioningPolicy) -> list[tuple[str, int]]:
    return [(s, policy.min_notice_days(s)) for s in ("draft", "alpha", "beta", "stable")]


__all__ = ["Sla", "policy_detail", "policy_list", "sla_detail", "sla_list"]
