"""Anonymous visitors get nothing from any HTML page: every URL found by walking the resolver
redirects to the login (the portal's, or the admin's), except the named public ones."""

from __future__ import annotations

from django.test import Client

from tests.portal.security.conftest import row_counts
from tests.portal.security.test_csrf import URLS

PUBLIC = {"/login/", "/healthz", "/readyz", "/admin/login/"}


def test_every_page_sends_anonymous_visitors_to_the_login(db):
    client = Client(raise_request_exception=False)
    before = row_counts()
    leaks = []
    for url in URLS:
        if url in PUBLIC or url in ("/logout/", "/admin/logout/"):
            continue  # GET on a logout only redirects
        response = client.get(url)
        location = response.get("Location", "")
        to_login = location.startswith(("/login/?next=", "/admin/login/?next="))
        if not (response.status_code == 302 and to_login):
            leaks.append(f"{url} → {response.status_code} {location}")
    assert not leaks, "\n".join(leaks)
    assert row_counts() == before


def test_the_public_pages_are_public(db):
    client = Client()
    for url in PUBLIC:
        assert client.get(url).status_code == 200, url
