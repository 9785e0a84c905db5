"""Pages of the catalog core: home with search and facets, service, team, API, version, layers.

Views parse input, check permissions and call selectors/services; nothing else. Every page needs
a signed-in user (anonymous visitors are sent to the login page).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from catalog import graph
from catalog.forms import DependencyDeclareForm, ServiceEditForm
from catalog.models import Api, ApiVersion, Service, Team
from catalog.selectors import catalog as catalog_selectors
from catalog.selectors import pages as page_selectors
from catalog.selectors.permissions import (
    user_can_declare_dependency,
    user_can_edit_service,
    user_team_ids,
)
from catalog.services import catalog as catalog_services
from portal.api.exceptions import DomainError

PAGE_SIZE = 25
FILTER_KEYS = ("search", "owner", "layer", "tier", "lifecycle", "tag", "ordering")
ORDERINGS = [
    ("", "Relevance / name"),
    ("name", "Name A→Z"),
    ("-name", "Name Z→A"),
    ("tier", "Most critical first"),
    ("-updated_at", "Recently updated"),
]


def _filters(request: HttpRequest) -> dict[str, list[str]]:
    """The catalog filters of the query string (empty values dropped)."""
    out: dict[str, list[str]] = {}
    for key in FILTER_KEYS:
        values = [v for v in request.GET.getlist(key) if v.strip()]
        if values:
            out[key] = values
    return out


def _filter_data(filters: dict[str, list[str]]) -> dict:
    """FilterSet data: single-valued filters as strings, multi-valued ones as lists."""
    return {
        k: (v if k in ("layer", "tier", "lifecycle") else v[0]) for k, v in filters.items() if v
    }


@login_required
def service_list(request: HttpRequest) -> HttpResponse:
    """The catalog home: search, facets with counts, a page of services."""
    filters = _filters(request)
    context: dict = {
        "filters": filters,
        "search": (filters.get("search") or [""])[0],
        "orderings": ORDERINGS,
        "ordering": (filters.get("ordering") or [""])[0],
        "error": None,
    }
    status = 200
    try:
        data = _filter_data(filters)
        services = catalog_selectors.service_list(filters=data)
        facets = catalog_selectors.service_facets(filters=data)
        paginator = Paginator(services, PAGE_SIZE)
        try:
            page = paginator.page(request.GET.get("page") or 1)
        except PageNotAnInteger:
            page = paginator.page(1)
        except EmptyPage:
            page = paginator.page(paginator.num_pages)
        context.update(page=page, facets=facets, total=paginator.count)
    except DomainError as exc:
        status = 400
        context.update(page=None, facets=None, total=0, error=exc)
    template = "catalog/_catalog_body.html" if request.htmx else "catalog/service_list.html"
    return render(request, template, context, status=status)


def _service_or_404(slug: str) -> Service:
    try:
        return catalog_selectors.service_get(slug=slug)
    except Service.DoesNotExist:
        raise Http404("No such service.") from None


def _url_maker(name: str):
    """A fast ``slug → URL`` for ``name`` (reverse once, then format), for thousands of links."""
    marker = "__slug__"
    pattern = reverse(name, args=[marker])
    return lambda slug: pattern.replace(marker, str(slug))


def _graph_svg(service: Service, neighbourhood: page_selectors.Neighbourhood) -> str:
    service_url = _url_maker("catalog:service-detail")
    team_url = _url_maker("catalog:team-detail")

    def nodes(side: page_selectors.Side) -> list[graph.GraphNode]:
        return [
            graph.GraphNode(
                key=n.slug,
                label=n.name,
                layer=n.layer,
                group=n.team_name,
                url=service_url(n.slug),
                group_url=team_url(n.team_slug),
                detail=f"via {n.apis}",
                weight=n.edges,
            )
            for n in side.top
        ]

    def groups(side: page_selectors.Side) -> list[graph.GroupCount]:
        return [graph.GroupCount(t.name, t.services, team_url(t.slug)) for t in side.teams]

    return graph.neighbourhood_svg(
        center=graph.GraphNode(
            key=service.slug,
            label=service.name,
            layer=service.layer,
            group=service.owner.name,
            url=service.get_absolute_url(),
        ),
        upstream=nodes(neighbourhood.upstream),
        downstream=nodes(neighbourhood.downstream),
        upstream_groups=groups(neighbourhood.upstream),
        downstream_groups=groups(neighbourhood.downstream),
    )


@login_required
def service_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A service: owners, APIs and versions, consumers, what it depends on, links, onboarding
    notes and its neighbourhood graph. The impact summary loads from ``service_impact``."""
    service = _service_or_404(slug)
    neighbourhood = page_selectors.service_neighbourhood(service=service)
    context = {
        "service": service,
        "owners": catalog_selectors.team_members(team=service.owner),
        "apis": catalog_selectors.service_apis(service=service),
        "consumers": page_selectors.capped_known(
            catalog_selectors.service_consumers(service=service),
            total=neighbourhood.downstream.edges,
        ),
        "depends_on": page_selectors.capped_known(
            catalog_selectors.service_dependencies(service=service),
            total=neighbourhood.upstream.edges,
        ),
        "graph_svg": _graph_svg(service, neighbourhood),
        "neighbourhood": neighbourhood,
        "can_edit": user_can_edit_service(user=request.user, service=service),
        "can_declare": user_can_declare_dependency(user=request.user, consumer=service),
    }
    return render(request, "catalog/service_detail.html", context)


def _impact_response(request: HttpRequest, *, impact, subject: str, back_url: str):
    """The impact summary: a fragment for htmx (the detail pages load it lazily), else a page."""
    context = {
        "impact": impact,
        "impact_sample": impact.transitive[:10],
        "subject": subject,
        "back_url": back_url,
    }
    template = "catalog/_impact.html" if request.htmx else "catalog/impact.html"
    return render(request, template, context)


@login_required
def service_impact(request: HttpRequest, slug: str) -> HttpResponse:
    """Who a change to any API of the service reaches: direct and transitive consumers."""
    service = _service_or_404(slug)
    impact = catalog_selectors.impact_for_service(service=service)
    return _impact_response(
        request, impact=impact, subject=service.name, back_url=service.get_absolute_url()
    )


@login_required
def apiversion_impact(request: HttpRequest, pk: int) -> HttpResponse:
    """Who a change to the API version reaches: direct and transitive consumers."""
    try:
        version = page_selectors.api_version_get(pk=pk)
    except ApiVersion.DoesNotExist:
        raise Http404("No such API version.") from None
    impact = catalog_selectors.impact_for_api_version(api_version=version)
    return _impact_response(
        request, impact=impact, subject=str(version), back_url=version.get_absolute_url()
    )


@login_required
@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Owners (and staff) edit tier, lifecycle, links and onboarding notes."""
    service = _service_or_404(slug)
    if not user_can_edit_service(user=request.user, service=service):
        raise PermissionDenied("Only the owners of this service's team may edit it.")
    status = 200
    if request.method == "POST":
        form = ServiceEditForm(request.POST)
        if form.is_valid():
            try:
                catalog_services.service_update(service=service, **form.changes(service))
            except DomainError as exc:
                _form_errors(form, exc)
                status = 400
            else:
                messages.success(request, f"{service.name} was updated.")
                return redirect(service.get_absolute_url())
        else:
            status = 400
    else:
        form = ServiceEditForm(initial=ServiceEditForm.initial_for(service))
    return render(
        request, "catalog/service_edit.html", {"service": service, "form": form}, status=status
    )


#: Service error fields that a form shows under another name.
FIELD_ALIASES = {"api_version": "version"}


def _form_errors(form, exc: DomainError) -> None:
    """Show a service's refusal on the form: on the fields it names, else on the whole form."""
    placed = False
    for name, msgs in (exc.errors or {}).items():
        field = FIELD_ALIASES.get(name, name)
        if field in form.fields and field not in form.errors:
            for msg in msgs:
                form.add_error(field, msg)
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


@login_required
@require_http_methods(["GET", "POST"])
def dependency_declare(request: HttpRequest) -> HttpResponse:
    """Declare that one of my team's services consumes an API version."""
    status = 200
    if request.method == "POST":
        form = DependencyDeclareForm(request.POST)
        if form.is_valid():
            consumer = form.cleaned_data["consumer"]
            if not user_can_declare_dependency(user=request.user, consumer=consumer):
                raise PermissionDenied(
                    "Only members of the consuming service's team may declare its dependencies."
                )
            try:
                dependency = catalog_services.dependency_create(
                    consumer=consumer,
                    api_version=form.cleaned_data["api_version"],
                    purpose=form.cleaned_data["purpose"],
                    requested_at=form.cleaned_data["requested_at"],
                    live_at=form.cleaned_data["live_at"],
                )
            except DomainError as exc:
                _form_errors(form, exc)
                status = 409 if exc.kind == "conflict" else 400
            else:
                messages.success(request, f"Declared: {dependency}.")
                return redirect(consumer.get_absolute_url())
        else:
            status = 400
    else:
        initial: dict = {}
        if consumer := request.GET.get("consumer"):
            initial["consumer"] = consumer
        version_id = request.GET.get("api_version", "")
        if version_id.isascii() and version_id.isdigit() and len(version_id) <= 18:  # not a 500
            version = ApiVersion.objects.select_related("api").filter(pk=version_id).first()
            if version is not None:
                initial.update(api=version.api.slug, version=version.version)
        form = DependencyDeclareForm(initial=initial)
    context = {
        "form": form,
        "declarable": page_selectors.declarable_services(user=request.user)[:500],
    }
    return render(request, "catalog/dependency_declare.html", context, status=status)


@login_required
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """A team: its services, members and what it consumes."""
    try:
        team = Team.objects.get(slug=slug)
    except Team.DoesNotExist:
        raise Http404("No such team.") from None
    context = {
        "team": team,
        "services": page_selectors.capped(page_selectors.team_services(team=team)),
        "members": catalog_selectors.team_members(team=team),
        "consumes": page_selectors.capped(catalog_selectors.team_consumes(team=team)),
        "is_member": team.pk in user_team_ids(user=request.user),
    }
    return render(request, "catalog/team_detail.html", context)


@login_required
def api_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """An API: its provider, versions with their consumer counts."""
    try:
        api = page_selectors.api_get(slug=slug)
    except Api.DoesNotExist:
        raise Http404("No such API.") from None
    versions = catalog_selectors.api_version_list(filters={"api": api.slug})
    return render(request, "catalog/api_detail.html", {"api": api, "versions": versions})


@login_required
def apiversion_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """An API version: its consumers (with the operations they use) and who else is affected."""
    try:
        version = page_selectors.api_version_get(pk=pk)
    except ApiVersion.DoesNotExist:
        raise Http404("No such API version.") from None
    context = {
        "version": version,
        "api": version.api,
        "consumers": page_selectors.capped(
            page_selectors.api_version_consumers(api_version=version)
        ),
        "declare_url": reverse("catalog:dependency-declare")
        + "?"
        + urlencode({"api_version": version.pk}),
    }
    return render(request, "catalog/apiversion_detail.html", context)


@login_required
def layers(request: HttpRequest) -> HttpResponse:
    """The whole platform by layer, with the dependencies flowing between layers."""
    view = catalog_selectors.platform_layers()
    counts = {value: count for value, _label, count in view.layers}
    layout = graph.layers_layout(
        service_counts=counts,
        flows=[(f.consumer_layer, f.provider_layer, f.count) for f in view.flows],
        urls={
            layer: reverse("catalog:service-list") + "?" + urlencode({"layer": layer})
            for layer in counts
        },
    )
    services = page_selectors.layer_services()
    labels = dict(Service.Layer.choices)
    matrix = {(f.consumer_layer, f.provider_layer): f.count for f in view.flows}
    order = list(graph.LAYER_ORDER)
    context = {
        "svg": graph.render_layers_svg(layout),
        "groups": [
            {
                "layer": layer,
                "label": labels[layer],
                "count": counts.get(layer, 0),
                "services": services.get(layer, []),
                "more": max(counts.get(layer, 0) - len(services.get(layer, [])), 0),
                "url": reverse("catalog:service-list") + "?" + urlencode({"layer": layer}),
            }
            for layer in order
        ],
        "matrix_header": [labels[layer] for layer in order],
        "matrix": [(labels[c], [matrix.get((c, p), 0) for p in order]) for c in order],
        "total_services": sum(counts.values()),
        "total_dependencies": sum(matrix.values()),
    }
    return render(request, "catalog/layers.html", context)


urlpatterns = [
    path("", service_list, name="service-list"),
    path("layers/", layers, name="layers"),
    path("services/<slug:slug>/", service_detail, name="service-detail"),
    path("services/<slug:slug>/edit/", service_edit, name="service-edit"),
    path("services/<slug:slug>/impact/", service_impact, name="service-impact"),
    path("dependencies/new/", dependency_declare, name="dependency-declare"),
    path("teams/<slug:slug>/", team_detail, name="team-detail"),
    path("apis/<slug:slug>/", api_detail, name="api-detail"),
    path("api-versions/<int:pk>/", apiversion_detail, name="apiversion-detail"),
    path("api-versions/<int:pk>/impact/", apiversion_impact, name="apiversion-impact"),
]
