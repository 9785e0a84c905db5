"""Secrets come only from the environment; webhook signing secrets are shown once.

(``check --deploy`` with production settings runs in CI: ``make check-all``; not repeated here.)
"""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from portal.notifications.models import NotificationEndpoint

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ROOT / "portal" / "settings"
SECRET_NAMES = re.compile(r"(SECRET|PASSWORD|TOKEN|API_KEY|PRIVATE_KEY|CREDENTIALS?)$", re.I)


def _assignments(path: Path):
    """(name, value node) of every top-level ``NAME = …`` in a settings module."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    yield target.id, node.value


def _literal_secrets(path: Path) -> list[str]:
    """Secret-like settings assigned a non-empty string literal, directly or as env() default."""
    found = []
    for name, value in _assignments(path):
        if not SECRET_NAMES.search(name):
            continue
        if isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value:
            found.append(f"{name} = {value.value!r}")
        if isinstance(value, ast.Call) and len(value.args) > 1:
            default = value.args[1]
            if isinstance(default, ast.Constant) and default.value:
                found.append(f"{name} = env(…, {default.value!r})")
    return found


def test_production_and_base_settings_hard_code_no_secret():
    for module in ("base.py", "production.py"):
        assert _literal_secrets(SETTINGS / module) == [], module


def test_only_the_local_and_test_settings_carry_a_development_key():
    """Development keys are allowed where they cannot reach production, and say so."""
    for module in sorted(SETTINGS.glob("*.py")):
        found = _literal_secrets(module)
        if module.name in ("local.py", "test.py"):
            assert all(("insecure" in f or "not-for-production" in f) for f in found), found
        else:
            assert found == [], module.name


def test_production_reads_the_secret_key_from_the_environment():
    source = (SETTINGS / "production.py").read_text()
    assert re.search(r'^SECRET_KEY = env\("DJANGO_SECRET_KEY"\)$', source, re.M)


def _production_import(env: dict) -> subprocess.CompletedProcess:
    code = "from django.conf import settings; print(settings.SECRET_KEY[:3], settings.DEBUG)"
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings.production"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    result = _production_import(env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr
    result = _production_import({**env, "DJANGO_SECRET_KEY": "", "DJANGO_DEBUG": "true"})
    assert result.returncode != 0


def test_production_starts_with_a_secret_key_and_never_debugs():
    env = {**os.environ, "DJANGO_SECRET_KEY": "k" * 60, "DJANGO_DEBUG": "true"}
    result = _production_import(env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["kkk", "False"]


def test_no_signing_secret_literal_in_the_code():
    """No whsec_ secret, private key or AWS key committed in the apps (tests excluded)."""
    pattern = re.compile(
        r"whsec_[A-Za-z0-9+/=]{16,}|-----BEGIN [A-Z ]*PRIVATE KEY|AKIA[0-9A-Z]{16}"
    )
    hits = []
    for app in ("portal", "catalog", "slas", "templates"):
        for path in (ROOT / app).rglob("*"):
            if path.suffix not in {".py", ".html", ".txt", ".yaml", ".yml"} or not path.is_file():
                continue
            if pattern.search(path.read_text(errors="ignore")):
                hits.append(str(path.relative_to(ROOT)))
    assert hits == []


# --- webhook secrets: shown once ------------------------------------------------------------

ENDPOINTS = "/api/v1/notification-endpoints/"
TARGET = "https://93.184.216.34/hooks/portal"


@pytest.fixture
def created(api_client, owner, team):
    client = api_client(owner)
    response = client.post(
        ENDPOINTS, {"team": team.pk, "channel": "webhook", "target": TARGET}, format="json"
    )
    assert response.status_code == 201, response.content
    secret = response.json()["secret"]
    assert secret.startswith("whsec_")
    assert NotificationEndpoint.objects.get(pk=response.json()["id"]).secret == secret
    return client, response.json()["id"], secret


def test_the_secret_is_never_listed_or_shown_again(created, api_client, admin):
    client, pk, secret = created
    for c in (client, api_client(admin)):
        for url in (ENDPOINTS, f"{ENDPOINTS}{pk}/"):
            response = c.get(url)
            assert response.status_code == 200
            assert secret not in response.content.decode()
            assert secret.removeprefix("whsec_") not in response.content.decode()
        assert c.get(f"{ENDPOINTS}{pk}/").json()["has_secret"] is True
    for method, body in (("patch", {"enabled": False}), ("put", {"target": TARGET + "2"})):
        response = getattr(client, method)(f"{ENDPOINTS}{pk}/", body, format="json")
        assert response.status_code == 200, response.content
        assert "secret" not in response.json()


def test_a_rotated_secret_is_shown_once_and_replaces_the_old(created):
    client, pk, secret = created
    response = client.post(f"{ENDPOINTS}{pk}/rotate-secret/")
    assert response.status_code == 200
    new = response.json()["secret"]
    assert new != secret and new.startswith("whsec_")
    assert NotificationEndpoint.objects.get(pk=pk).secret == new
    listed = client.get(ENDPOINTS).content.decode()
    assert new not in listed and secret not in listed


def test_other_engineers_cannot_see_or_rotate_the_endpoint(created, api_client, engineer):
    _, pk, secret = created
    client = api_client(engineer)
    assert client.get(f"{ENDPOINTS}{pk}/").status_code == 404
    assert pk not in [row["id"] for row in client.get(ENDPOINTS).json()["results"]]
    assert client.post(f"{ENDPOINTS}{pk}/rotate-secret/").status_code == 404
    assert NotificationEndpoint.objects.get(pk=pk).secret == secret


def test_the_admin_never_shows_the_secret(created, admin, client):
    _, pk, secret = created
    client.force_login(admin)
    for url in (
        "/admin/notifications/notificationendpoint/",
        f"/admin/notifications/notificationendpoint/{pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert secret not in response.content.decode()
