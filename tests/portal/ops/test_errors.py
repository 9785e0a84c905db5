"""Faults through the real middleware stack: a database that is down or times out answers 503
with Retry-After (problem JSON for the API, a page otherwise), never a traceback; API 500/404/403
are problem JSON; the error pages render without the database."""

from __future__ import annotations

import pytest
from django.db import OperationalError, connection
from django.test import Client

PROBLEM_KEYS = {"type", "title", "detail", "errors"}


def _database_down(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def _client() -> Client:
    # Django's test client re-raises exceptions Django logged as unhandled; a real server does not.
    return Client(raise_request_exception=False)


def _assert_no_traceback(response) -> None:
    text = response.content.decode()
    assert "Traceback" not in text
    assert "secret internals" not in text
    assert "Connection refused" not in text


# --- views that raise ------------------------------------------------------------------------


@pytest.mark.urls("tests.portal.ops.urls")
@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/_ops/db-down/", "/api/v1/_ops/interface-error/"])
def test_api_view_raising_a_database_error_answers_503_problem(url, api_client, engineer):
    response = api_client(engineer).get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["title"] == "Service unavailable"
    assert body["type"] == "urn:portal:error:database-unavailable"
    assert body["errors"] == {}
    _assert_no_traceback(response)


@pytest.mark.urls("tests.portal.ops.urls")
def test_page_raising_a_database_error_answers_the_friendly_503_page(settings):
    settings.PORTAL_RETRY_AFTER_SECONDS = 7
    response = _client().get("/_ops/db-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "7"
    assert response["Content-Type"].startswith("text/html")
    assert response["Cache-Control"] == "no-store"
    text = response.content.decode()
    assert "The portal is temporarily unavailable" in text
    assert "try again in 7 seconds" in text
    _assert_no_traceback(response)


@pytest.mark.urls("tests.portal.ops.urls")
def test_a_database_error_answers_503_even_with_debug_on(settings):
    settings.DEBUG = True
    response = _client().get("/_ops/db-down/")
    assert response.status_code == 503
    _assert_no_traceback(response)


@pytest.mark.urls("tests.portal.ops.urls")
@pytest.mark.django_db
def test_unexpected_api_error_is_a_problem_500_not_html(api_client, engineer, caplog):
    response = api_client(engineer).get("/api/v1/_ops/boom/")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == PROBLEM_KEYS
    assert body["title"] == "Internal server error"
    _assert_no_traceback(response)
    # ... but the operator gets the traceback in the log.
    assert any("secret internals" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


@pytest.mark.urls("tests.portal.ops.urls")
def test_unexpected_page_error_is_the_500_page():
    response = _client().get("/_ops/boom/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    _assert_no_traceback(response)


# --- the real portal with its database failing -----------------------------------------------


@pytest.mark.django_db
def test_catalog_page_with_the_database_down_is_a_503_page(web_client, engineer):
    client = web_client(engineer)
    client.raise_request_exception = False
    with connection.execute_wrapper(_database_down):
        response = client.get("/catalog/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "temporarily unavailable" in response.content.decode()
    _assert_no_traceback(response)


@pytest.mark.django_db
def test_services_api_with_the_database_down_is_a_503_problem(engineer):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=engineer)
    client = _client()
    with connection.execute_wrapper(_database_down):
        response = client.get("/api/v1/services/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert set(response.json()) == PROBLEM_KEYS
    _assert_no_traceback(response)


@pytest.mark.django_db
def test_the_database_answers_again_after_the_outage(engineer, web_client):
    client = web_client(engineer)
    client.raise_request_exception = False
    with connection.execute_wrapper(_database_down):
        assert client.get("/catalog/").status_code == 503
    assert client.get("/catalog/").status_code == 200


# --- error pages need no database (no django_db mark: any query would fail the test) ----------


def test_404_page_renders_without_the_database():
    response = _client().get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text
    assert "/no-such-page/" in text


def test_404_page_escapes_the_path():
    response = _client().get("/<script>alert(1)</script>/")
    assert response.status_code == 404
    assert "<script>alert(1)" not in response.content.decode()


def test_api_404_is_a_problem_body_without_the_database():
    response = _client().get("/api/v1/no-such-resource/")
    assert response.status_code == 404
    assert set(response.json()) == PROBLEM_KEYS
    assert response.json()["title"] == "Not found"


def test_csrf_failure_is_the_friendly_403_page_without_the_database():
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403
    text = response.content.decode()
    assert "Form expired" in text
    assert "CSRF verification failed" in text  # the phrase tools and tests look for


@pytest.mark.parametrize(
    ("template", "title"),
    [
        ("403.html", "Not allowed"),
        ("403_csrf.html", "Form expired"),
        ("404.html", "Page not found"),
        ("500.html", "Something went wrong"),
        ("503.html", "The portal is temporarily unavailable"),
    ],
)
def test_error_templates_render_standalone_without_the_database(template, title):
    from django.template import loader

    with connection.execute_wrapper(_database_down):
        html = loader.get_template(template).render({})
    assert f"<h1>{title}</h1>" in html
    assert 'href="/"' in html


def test_handlers_answer_json_to_api_clients_and_html_to_people(rf):
    from django.core.exceptions import PermissionDenied

    from portal.middleware import handler403, handler404

    api = handler403(rf.get("/api/v1/teams/"), PermissionDenied())
    assert api.status_code == 403
    assert api["Content-Type"] == "application/problem+json"
    page = handler403(rf.get("/catalog/"), PermissionDenied())
    assert page.status_code == 403
    assert b"Not allowed" in page.content
    json_client = handler404(rf.get("/catalog/x/", HTTP_ACCEPT="application/json"), None)
    assert json_client["Content-Type"] == "application/problem+json"
