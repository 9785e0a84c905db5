"""Fixtures shared by the whole suite: one user per role, API clients and a real browser."""

from __future__ import annotations

import os
import shutil

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from catalog.models import Membership
from tests.catalog.factories import TeamFactory

CHROMIUM = os.environ.get("PORTAL_CHROMIUM", "/usr/bin/chromium")
PASSWORD = "correct-horse-battery"


@pytest.fixture
def make_user(db):
    """Create a user: ``make_user("alice", staff=True)``; the password is ``PASSWORD``."""

    def make(username: str, *, staff: bool = False, email: str | None = None):
        user = get_user_model().objects.create_user(
            username=username,
            email=email or f"{username}@example.com",
            password=PASSWORD,
            is_staff=staff,
            is_superuser=staff,
        )
        return user

    return make


@pytest.fixture
def team(db):
    return TeamFactory(slug="payments", name="Payments")


@pytest.fixture
def engineer(make_user):
    """A signed-in engineer who belongs to no team."""
    return make_user("eve")


@pytest.fixture
def member(make_user, team):
    """A plain member of ``team``."""
    user = make_user("mia")
    Membership.objects.create(team=team, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def owner(make_user, team):
    """An owner of ``team``."""
    user = make_user("olivia")
    Membership.objects.create(team=team, user=user, role=Membership.Role.OWNER)
    return user


@pytest.fixture
def admin(make_user):
    """A staff admin (superuser)."""
    return make_user("ada", staff=True)


@pytest.fixture
def api_client():
    """``api_client(user)`` → an authenticated DRF client; ``api_client()`` → anonymous."""

    def make(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture
def web_client(client):
    """``web_client(user)`` → Django test client logged in as ``user`` (session, CSRF on)."""
    from django.test import Client

    def make(user=None, *, enforce_csrf: bool = False) -> Client:
        c = Client(enforce_csrf_checks=enforce_csrf)
        if user is not None:
            c.force_login(user)
        return c

    return make


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright. In CI a missing browser fails the run."""
    if not _chromium_available():
        if os.environ.get("CI"):
            pytest.fail(
                f"Chromium not found at {CHROMIUM}; CI must install it (apt-get install chromium)"
            )
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium"),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh browser page; ``page.portal_url(path)`` builds a URL on the live server."""
    context = browser.new_context()
    pg = context.new_page()
    pg.set_default_timeout(10_000)
    pg.portal_url = lambda path="/": f"{live_server.url}{path}"
    yield pg
    context.close()


@pytest.fixture
def login(page):
    """``login(user)`` signs ``user`` in through the real login form."""

    def do(user):
        page.goto(page.portal_url("/login/"))
        page.fill("#id_username", user.get_username())
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_load_state()

    return do
