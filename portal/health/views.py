"""Pages of the platform-health dashboard, the rows behind every number, CSV exports, the
feedback form and the roadmap. Views parse input, check permissions and call selectors/services."""

from __future__ import annotations

import csv
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalog.models import Api, Membership, Service, Team
from catalog.selectors.permissions import user_team_ids
from portal.api.exceptions import DomainError
from portal.health import selectors, services, stats, svg, tables
from portal.health.forms import FeedbackForm, HealthFilterForm, RoadmapItemForm, RowsFilterForm
from portal.health.models import RoadmapItem
from portal.health.selectors import HealthFilters

PAGE_SIZE = 50


def _csv_response(filename: str, headers, rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    writer = csv.writer(response)
    writer.writerow(headers)
    for row in rows:
        writer.writerow(["" if v is None else _csv_safe(v) for v in row])
    return response


def _csv_safe(value) -> str:
    """No spreadsheet formula injection: text starting with = + - @ gets a leading quote."""
    text = str(value)
    if text and text[0] in "=+-@" and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _filters_or_400(request, form_class=HealthFilterForm, **overrides):
    form = form_class(request.GET)
    if not form.is_valid():
        return form, None
    return form, form.filters(**overrides)


# --- the dashboard ------------------------------------------------------------------------------


def _dashboard(request, *, filters: HealthFilters, scope: str, subject=None, form=None):
    results = {name: fn(filters=filters) for name, fn in tables.METRICS.items()}
    built = {
        name.replace("-", "_"): {"table": t, "rows": tables.build(name, results[t.metric], filters),
               "csv": reverse("health:export", args=[name]) + _query(filters)}
        for name, t in tables.TABLES.items()
    }  # fmt: skip
    velocity, adoption, satisfaction = (
        results["velocity"],
        results["adoption"],
        results["satisfaction"],
    )
    charts = {
        "velocity_spark": svg.sparkline(
            [m["median"] for m in velocity["by_month"]], label="median days by month"
        ),
        "velocity_months": svg.columns(
            [
                svg.Bar(m["month"][5:], m["median"],
                        tables.rows_url("integrations", filters, state="live", month=m["month"]),
                        tables.fmt_days(m["median"]) if m["median"] is not None else "")
                for m in velocity["by_month"]
            ],
            unit=" d",
        ),
        "new_consumers": svg.columns(
            [
                svg.Bar(m["month"][5:], m["count"] or None,
                        tables.rows_url("integrations", filters, state="new", month=m["month"]))
                for m in adoption["new_by_month"]
            ]
        ),
        "adoption_bars": svg.hbars(
            [
                svg.Bar(x["api"].name, x["consumers"],
                        tables.rows_url("consumers", tables.scoped(filters, api=x["api"])))
                for x in adoption["per_api"]
            ]
        ),
        "rating_distribution": svg.distribution(
            satisfaction["distribution"],
            href_for=lambda r: tables.rows_url("feedback", filters, rating=r),
        ),
        "rating_spark": svg.sparkline(
            [m["average"] for m in satisfaction["by_month"]], label="average rating", lo=1, hi=5
        ),
    }  # fmt: skip
    context = {
        "scope": scope,
        "subject": subject,
        "filters": filters,
        "form": form,
        "m": results,
        "tables": built,
        "charts": charts,
        "links": _links(filters),
        "waiting": selectors.roadmap_waiting_on() if scope == "portal" else [],
        "layers": Service.Layer.choices,
    }
    return render(request, "health/dashboard.html", context)


def _query(filters: HealthFilters) -> str:
    query = filters.as_query()
    return "?" + urlencode(query) if query else ""


def _links(filters: HealthFilters) -> dict[str, str]:
    r = tables.rows_url
    return {
        "live": r("integrations", filters, state="live"),
        "pending": r("integrations", filters, state="pending"),
        "consumers": r("consumers", filters),
        "newest_yes": r("consumers", filters, newest="yes"),
        "newest_no": r("consumers", filters, newest="no"),
        "new": r("integrations", filters, state="new"),
        "feedback": r("feedback", filters),
        "slas": r("slas", filters),
        "slas_met": r("slas", filters, state="met"),
        "slas_breaching": r("slas", filters, state="breaching"),
        "migrations": r("migrations", filters),
        "migrations_done": r("migrations", filters, state="done"),
        "migrations_overdue": r("migrations", filters, state="overdue"),
        "deprecations_open": r("migrations", filters, state="open"),
    }


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    form, filters = _filters_or_400(request)
    if filters is None:
        return render(request, "health/bad_filters.html", {"form": form}, status=400)
    return _dashboard(request, filters=filters, scope="portal", form=form)


@login_required
def team_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    team = get_object_or_404(Team, slug=slug)
    form, filters = _filters_or_400(request, team=team)
    if filters is None:
        return render(request, "health/bad_filters.html", {"form": form}, status=400)
    return _dashboard(request, filters=filters, scope="team", subject=team, form=form)


@login_required
def api_dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    api = get_object_or_404(Api.objects.select_related("provider__owner"), slug=slug)
    form, filters = _filters_or_400(request, api=api)
    if filters is None:
        return render(request, "health/bad_filters.html", {"form": form}, status=400)
    return _dashboard(request, filters=filters, scope="api", subject=api, form=form)


@login_required
def export(request: HttpRequest, name: str) -> HttpResponse:
    """CSV of one dashboard table, all rows (not only the top ones shown)."""
    table = tables.TABLES.get(name)
    if table is None:
        raise Http404("No such table.")
    form, filters = _filters_or_400(request)
    if filters is None:
        return HttpResponseBadRequest("Invalid filters: " + form.errors.as_text())
    result = tables.METRICS[table.metric](filters=filters, limit=None)
    rows = tables.build(name, result, filters)
    return _csv_response(f"health-{name}", table.headers, ([c.value for c in row] for row in rows))


# --- the rows behind the numbers ----------------------------------------------------------------


def _dependency_row(d) -> list:
    days = selectors._days(getattr(d, "duration", None))
    return [
        d.consumer.name,
        d.consumer.owner.name,
        d.api_version.api.name,
        d.api_version.version,
        d.provider.owner.name,
        d.requested_at.isoformat() if d.requested_at else "",
        d.live_at.isoformat() if d.live_at else "",
        f"{days:.0f}" if days is not None else "",
    ]


ROWS = {
    "integrations": (
        "Integrations",
        ("Consumer", "Consumer team", "API", "Version", "Provider team", "Requested", "Live",
         "Days"),
    ),
    "consumers": (
        "Active consumers",
        ("Consumer", "Consumer team", "API", "Version", "Provider team", "Requested", "Live",
         "Days"),
    ),
    "feedback": ("Ratings", ("Consumer team", "API", "Rating", "Comment", "By", "Updated")),
    "layer-teams": ("Teams depending on a layer", ("Team", "Slug")),
    "slas": ("SLAs", ("Subject", "Kind", "Target", "Attained", "Budget left", "Breaching")),
    "migrations": ("Consumer migrations", ("Consumer", "Team", "Version", "Sunset", "State")),
}  # fmt: skip


def _rows_queryset(kind: str, filters: HealthFilters, data: dict, user):
    if kind == "integrations":
        return selectors.integration_rows(
            filters=filters, month=data.get("month") or "", state=data.get("state") or ""
        ), _dependency_row
    if kind == "consumers":
        return selectors.consumer_rows(
            filters=filters, newest=data.get("newest") or ""
        ), _dependency_row
    if kind == "feedback":
        return selectors.feedback_rows(filters=filters, rating=data.get("rating")), lambda f: [
            f.consumer_team.name,
            f.api.name,
            f.rating,
            f.comment,
            f.author.get_username() if f.author else "",
            f.updated_at.strftime("%Y-%m-%d"),
        ]
    if kind == "layer-teams":
        layer = data.get("state") or ""
        if layer not in Service.Layer.values:
            return None, None
        return selectors.teams_depending_on_layer(filters=filters, layer=layer), lambda t: [
            t.name,
            t.slug,
        ]
    if kind == "slas":
        return selectors.sla_rows(filters=filters, state=data.get("state") or ""), lambda s: [
            s.subject.name,
            s.subject_kind,
            f"{s.availability_target}",
            "" if s.attained_availability is None else f"{s.attained_availability:.3f}",
            "" if s.budget_remaining is None else f"{s.budget_remaining:.3f}",
            "yes" if s.is_breached else "no",
        ]
    if kind == "migrations":
        return selectors.migration_rows(filters=filters, state=data.get("state") or ""), lambda m: [
            m.consumer.name,
            m.consumer.owner.name,
            str(m.deprecation.api_version),
            m.deprecation.sunset_date.isoformat(),
            m.get_state_display(),
        ]
    return None, None


@login_required
def rows(request: HttpRequest, kind: str) -> HttpResponse:
    """The rows behind a number, paginated, with the same filters; ``?format=csv`` exports all."""
    if kind not in ROWS:
        raise Http404("No such rows.")
    form = RowsFilterForm(request.GET)
    if not form.is_valid():
        return render(request, "health/bad_filters.html", {"form": form}, status=400)
    filters = form.filters()
    qs, to_row = _rows_queryset(kind, filters, form.cleaned_data, request.user)
    if qs is None:
        return render(request, "health/bad_filters.html", {"form": form}, status=400)
    title, headers = ROWS[kind]
    if request.GET.get("format") == "csv":
        return _csv_response(f"health-{kind}", headers, (to_row(o) for o in qs.iterator()))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    csv_query = query.copy()
    csv_query["format"] = "csv"
    return render(
        request,
        "health/rows.html",
        {
            "title": title,
            "kind": kind,
            "headers": headers,
            "page": page,
            "rows": [to_row(o) for o in page.object_list],
            "query": query.urlencode(),
            "csv_url": f"?{csv_query.urlencode()}",
            "filters": filters,
            "extra": {k: v for k, v in form.cleaned_data.items()
                      if k in ("month", "state", "newest", "rating") and v},
        },
    )  # fmt: skip


# --- feedback -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feedback_form(request: HttpRequest, slug: str) -> HttpResponse:
    """Rate an API for one of your teams that consumes it (one current rating, editable)."""
    api = get_object_or_404(Api.objects.select_related("provider__owner"), slug=slug)
    my_teams = selectors.teams_consuming_api(api=api, team_ids=user_team_ids(user=request.user))
    initial = {}
    chosen = request.GET.get("team")
    if chosen:
        current = selectors.feedback_for(
            team_id=Team.objects.filter(slug=chosen).values_list("pk", flat=True).first() or 0,
            api=api,
        )
        initial = {"team": chosen}
        if current is not None:
            initial.update(rating=current.rating, comment=current.comment)
    if request.method == "POST":
        form = FeedbackForm(request.POST, teams=my_teams)
        if form.is_valid():
            try:
                services.feedback_submit(
                    actor=request.user,
                    team=form.cleaned_data["team"],
                    api=api,
                    rating=form.cleaned_data["rating"],
                    comment=form.cleaned_data["comment"],
                )
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, f"Thank you: your rating of {api.name} is saved.")
                return redirect("health:api", slug=api.slug)
        status = 400
    else:
        form = FeedbackForm(initial=initial, teams=my_teams)
        status = 200
    recent = selectors.feedback_rows(filters=HealthFilters(api=api))[:20]
    return render(
        request,
        "health/feedback_form.html",
        {"api": api, "form": form, "my_teams": my_teams, "recent": recent},
        status=status,
    )


# --- the roadmap --------------------------------------------------------------------------------


@login_required
def roadmap(request: HttpRequest) -> HttpResponse:
    """The layered roadmap. ``?selected=<id>`` highlights what the item unlocks and what breaks
    if it slips (to ``?slip_to=YYYY-Qn``, default the next quarter) — computed here, no JS."""
    items = list(selectors.roadmap_items())
    selected = impact = None
    error = ""
    if request.GET.get("selected"):
        try:
            selected_id = int(request.GET["selected"])
        except ValueError:
            selected_id = 0
        selected = next((i for i in items if i.pk == selected_id), None)
        if selected is None:
            error = "No such roadmap item."
        else:
            slip_to = request.GET.get("slip_to") or None
            try:
                if slip_to:
                    stats.parse_quarter(slip_to)
                impact = selectors.roadmap_impact(item=selected, slip_to=slip_to)
            except ValueError as exc:
                error = str(exc)
                impact = selectors.roadmap_impact(item=selected)
    quarters: list[str] = []
    if items:
        qs = sorted({i.target_quarter for i in items})
        last = qs[-1]
        if impact and stats.quarter_index(impact["slip_to"]) > stats.quarter_index(last):
            last = impact["slip_to"]
        quarters = stats.quarter_range(qs[0], last)
    layers = list(reversed(RoadmapItem.Layer.choices))  # enabling on top, base at the bottom
    cards = [
        svg.Card(
            id=i.pk,
            title=i.title,
            layer=i.layer,
            quarter=i.target_quarter,
            status=i.status,
            href=f"?selected={i.pk}#item",
            depends_on=tuple(d.pk for d in i.depends_on.all()),
        )
        for i in items
    ]
    by_id = {i.pk: i for i in items}
    chart = svg.roadmap(
        cards,
        layers=layers,
        quarters=quarters,
        selected=selected.pk if selected else None,
        unlocks=impact["unlocks"] if impact else (),
        breaks=impact["breaks"] if impact else (),
        prerequisites=impact["prerequisites"] if impact else (),
    )
    context = {
        "items": items,
        "chart": chart,
        "selected": selected,
        "impact": impact,
        "unlocks": [by_id[i] for i in impact["unlocks"]] if impact else [],
        "breaks": [by_id[i] for i in impact["breaks"]] if impact else [],
        "prerequisites": [by_id[i] for i in impact["prerequisites"]] if impact else [],
        "error": error,
        "can_create": _may_create_roadmap_items(request.user),
        "can_edit_selected": selected is not None
        and services.user_can_edit_roadmap_item(user=request.user, item=selected),
        "waiting": selectors.roadmap_waiting_on(),
    }
    if request.htmx and request.htmx.target == "roadmap-panel":
        return render(request, "health/_roadmap_panel.html", context)
    return render(request, "health/roadmap.html", context, status=400 if error else 200)


@login_required
def roadmap_export(request: HttpRequest) -> HttpResponse:
    items = selectors.roadmap_items()
    return _csv_response(
        "roadmap",
        ("id", "title", "layer", "target_quarter", "status", "team", "service", "depends_on"),
        (
            [i.pk, i.title, i.layer, i.target_quarter, i.status,
             i.team.slug if i.team else "", i.service.slug if i.service else "",
             " ".join(str(d.pk) for d in i.depends_on.all())]
            for i in items
        ),
    )  # fmt: skip


# --- roadmap items: create, edit, delete --------------------------------------------------------

DB_ID_MAX = 2**63 - 1  # a larger id in the URL is no row (and no OverflowError on SQLite)


def _may_create_roadmap_items(user) -> bool:
    """Staff, or an owner of some team: the service then checks the providing team they pick."""
    return user.is_authenticated and (
        user.is_staff or bool(user_team_ids(user=user, role=Membership.Role.OWNER))
    )


def _editable_roadmap_item_or_404(request: HttpRequest, pk: int) -> RoadmapItem:
    """The item, if the user may edit it (the API's rule: staff or owners of the providing
    team); 404 if there is no such item, 403 otherwise."""
    if pk > DB_ID_MAX:
        raise Http404("No such roadmap item.")
    item = get_object_or_404(
        RoadmapItem.objects.select_related("service", "team").prefetch_related("depends_on"),
        pk=pk,
    )
    if not services.user_can_edit_roadmap_item(user=request.user, item=item):
        raise PermissionDenied("Only staff or the providing team's owners edit this item.")
    return item


def _roadmap_form_errors(form: RoadmapItemForm, exc: DomainError) -> None:
    """Show the service's refusal on the fields it names, else on the whole form."""
    named = {f: m for f, m in exc.errors.items() if f in form.fields and f not in form.errors}
    for field, msgs in named.items():
        for msg in msgs:
            form.add_error(field, msg)
    if not named:
        form.add_error(None, exc.detail)


def _roadmap_item_form(request: HttpRequest, item: RoadmapItem | None) -> HttpResponse:
    """The create/edit page: the form parses, ``roadmap_item_save`` decides; a refusal is shown
    on the form (400, or 403 for a providing team the user does not own) and writes nothing."""
    if request.user.is_staff:
        teams = Team.objects.order_by("name")
    else:
        team_ids = user_team_ids(user=request.user, role=Membership.Role.OWNER)
        if item is not None and item.team_id:
            team_ids.add(item.team_id)
        teams = Team.objects.filter(pk__in=team_ids).order_by("name")
    status = 200
    if request.method == "POST":
        form = RoadmapItemForm(request.POST, teams=teams)
        if form.is_valid():
            try:
                saved = services.roadmap_item_save(actor=request.user, item=item, **form.values())
            except DomainError as exc:
                _roadmap_form_errors(form, exc)
                status = exc.status_code
            else:
                verb = "added" if item is None else "saved"
                messages.success(request, f"Roadmap item '{saved.title}' was {verb}.")
                return redirect(reverse("health:roadmap") + f"?selected={saved.pk}#item")
        else:
            status = 400
    else:
        form = RoadmapItemForm(
            initial=RoadmapItemForm.initial_for(item) if item else {}, teams=teams
        )
    suggestions = Service.objects.order_by("name").values("slug", "name")
    if not request.user.is_staff:
        suggestions = suggestions.filter(owner__in=teams)
    return render(
        request,
        "health/roadmap_item_form.html",
        {"form": form, "item": item, "service_suggestions": suggestions[:500]},
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_new(request: HttpRequest) -> HttpResponse:
    """Add a roadmap item: staff, or owners of the team that provides it."""
    if not _may_create_roadmap_items(request.user):
        raise PermissionDenied("Only staff or a team's owners add roadmap items.")
    return _roadmap_item_form(request, None)


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a roadmap item: staff, or owners of its providing team."""
    return _roadmap_item_form(request, _editable_roadmap_item_or_404(request, pk))


@login_required
@require_http_methods(["GET", "POST"])
def roadmap_item_delete(request: HttpRequest, pk: int) -> HttpResponse:
    """GET asks for confirmation (and says what depends on the item); POST deletes."""
    item = _editable_roadmap_item_or_404(request, pk)
    if request.method == "POST":
        try:
            services.roadmap_item_delete(actor=request.user, item=item)
        except DomainError as exc:  # only ``forbidden``: the permission is checked above
            raise PermissionDenied(exc.detail) from exc
        messages.success(request, f"Roadmap item '{item.title}' was deleted.")
        return redirect("health:roadmap")
    return render(
        request,
        "health/roadmap_item_delete.html",
        {"item": item, "dependents": item.dependents.order_by("target_quarter", "title")},
    )
