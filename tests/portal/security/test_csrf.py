"""CSRF: every HTML URL (pages, login/logout, Django admin) refuses a POST without a token, and
the API's session authentication needs the token while token authentication does not.

The URL patterns are discovered by walking the resolver, so a new page is covered the day it is
added. The CSRF middleware refuses before the view runs, so any value matching a converter
resolves; a second POST *with* the token proves the 403 came from the CSRF check, and collects
which URLs accept POST at all (some known forms must be among them).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.portal.security.conftest import row_counts

CSRF_FAILURE = b"CSRF verification failed"

# A converter value that resolves, by converter or parameter name (rows need not exist).
SAMPLE = {
    "int": "1",
    "slug": "x",
    "path": "1",
    "str": "x",
    "uuid": "00000000-0000-0000-0000-000000000000",
}
SAMPLE_BY_NAME = {
    "verb": "cancel",
    "app_label": "catalog",
    "content_type_id": "1",
    "object_id": "1",
}


def _html_patterns(patterns=None, prefix=""):
    """(route, kwargs) of every URL pattern outside /api/ and /static/."""
    for p in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(p.pattern)
        if route.startswith(("api/", "static/", "^static/")):
            continue
        if isinstance(p, URLResolver):
            yield from _html_patterns(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def _concrete(route: str) -> str | None:
    """A URL for ``route``: path converters get sample values; regex routes (admin) too."""
    route = route.lstrip("^").rstrip("$").replace("\\Z", "").replace("$", "").replace("^", "")

    def conv(match: re.Match) -> str:
        kind, name = (match.group(1) or "str"), match.group(2)
        return SAMPLE_BY_NAME.get(name, SAMPLE.get(kind, "1"))

    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: SAMPLE_BY_NAME.get(m.group(1), "1"), route)
    url = re.sub(r"<(?:(\w+):)?(\w+)>", conv, url)
    if any(c in url for c in "()[]?*+\\|"):
        return None  # a regex we cannot fill in; reported by the discovery test
    return "/" + url


ROUTES = sorted(set(_html_patterns()))
URLS = sorted({u for u in (_concrete(r) for r in ROUTES) if u})


def test_discovery_covers_the_pages_and_the_admin():
    assert len(URLS) > 40, URLS
    for expected in (
        "/login/",
        "/logout/",
        "/catalog/services/x/edit/",
        "/catalog/dependencies/new/",
        "/catalog/deprecations/new/",
        "/catalog/deprecations/1/cancel/",
        "/catalog/migrations/1/cancel/",
        "/inbox/read-all/",
        "/health/apis/x/rate/",
        "/admin/catalog/service/add/",
    ):
        assert expected in URLS, expected
    unfilled = [r for r in ROUTES if _concrete(r) is None]
    assert not unfilled, f"routes the sweep cannot fill in: {unfilled}"


def _token_post(client: Client, url: str):
    client.get("/login/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    return client.post(url, {"csrfmiddlewaretoken": token})


def test_every_html_url_refuses_a_post_without_a_csrf_token(admin):
    """Signed in as staff (so no permission check can mask a missing CSRF check)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    before = row_counts()
    missing, accepting = [], []
    for url in URLS:
        response = client.post(url, {"name": "x"})
        if response.status_code != 403 or CSRF_FAILURE not in response.content:
            missing.append(f"{url} → {response.status_code}")
    assert not missing, "POST without a CSRF token was not refused:\n" + "\n".join(missing)
    assert row_counts() == before
    # With the token the CSRF check passes; this tells which URLs take POST at all.
    for url in URLS:
        if url.startswith("/logout/"):
            continue  # would end the session for the next requests
        response = _token_post(client, url)
        assert CSRF_FAILURE not in response.content, url
        if response.status_code != 405:
            accepting.append(url)
    for form in ("/catalog/dependencies/new/", "/catalog/deprecations/new/", "/inbox/read-all/"):
        assert form in accepting, form


def test_the_login_form_needs_a_csrf_token(db, make_user):
    make_user("lena")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/login/", {"username": "lena", "password": "correct-horse-battery"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


SERVICE = {"slug": "csrf-new", "name": "CSRF New", "owner": "payments"}


def test_session_authenticated_api_writes_need_the_csrf_token(owner):
    from catalog.models import Service

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)  # a real session, not force_authenticate
    refused = client.post("/api/v1/services/", SERVICE, format="json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Service.objects.filter(slug="csrf-new").exists()
    client.get("/login/")
    token = client.cookies["csrftoken"].value
    accepted = client.post("/api/v1/services/", SERVICE, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201, accepted.content
    assert Service.objects.filter(slug="csrf-new", owner__slug="payments").exists()


def test_token_authenticated_api_writes_need_no_csrf_token(owner):
    from catalog.models import Service

    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=owner).key}")
    response = client.post("/api/v1/services/", SERVICE, format="json")
    assert response.status_code == 201, response.content
    assert Service.objects.filter(slug="csrf-new").exists()


@pytest.mark.parametrize("method", ["post", "patch", "delete"])
def test_session_api_unsafe_methods_without_token_change_nothing(owner, team, method):
    from tests.catalog.factories import ServiceFactory

    ServiceFactory(slug="csrf-old", owner=team, description="before")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(owner)
    url = "/api/v1/services/" if method == "post" else "/api/v1/services/csrf-old/"
    before = row_counts()
    response = getattr(client, method)(url, {**SERVICE, "description": "after"}, format="json")
    assert response.status_code == 403
    assert row_counts() == before
    from catalog.models import Service

    assert Service.objects.get(slug="csrf-old").description == "before"
