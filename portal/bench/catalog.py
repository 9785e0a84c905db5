"""Catalog API: latency of the list, search, detail and impact endpoints; optional HTTP throughput.

``manage.py bench catalog [--scale 10000] [--repeat 50] [--http --workers 4 --connections 8
--duration 10]`` builds the ``seed_demo --scale`` catalog if it is missing (and prints how long that
took), then measures in-process, through the whole Django stack (middleware, token auth,
serializers): services list page 1, a full-text search, a service detail (API and page), the impact
of the most-consumed API version (endpoint and selector alone). Prints p50 / p95 / max in ms and
the number of SQL queries.

With ``--http`` it also starts gunicorn on 127.0.0.1 against the same database and drives the
services list (page of 50) and a search with N concurrent keep-alive connections from a small
Python load generator, printing requests per second.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework.authtoken.models import Token

from catalog.models import Api, ApiVersion, Dependency, Service
from catalog.selectors.catalog import impact_for_api_version, most_consumed_api_version
from portal.benchutil import measure

TARGETS = {"list": 25, "search": 30, "detail": 50, "impact": 150}


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=int, default=10000, help="services in the catalog")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--http", action="store_true", help="also measure gunicorn throughput")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--duration", type=float, default=10.0)


def run(*, stdout, options) -> None:
    if not Service.objects.filter(slug__startswith="scale-svc-").exists():
        from catalog.management.commands.seed_demo import seed_scale

        stdout.write(f"building the seed_demo --scale {options['scale']} catalog…")
        started = time.perf_counter()
        seed_scale(n=options["scale"], stdout=stdout)
        stdout.write(f"seed_demo --scale {options['scale']}: {time.perf_counter() - started:.1f} s")
    stdout.write(
        f"database: {connection.vendor}; services {Service.objects.count()}, "
        f"APIs {Api.objects.count()}, versions {ApiVersion.objects.count()}, "
        f"dependencies {Dependency.objects.count()}"
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-catalog", defaults={"email": "bench@example.com", "is_staff": True}
    )
    token = Token.objects.get_or_create(user=user)[0].key
    api = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    pages = Client(HTTP_HOST="127.0.0.1")
    pages.force_login(user)

    version = most_consumed_api_version()
    provider = version.api.provider
    word = provider.name.split()[0].lower()
    impact = impact_for_api_version(api_version=version)
    stdout.write(
        f"most consumed version: {version} (id {version.pk}) — {len(impact.direct)} direct, "
        f"{len(impact.transitive)} transitive consumers, max depth {impact.max_depth}"
    )
    cases = [
        ("list", "API services list, page 1 (50)", api, "/api/v1/services/", {}),
        (
            "list",
            "API services list, layer=core&tier=1",
            api,
            "/api/v1/services/",
            {"layer": "core", "tier": "1"},
        ),
        ("search", f"API search '{word}'", api, "/api/v1/services/", {"search": word}),
        (
            "search",
            "API search 'order stream'",
            api,
            "/api/v1/services/",
            {"search": "order stream"},
        ),
        (
            "detail",
            f"API service detail ({provider.slug})",
            api,
            f"/api/v1/services/{provider.slug}/",
            {},
        ),
        (
            "detail",
            f"page service detail ({provider.slug})",
            pages,
            f"/catalog/services/{provider.slug}/",
            {},
        ),
        ("list", "page catalog home, page 1", pages, "/catalog/", {}),
        (
            "impact",
            f"API impact of {version} (limit 500)",
            api,
            f"/api/v1/api-versions/{version.pk}/impact/",
            {},
        ),
    ]
    stdout.write(f"{'case':<52} {'p50':>8} {'p95':>8} {'max':>8} {'queries':>8} {'target':>7}")
    for kind, label, client, url, params in cases:

        def get(client=client, url=url, params=params):
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)
            return response

        try:
            queries = _count_queries(get)
        except AssertionError as exc:
            stdout.write(f"{label[:52]:<52} skipped: {exc}")
            continue
        stats = measure(get, repeat=options["repeat"])
        stdout.write(
            f"{label[:52]:<52} {stats['p50']:>7.1f}  {stats['p95']:>7.1f}  {stats['max']:>7.1f}"
            f"  {queries:>7}  ≤{TARGETS[kind]:>4}"
        )
    for label, limit in (("all rows", None), ("limit 500", 500)):
        stats = measure(
            lambda limit=limit: impact_for_api_version(api_version=version, limit=limit),
            repeat=options["repeat"],
        )
        stdout.write(
            f"{f'selector impact_for_api_version ({label})':<52} {stats['p50']:>7.1f}  "
            f"{stats['p95']:>7.1f}  {stats['max']:>7.1f}  {1:>7}  ≤{TARGETS['impact']:>4}"
        )
    stdout.write("load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if options["http"]:
        _http(stdout=stdout, options=options, token=token, word=word)


def _count_queries(fn) -> int:
    """SQL statements run by ``fn`` (an execute wrapper: works whatever DEBUG says)."""
    seen = []

    def wrapper(execute, sql, params, many, context):
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        fn()
    return len(seen)


# --- HTTP throughput -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _load(*, port: int, path: str, token: str, connections: int, duration: float) -> dict:
    """``connections`` threads, each with one keep-alive connection, for ``duration`` seconds."""
    done = threading.Event()
    counts = [0] * connections
    errors = [0] * connections
    latencies: list[list[float]] = [[] for _ in range(connections)]

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Token {token}", "Host": "127.0.0.1"}
        while not done.is_set():
            start = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status == 200:
                    counts[i] += 1
                    latencies[i].append((time.perf_counter() - start) * 1000)
                else:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    time.sleep(duration)
    done.set()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = sorted(x for xs in latencies for x in xs)

    def p(q: float) -> float:
        return flat[min(len(flat) - 1, int(q * len(flat)))] if flat else float("nan")

    return {
        "rps": sum(counts) / elapsed,
        "errors": sum(errors),
        "p50": p(0.5),
        "p95": p(0.95),
    }


def _wrk(*, port: int, path: str, token: str, connections: int, duration: float) -> dict:
    """Drive the URL with wrk (2 threads) and parse its summary."""
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{connections}",
            f"-d{max(1, int(duration))}s",
            "--latency",
            "-H",
            f"Authorization: Token {token}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    ).stdout

    def ms(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not match:
            return float("nan")
        value, unit = float(match[1]), match[2]
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return {
        "rps": float(rps[1]) if rps else float("nan"),
        "errors": int(non2xx[1]) if non2xx else 0,
        "p50": ms("50%"),
        "p95": ms("90%"),
    }


def _http(*, stdout, options, token: str, word: str) -> None:
    port = _free_port()
    env = dict(os.environ)
    # The production shape: production settings (no DEBUG, no static autorefresh), persistent
    # database connections; plain HTTP on 127.0.0.1, so no SSL redirect.
    env["DJANGO_SETTINGS_MODULE"] = "portal.settings.production"
    env.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    env["DJANGO_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    env["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    env["DATABASE_CONN_MAX_AGE"] = "600"
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "portal.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(options["workers"]),
        "--worker-class",
        "gthread",
        "--threads",
        "2",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    proc = subprocess.Popen(command, cwd=str(settings.BASE_DIR), env=env)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                time.sleep(0.3)
        # warm every worker (connections, imports)
        _load(
            port=port,
            path="/api/v1/services/",
            token=token,
            connections=options["connections"],
            duration=2,
        )
        stdout.write(
            f"HTTP: gunicorn {options['workers']} workers x 2 threads, "
            f"{options['connections']} keep-alive connections, {options['duration']:.0f} s each, "
            f"load from {'wrk' if shutil.which('wrk') else 'a Python loader'}"
        )
        for label, path in [
            ("services list, page of 50", "/api/v1/services/?page_size=50"),
            ("services list sorted by name", "/api/v1/services/?page_size=50&ordering=name"),
            (f"search '{word}'", f"/api/v1/services/?page_size=50&search={word}"),
        ]:
            loader = _wrk if shutil.which("wrk") else _load
            stats = loader(
                port=port,
                path=path,
                token=token,
                connections=options["connections"],
                duration=options["duration"],
            )
            stdout.write(
                f"  {label:<40} {stats['rps']:>7.1f} req/s  p50 {stats['p50']:.1f} ms  "
                f"p90/95 {stats['p95']:.1f} ms  errors {stats['errors']}"
            )
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
