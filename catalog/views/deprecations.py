"""Pages of the deprecation workflow; urlpatterns are collected by catalog/urls.py.

Thin: parse the form, check who may see what, call a service, render. Refusals from the services
(DomainError) are shown on the page as messages or form errors; nothing is written.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from catalog.api.deprecations import DeprecationFilter
from catalog.forms_deprecations import (
    DeprecationDraftForm,
    DeprecationForm,
    NoteForm,
    ReasonForm,
    RescheduleForm,
    RetireForm,
)
from catalog.models import ApiOperation, ApiVersion, ConsumerMigration, Deprecation, Membership
from catalog.selectors import deprecations as sel
from catalog.selectors.permissions import user_team_ids
from catalog.services import deprecations as svc
from portal.api.exceptions import DomainError
from slas.selectors import policy_effective

S = Deprecation.State


def _version_or_404(pk) -> ApiVersion:
    return get_object_or_404(ApiVersion.objects.select_related("api__provider__owner"), pk=pk)


@login_required
@require_GET
def deprecation_list(request: HttpRequest) -> HttpResponse:
    filterset = DeprecationFilter(request.GET or None, queryset=sel.deprecation_list())
    qs = filterset.qs if filterset.is_valid() else sel.deprecation_list().none()
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "catalog/deprecations/list.html",
        {"filterset": filterset, "page": page, "states": Deprecation.State.choices},
    )


def _manageable_versions(user):
    qs = ApiVersion.objects.exclude(status=ApiVersion.Status.RETIRED).select_related("api")
    if not user.is_staff:
        owned = Membership.objects.filter(user=user, role=Membership.Role.OWNER).values("team_id")
        qs = qs.filter(api__provider__owner_id__in=owned)
    return qs.order_by("api__name", "-major", "-minor", "-patch")[:200]


@login_required
def deprecation_new(request: HttpRequest) -> HttpResponse:
    """The deprecation form, with a live impact preview, for the API's owners."""
    version_id = request.GET.get("api_version") or request.POST.get("api_version")
    if not version_id or not str(version_id).isdigit():
        return render(
            request,
            "catalog/deprecations/pick_version.html",
            {"versions": _manageable_versions(request.user)},
        )
    version = _version_or_404(version_id)
    if not sel.user_can_manage_deprecations(user=request.user, api_version=version):
        return render(
            request,
            "catalog/deprecations/forbidden.html",
            {"version": version},
            status=403,
        )
    form = DeprecationForm(request.POST or None, api_version=version)
    if request.method == "POST" and form.is_valid():
        announce = request.POST.get("submit") == "announce"
        try:
            with transaction.atomic():
                deprecation = svc.deprecation_create(
                    actor=request.user, api_version=version, **form.service_kwargs()
                )
                if announce:
                    svc.deprecation_announce(deprecation=deprecation, actor=request.user)
        except DomainError as exc:
            _show_domain_error(form, exc)
        else:
            messages.success(
                request,
                "Deprecation announced; affected teams are being notified."
                if announce
                else "Draft saved. Nobody has been told yet.",
            )
            return redirect(deprecation)
    preview = _preview_from(
        version,
        scope=form["scope"].value() or Deprecation.Scope.VERSION,
        operation_ids=form["operations"].value() or [],
    )
    return render(
        request,
        "catalog/deprecations/form.html",
        {"form": form, "version": version, "preview": preview},
        status=400 if request.method == "POST" else 200,
    )


def _show_domain_error(form, exc: DomainError) -> None:
    """A service refusal as form errors: the message on top, field messages on their fields."""
    form.add_error(None, exc.detail)
    for field, msgs in exc.errors.items():
        if field in form.fields:
            for msg in msgs:
                form.add_error(field, msg)


@login_required
def deprecation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a draft, with the live impact preview, for the users ``deprecation_update`` allows
    (owners of the API's team, staff); others get 403. *Save draft* calls ``deprecation_update``
    with the changed fields; *Save and announce* also calls ``deprecation_announce`` in the same
    transaction, so a policy refusal (minimum notice, migration guide, successor) is shown on the
    form and nothing is saved. A deprecation that is no longer a draft gets no form: GET explains
    why, POST is refused with 409 and changes nothing.
    """
    deprecation = get_object_or_404(
        Deprecation.objects.select_related(
            "api_version__api__provider__owner",
            "replacement_version__api",
            "replacement_operation__api_version__api",
        ),
        pk=pk,
    )
    version = deprecation.api_version
    if not sel.user_can_manage_deprecations(user=request.user, api_version=version):
        return render(
            request,
            "catalog/deprecations/forbidden.html",
            {"version": version, "action": "edit deprecations of"},
            status=403,
        )
    if deprecation.state != S.DRAFT:
        if request.method == "POST":
            messages.error(
                request,
                f"Not saved: only a draft can be edited, and this deprecation is "
                f"{deprecation.get_state_display().lower()}.",
            )
        return render(
            request,
            "catalog/deprecations/not_editable.html",
            {"deprecation": deprecation, "version": version},
            status=409 if request.method == "POST" else 200,
        )
    form = DeprecationDraftForm(request.POST or None, deprecation=deprecation)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            announce = request.POST.get("submit") == "announce"
            changes = form.changes()
            try:
                with transaction.atomic():
                    if changes:
                        deprecation = svc.deprecation_update(
                            deprecation=deprecation, actor=request.user, **changes
                        )
                    if announce:
                        svc.deprecation_announce(deprecation=deprecation, actor=request.user)
            except DomainError as exc:
                _show_domain_error(form, exc)
                status = exc.status_code
            else:
                if announce:
                    text = "Deprecation announced; affected teams are being notified."
                elif changes:
                    text = "Draft saved. Nobody has been told yet."
                else:
                    text = "Nothing changed."
                messages.success(request, text)
                return redirect(deprecation)
    preview = _preview_from(
        version,
        scope=form["scope"].value() or Deprecation.Scope.VERSION,
        operation_ids=form["operations"].value() or [],
    )
    policy = policy_effective(api_version=version)
    return render(
        request,
        "catalog/deprecations/form.html",
        {
            "form": form,
            "version": version,
            "preview": preview,
            "deprecation": deprecation,
            "policy": policy,
            "notice_days": policy.notice_days(version.stability),
        },
        status=status,
    )


def _preview_from(version: ApiVersion, *, scope: str, operation_ids) -> dict:
    ids = [int(i) for i in operation_ids if str(i).isdigit()]
    ids = list(
        ApiOperation.objects.filter(api_version=version, pk__in=ids).values_list("pk", flat=True)
    )
    if scope not in Deprecation.Scope.values:
        scope = Deprecation.Scope.VERSION
    return sel.impact_preview(api_version=version, scope=scope, operation_ids=ids)


@login_required
@require_GET
def deprecation_impact_preview(request: HttpRequest) -> HttpResponse:
    """The htmx partial: who announcing would reach, recomputed on every form change."""
    version_id = request.GET.get("api_version", "")
    if not version_id.isdigit():
        return HttpResponseBadRequest("api_version is required")
    version = _version_or_404(version_id)
    preview = _preview_from(
        version,
        scope=request.GET.get("scope", Deprecation.Scope.VERSION),
        operation_ids=request.GET.getlist("operations"),
    )
    return render(
        request,
        "catalog/deprecations/_impact_preview.html",
        {"preview": preview, "version": version},
    )


@login_required
@require_GET
def deprecation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    deprecation = get_object_or_404(sel.deprecation_list(), pk=pk)
    user = request.user
    today = timezone.localdate()
    can_manage = sel.user_can_manage_deprecations(user=user, api_version=deprecation.api_version)
    my_teams = user_team_ids(user=user)
    board = sel.migration_board(deprecation=deprecation)
    live = deprecation.state in sel.LIVE
    for column in board["columns"]:
        for card in column["cards"]:
            card.can_act = live and (user.is_staff or card.consumer.owner_id in my_teams)
            card.can_exempt = (
                live and can_manage and card.state not in ConsumerMigration.DONE_STATES
            )
            card.verbs = [
                verb
                for verb in ("acknowledge", "start", "complete")
                if card.can_act and card.state in svc.MIGRATION_GRAPH[verb][0]
            ]
            card.can_object = card.can_act and card.state in svc.MIGRATION_GRAPH["object"][0]
    context = {
        "deprecation": deprecation,
        "version": deprecation.api_version,
        "board": board,
        "days_left": sel.days_left(deprecation=deprecation, today=today),
        "can_manage": can_manage,
        "is_staff": user.is_staff,
        "sunset_reached": today >= deprecation.sunset_date,
        "transitions": deprecation.transitions.select_related("actor").order_by("at", "id"),
        "headers": sel.lifecycle_headers(api_version=deprecation.api_version)["headers"],
        "reschedule_form": RescheduleForm(),
        "retire_form": RetireForm(),
        "note_form": NoteForm(),
        "reason_form": ReasonForm(),
        "live": live,
    }
    return render(request, "catalog/deprecations/detail.html", context)


DEPRECATION_VERBS = {
    "announce": (None, lambda d, u, data: svc.deprecation_announce(deprecation=d, actor=u)),
    "reschedule": (
        RescheduleForm,
        lambda d, u, data: svc.deprecation_reschedule(deprecation=d, actor=u, **data),
    ),
    "approve": (
        NoteForm,
        lambda d, u, data: svc.deprecation_approve(deprecation=d, actor=u, **data),
    ),
    "reject": (NoteForm, lambda d, u, data: svc.deprecation_reject(deprecation=d, actor=u, **data)),
    "cancel": (NoteForm, lambda d, u, data: svc.deprecation_cancel(deprecation=d, actor=u, **data)),
    "retire": (
        RetireForm,
        lambda d, u, data: svc.deprecation_retire(deprecation=d, actor=u, **data),
    ),
}


@login_required
@require_POST
def deprecation_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    deprecation = get_object_or_404(Deprecation, pk=pk)
    if verb not in DEPRECATION_VERBS:
        return HttpResponseBadRequest("Unknown action")
    form_class, call = DEPRECATION_VERBS[verb]
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(
                request,
                f"Could not {verb}: "
                + "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items()),
            )
            return redirect(deprecation)
        data = form.cleaned_data
    try:
        call(deprecation, request.user, data)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"Done: {verb}.")
    return redirect(deprecation)


MIGRATION_VERBS = {
    "acknowledge": svc.migration_acknowledge,
    "start": svc.migration_start,
    "complete": svc.migration_complete,
    "exempt": svc.migration_exempt,
    "object": svc.migration_object,
}


@login_required
@require_POST
def migration_action(request: HttpRequest, pk: int, verb: str) -> HttpResponse:
    migration = get_object_or_404(ConsumerMigration.objects.select_related("deprecation"), pk=pk)
    target = migration.deprecation
    if verb not in MIGRATION_VERBS:
        return HttpResponseBadRequest("Unknown action")
    kwargs = {}
    if verb in ("exempt", "object"):
        form = ReasonForm(request.POST)
        if not form.is_valid():
            messages.error(request, f"Could not {verb}: a reason is required.")
            return redirect(target)
        kwargs["reason"] = form.cleaned_data["reason"]
    try:
        MIGRATION_VERBS[verb](migration=migration, actor=request.user, **kwargs)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, f"{migration.consumer}: {verb} recorded.")
    return redirect(target)


urlpatterns = [
    path("deprecations/", deprecation_list, name="deprecation-list"),
    path("deprecations/new/", deprecation_new, name="deprecation-new"),
    path(
        "deprecations/impact-preview/",
        deprecation_impact_preview,
        name="deprecation-impact-preview",
    ),
    path("deprecations/<int:pk>/", deprecation_detail, name="deprecation-detail"),
    # Before the verb pattern below, which would otherwise take "edit" as a verb.
    path("deprecations/<int:pk>/edit/", deprecation_edit, name="deprecation-edit"),
    path(
        "deprecations/<int:pk>/<slug:verb>/",
        deprecation_action,
        name="deprecation-action",
    ),
    path("migrations/<int:pk>/<slug:verb>/", migration_action, name="migration-action"),
]
