"""Fixtures of the notification tests: teams with endpoints, and a local webhook receiver."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from portal.notifications.models import NotificationEndpoint
from portal.notifications.signing import generate_secret
from tests.catalog.factories import TeamFactory


class Receiver:
    """A webhook receiver on 127.0.0.1 that records requests and deduplicates on webhook-id."""

    def __init__(self, *, status: int = 204, delay: float = 0.0):
        self.status = status
        self.delay = delay
        self.requests: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length)
                if receiver.delay:
                    import time

                    time.sleep(receiver.delay)
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": {k.lower(): v for k, v in self.headers.items()},
                            "body": body,
                        }
                    )
                status = receiver.status_for(self.path)
                self.send_response(status)
                if 300 <= status < 400:
                    self.send_header("location", "http://127.0.0.1:1/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def status_for(self, path: str) -> int:
        return self.status

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"].get("webhook-id", "") for r in self.requests]

    def unique_ids(self) -> set[str]:
        return set(self.ids())

    def json_bodies(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def allow_loopback(settings):
    """Tests talk to a receiver on 127.0.0.1, which the URL guard refuses unless allow-listed."""
    settings.PORTAL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def make_team(db):
    counter = {"n": 0}

    def make(*, webhook: str | None = None, chat: str | None = None, email: str | None = None):
        counter["n"] += 1
        team = TeamFactory(slug=f"nt-{counter['n']}", name=f"Team {counter['n']}")
        if webhook:
            NotificationEndpoint.objects.create(
                recipient=team, channel="webhook", target=webhook, secret=generate_secret()
            )
        if chat:
            NotificationEndpoint.objects.create(recipient=team, channel="chat", target=chat)
        if email:
            NotificationEndpoint.objects.create(recipient=team, channel="email", target=email)
        return team

    return make
