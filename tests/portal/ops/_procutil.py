"""Helpers for the tests that start real processes: free loopback ports, a child environment."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def child_env(**overrides: str) -> dict[str, str]:
    """The test settings for a child process; no inherited DATABASE_URL / REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.test"
    env["PYTHONPATH"] = str(ROOT)
    env.update(overrides)
    return env
