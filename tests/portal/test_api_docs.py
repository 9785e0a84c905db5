"""The interactive API docs are served from the portal itself: no CDN at run time."""

import pytest

from tests.portal.security.conftest import world  # noqa: F401 (fixture)


@pytest.mark.django_db
def test_api_docs_load_swagger_ui_from_our_static_files(client):
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr.net" not in html
    assert "/static/drf_spectacular_sidecar/" in html


# --- 401 / 403 in the OpenAPI schema (portal/api/schema.py) ---------------------------------

PUBLIC = ["/healthz", "/readyz", "/api/v1/schema/", "/api/v1/docs/"]
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _schema() -> dict:
    from drf_spectacular.generators import SchemaGenerator

    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


@pytest.mark.django_db
def test_the_served_schema_documents_401_on_every_operation_but_the_public_ones(client):
    response = client.get("/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert not [p for p in PUBLIC if p in schema["paths"]]
    operations = list(_operations(schema))
    assert len(operations) > 50
    missing = []
    for method, path, operation in operations:
        assert operation["security"] and {} not in operation["security"], (method, path)
        unauthorized = operation["responses"].get("401")
        if (
            unauthorized is None
            or unauthorized["content"]["application/json"]["schema"] != PROBLEM_REF
            or "WWW-Authenticate" not in unauthorized["headers"]
        ):
            missing.append(f"{method.upper()} {path}")
    assert not missing, "no 401 documented:\n" + "\n".join(missing)
    problem = schema["components"]["schemas"]["Problem"]
    assert problem["required"] == ["type", "title", "detail", "errors"]


@pytest.mark.django_db
def test_the_documented_401_is_what_an_anonymous_caller_gets(client):
    schema = _schema()
    documented = schema["paths"]["/api/v1/services/"]["get"]["responses"]["401"]
    required = schema["components"]["schemas"]["Problem"]["required"]
    response = client.get("/api/v1/services/")
    assert response.status_code == 401
    assert set(required) <= set(response.json())
    assert isinstance(response.json()["errors"], dict)
    assert response["WWW-Authenticate"] == 'Token realm="api", Bearer realm="api"'
    assert response["WWW-Authenticate"] in documented["headers"]["WWW-Authenticate"]["description"]


def test_403_is_documented_where_a_signed_in_caller_can_be_refused_and_only_there():
    schema = _schema()
    responses = {
        (method.upper(), path): set(operation["responses"])
        for method, path, operation in _operations(schema)
    }
    unsafe = [key for key in responses if key[0] in {"POST", "PUT", "PATCH", "DELETE"}]
    assert unsafe and all("403" in responses[key] for key in unsafe)
    rows = [key for key in responses if "{" in key[1]]
    assert all("403" in responses[key] for key in rows)
    # Staff only (IsStaff), even to read one import job.
    assert "403" in responses["GET", "/api/v1/catalog/import/{id}/"]
    # Any signed-in user reads these collections (IsStaffOrReadOnly / IsAuthenticated).
    assert "403" not in responses["GET", "/api/v1/slas/"]
    assert "403" not in responses["GET", "/api/v1/notifications/unread-count/"]
    # What a view declared itself is kept (the catalog's own error body).
    teams = schema["paths"]["/api/v1/teams/"]["get"]["responses"]["403"]
    assert teams["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CatalogError"
    }
    forbidden = schema["paths"]["/api/v1/slas/"]["post"]["responses"]["403"]
    assert forbidden["content"]["application/json"]["schema"] == PROBLEM_REF


def test_the_hook_follows_each_views_permissions():
    """A staff-only collection read documents 403, a signed-in one does not, a public one
    documents neither 401 nor 403 (only views, no database)."""
    from django.urls import path
    from drf_spectacular.generators import SchemaGenerator
    from rest_framework.permissions import AllowAny, IsAuthenticated
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from portal.api.permissions import IsStaff

    def view(permission):
        class View(APIView):
            permission_classes = [permission]

            def get(self, request):
                return Response({})  # pragma: no cover

        View.__name__ = f"{permission.__name__}View"
        return View.as_view()

    patterns = [
        path("api/v1/staff-only/", view(IsStaff)),
        path("api/v1/signed-in/", view(IsAuthenticated)),
        path("api/v1/public/", view(AllowAny)),
    ]
    schema = SchemaGenerator(patterns=patterns).get_schema(request=None, public=True)
    codes = {p: set(ops["get"]["responses"]) for p, ops in schema["paths"].items()}
    assert {"401", "403"} <= codes["/api/v1/staff-only/"]
    assert "401" in codes["/api/v1/signed-in/"] and "403" not in codes["/api/v1/signed-in/"]
    assert not {"401", "403"} & codes["/api/v1/public/"]


def test_every_read_that_refuses_a_signed_in_caller_documents_403(world):  # noqa: F811
    """Measured, not inferred: each GET of the schema, as an engineer in no team and as a member
    of another team; every 403 they get must be documented."""
    from rest_framework.test import APIClient

    from tests.portal.security.test_api_matrix import _url

    schema = _schema()
    undocumented = []
    refused = 0
    for who in (world.engineer, world.consumer_member):
        client = APIClient()
        client.force_authenticate(who)
        for method, path, operation in _operations(schema):
            if method != "get":
                continue
            response = client.get(_url(path, world))
            assert response.status_code < 500, (path, response.content[:300])
            if response.status_code == 403:
                refused += 1
                if "403" not in operation["responses"]:
                    undocumented.append(f"GET {path} ({who.username})")
    assert refused, "the world should contain at least one refused read"
    assert not undocumented, "403 not documented:\n" + "\n".join(undocumented)
