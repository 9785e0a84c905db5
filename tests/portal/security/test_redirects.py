"""Open redirects: ``next=`` on the login, and the inbox's ``next`` after marking read, never
send the browser off-site."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.test import Client

from tests.conftest import PASSWORD

OFFSITE = [
    "https://evil.example/",
    "//evil.example/",
    "///evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    " https://evil.example/",
    "javascript:alert(1)",
    "http://testserver@evil.example/",
    "https://evil.example/%2F..",
]


def _is_local(location: str) -> bool:
    parts = urlsplit(location)
    return (
        not parts.scheme
        and not parts.netloc
        and location.startswith("/")
        and not location.startswith(("//", "/\\"))
    )


@pytest.mark.parametrize("target", OFFSITE)
def test_login_next_never_leaves_the_site(make_user, target):
    make_user("rita")
    client = Client()
    response = client.post(
        f"/login/?next={target}", {"username": "rita", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert _is_local(response["Location"]), response["Location"]
    assert response["Location"] == "/"  # LOGIN_REDIRECT_URL
    assert "_auth_user_id" in client.session


def test_login_next_to_a_page_of_the_portal_is_kept(make_user):
    make_user("rita")
    response = Client().post(
        "/login/?next=/catalog/layers/",
        {"username": "rita", "password": PASSWORD, "next": "/catalog/layers/"},
    )
    assert response["Location"] == "/catalog/layers/"


def test_the_login_page_does_not_echo_an_offsite_next_as_a_link(db):
    html = Client().get("/login/?next=javascript:alert(1)").content.decode()
    assert 'href="javascript:' not in html


def test_anonymous_pages_redirect_to_the_login_with_a_local_next(db):
    response = Client().get("/catalog/layers/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/catalog/layers/"


@pytest.mark.parametrize("target", [*OFFSITE, "/inbox/"])
def test_inbox_next_never_leaves_the_site(engineer, target):
    client = Client()
    client.force_login(engineer)
    response = client.post("/inbox/read-all/", {"next": target})
    assert response.status_code == 302
    assert _is_local(response["Location"]), response["Location"]
    assert response["Location"].startswith("/inbox/")
