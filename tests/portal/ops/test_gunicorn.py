"""A real gunicorn with gunicorn.conf.py on a free loopback port (test settings, an on-disk
SQLite file that was never migrated): the probes answer, a database error on a real request is a
503 problem, the access log has the request time, and SIGTERM stops it cleanly in time."""

from __future__ import annotations

import signal
import subprocess
import time

import httpx
import pytest

from tests.portal.ops._procutil import PYTHON, ROOT, child_env, free_port

GRACEFUL_TIMEOUT = 5


def start_gunicorn(tmp_path):
    """Start gunicorn; return (process, base URL, log file) once /healthz answers."""
    port = free_port()
    log = (tmp_path / "gunicorn.log").open("w+")
    env = child_env(
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
        GUNICORN_THREADS="2",
        GUNICORN_GRACEFUL_TIMEOUT=str(GRACEFUL_TIMEOUT),
    )
    proc = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 15
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.seek(0)
            pytest.fail(f"gunicorn did not come up:\n{log.read()}")
        time.sleep(0.2)
    return proc, base, log


@pytest.fixture
def gunicorn(tmp_path):
    proc, base, log = start_gunicorn(tmp_path)
    yield proc, base, log
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    log.close()


def test_gunicorn_serves_the_probes_and_stops_cleanly_on_sigterm(gunicorn):
    proc, base, log = gunicorn
    with httpx.Client(base_url=base, timeout=5) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok"}
        # Tables do not exist in this database: a real request that queries fails in the
        # database and answers the 503 problem, not a traceback.
        down = http.get("/api/v1/services/", headers={"Authorization": "Token nope"})
        assert down.status_code == 503
        assert down.headers["Retry-After"]
        assert set(down.json()) == {"type", "title", "detail", "errors"}
        assert http.get("/api/v1/nothing-here/").json()["title"] == "Not found"

    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=GRACEFUL_TIMEOUT + 5) == 0
    assert time.monotonic() - started < GRACEFUL_TIMEOUT + 1
    log.seek(0)
    output = log.read()
    assert "Handling signal: term" in output
    assert '"GET /healthz HTTP/1.1" 200' in output
    assert "ms pid=" in output  # the access log carries the request time
    assert "database unavailable: GET /api/v1/services/" in output  # logged, one line
    assert "Traceback" not in output
