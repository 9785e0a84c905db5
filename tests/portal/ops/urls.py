"""The portal's URLs plus views that fail on purpose (used with ``@pytest.mark.urls``)."""

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.urls import path
from rest_framework.views import APIView

from portal.urls import urlpatterns as portal_urlpatterns


def _raise(exc: Exception):
    raise exc


class ApiDatabaseDown(APIView):
    def get(self, request):
        _raise(OperationalError("connection to server at 127.0.0.1 failed: Connection refused"))


class ApiInterfaceError(APIView):
    def get(self, request):
        _raise(InterfaceError("connection already closed"))


class ApiBoom(APIView):
    def get(self, request):
        _raise(RuntimeError("secret internals in the traceback"))


def page_database_down(request):
    _raise(OperationalError("canceling statement due to statement timeout"))
    return HttpResponse()  # pragma: no cover


def page_boom(request):
    _raise(RuntimeError("secret internals in the traceback"))
    return HttpResponse()  # pragma: no cover


urlpatterns = [
    path("api/v1/_ops/db-down/", ApiDatabaseDown.as_view()),
    path("api/v1/_ops/interface-error/", ApiInterfaceError.as_view()),
    path("api/v1/_ops/boom/", ApiBoom.as_view()),
    path("_ops/db-down/", page_database_down),
    path("_ops/boom/", page_boom),
    *portal_urlpatterns,
]

handler403 = "portal.middleware.handler403"
handler404 = "portal.middleware.handler404"
handler500 = "portal.middleware.handler500"
