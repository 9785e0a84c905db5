"""/readyz under faults: 503 within ~2 s when PostgreSQL is dead or hangs, or the broker is down.

The database cases run the probe in a child process whose DATABASE_URL points at a loopback port
(nothing listening, or a socket that accepts and never answers — a frozen server)."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest

from tests.portal.ops._procutil import PYTHON, ROOT, child_env, free_port

PROBE = """
import json, time
import django
django.setup()
from django.test import Client
started = time.monotonic()
response = Client().get("/readyz")
print(json.dumps({"status": response.status_code, "body": response.json(),
                  "seconds": time.monotonic() - started}))
"""


def _probe(database_url: str) -> dict:
    out = subprocess.run(
        [PYTHON, "-c", PROBE],
        cwd=ROOT,
        env=child_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_readyz_is_503_at_once_when_postgresql_refuses_connections():
    result = _probe(f"postgres://postgres@127.0.0.1:{free_port()}/portal")
    assert result["status"] == 503
    assert result["body"]["status"] == "unavailable"
    assert result["body"]["checks"]["database"].startswith("OperationalError")
    assert result["seconds"] < 2.5


def test_readyz_is_503_within_about_two_seconds_when_postgresql_hangs():
    with socket.socket() as frozen:  # accepts TCP connections, never speaks PostgreSQL
        frozen.bind(("127.0.0.1", 0))
        frozen.listen(16)
        port = frozen.getsockname()[1]
        result = _probe(f"postgres://postgres@127.0.0.1:{port}/portal")
    assert result["status"] == 503
    assert result["body"]["checks"]["database"] != "ok"
    assert result["seconds"] < 4.5  # libpq's connect_timeout (2 s; it rounds to whole seconds)


@pytest.mark.django_db
def test_readyz_reports_a_dead_broker_quickly(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/14"
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 2.5
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "ok"
    assert response.json()["checks"]["broker"].startswith("ConnectionError")


@pytest.mark.django_db
def test_readyz_is_not_cached(client):
    response = client.get("/readyz")
    assert "no-cache" in response["Cache-Control"]
