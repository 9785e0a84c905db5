"""Pages of the Backstage import: staff see import jobs and their progress."""

from __future__ import annotations

from django.contrib.admin.views.decorators import staff_member_required
from django.http import Http404
from django.shortcuts import render
from django.urls import path

from catalog.selectors.imports import import_job_get, import_job_list


@staff_member_required
def import_list(request):
    jobs = import_job_list(user=request.user)[:50]
    return render(request, "catalog/imports/list.html", {"jobs": jobs})


@staff_member_required
def import_detail(request, pk: int):
    job = import_job_get(pk=pk)
    if job is None:
        raise Http404("No such import.")
    template = (
        "catalog/imports/_progress.html"
        if request.headers.get("HX-Request")
        else "catalog/imports/detail.html"
    )
    return render(request, template, {"job": job})


urlpatterns = [
    path("imports/", import_list, name="import-list"),
    path("imports/<int:pk>/", import_detail, name="import-detail"),
]
