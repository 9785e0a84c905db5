"""HTTP throughput and latency of the production web process under a bounded load.

``manage.py bench http [--concurrency 8] [--duration 15] [--workers N] [--threads T]
[--read-only] [--only NAME …]`` starts gunicorn with ``gunicorn.conf.py`` and production settings
on 127.0.0.1 (a free port) against the configured database, waits for ``/readyz``, signs a user in
(an API token and a session cookie), then drives each endpoint with N keep-alive connections for
the given duration — with ``wrk`` when it is installed (a generated Lua script sets the auth
header and reports percentiles), otherwise with a bounded threaded Python loader (httpx) — and
prints req/s, p50/p95/p99 latency and errors per endpoint. gunicorn is stopped at the end.

Only loopback, bounded in time (duration per endpoint) and count (``--max-requests`` per endpoint
for the Python loader). ``--read-only`` writes nothing to the database: it reuses an existing
token and a still-valid session instead of creating a user and logging in (for a catalog seeded
by someone else). ``--profile`` also profiles the services list in-process (cProfile).
"""

from __future__ import annotations

import cProfile
import io
import json
import logging
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection

from portal.benchutil import CpuAccount, child_pids, children_cpu_seconds, read_proc_stat

READY_TIMEOUT_SECONDS = 45
BENCH_USERNAME = "bench-http"


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    auth: str  # "token" (API) or "session" (pages)


@dataclass
class Result:
    requests: int
    seconds: float
    errors: int
    p50: float
    p95: float
    p99: float

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else float("nan")


def add_arguments(parser) -> None:
    parser.add_argument("--concurrency", type=int, default=8, help="keep-alive connections")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--workers", type=int, default=None, help="gunicorn processes")
    parser.add_argument("--threads", type=int, default=None, help="threads per gunicorn process")
    parser.add_argument("--loader", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="cap per endpoint (Python loader)"
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        help="write nothing: reuse an existing API token and session (a database seeded by others)",
    )
    parser.add_argument("--only", nargs="*", default=None, help="endpoint names to run")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile the services list in-process"
    )


def run(*, stdout, options) -> None:
    from catalog.models import Service

    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise
    services = Service.objects.count()
    if services == 0:
        raise CommandError(
            "The catalog is empty: there is nothing to load. Seed it first, e.g. "
            "`manage.py seed_demo --scale 10000` (or `--scale N` for a smaller catalog)."
        )
    sample = Service.objects.order_by("pk").values_list("slug", "name").first()
    detail_slug, name = sample
    word = name.split()[0].lower()
    endpoints = [
        Endpoint("services list, page of 50", "/api/v1/services/?page_size=50", "token"),
        Endpoint(
            "services list sorted by name",
            "/api/v1/services/?page_size=50&ordering=name",
            "token",
        ),
        Endpoint(f"search '{word}'", f"/api/v1/services/?page_size=50&search={word}", "token"),
        Endpoint("catalog page (HTML)", "/catalog/", "session"),
        Endpoint("service detail (API)", f"/api/v1/services/{detail_slug}/", "token"),
        Endpoint("service detail page (HTML)", f"/catalog/services/{detail_slug}/", "session"),
    ]
    if options.get("only"):
        wanted = [w.lower() for w in options["only"]]
        endpoints = [e for e in endpoints if any(w in e.name.lower() for w in wanted)]
        if not endpoints:
            raise CommandError(f"--only {options['only']} matches no endpoint")

    loader = options["loader"]
    if loader == "auto":
        loader = "wrk" if shutil.which("wrk") else "python"
    elif loader == "wrk" and not shutil.which("wrk"):
        raise CommandError("wrk is not installed (apt-get install wrk); use --loader python")

    user, token = _token_user(read_only=options["read_only"])
    stdout.write(
        f"database: {connection.vendor} {connection.settings_dict.get('NAME')}; "
        f"{services} services; user {user.get_username()}; load from {loader}; "
        f"{options['concurrency']} connections x {options['duration']:.0f} s per endpoint"
    )
    if options["profile"]:
        _profile(stdout=stdout, token=token, path=endpoints[0].path)

    with _Gunicorn(options=options) as server:
        stdout.write(
            f"gunicorn: {server.describe()} on {server.base}; load average before {_loadavg()}"
        )
        cookie = _session_cookie(
            server=server, user=user, read_only=options["read_only"], stdout=stdout
        )
        headers = {"token": {"Authorization": f"Token {token}"}, "session": {}}
        if cookie:
            headers["session"] = {"Cookie": cookie}
        _warm(server=server, endpoints=endpoints, headers=headers, options=options)
        stdout.write(
            f"{'endpoint':<34} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} "
            f"{'requests':>9} {'errors':>7} {'CPU ms/req web + db':>20}"
        )
        for endpoint in endpoints:
            if endpoint.auth == "session" and not cookie:
                stdout.write(f"{endpoint.name:<34} skipped: no session (see above)")
                continue
            run_load = _wrk if loader == "wrk" else _python_load
            with _CpuWatch(master=server.proc.pid) as cpu:
                result = run_load(
                    url=server.base + endpoint.path,
                    headers=headers[endpoint.auth],
                    concurrency=options["concurrency"],
                    duration=options["duration"],
                    max_requests=options["max_requests"],
                )
            per_request = 1000 / max(1, result.requests)
            stdout.write(
                f"{endpoint.name[:34]:<34} {result.rps:>8.1f} {result.p50:>8.1f} "
                f"{result.p95:>8.1f} {result.p99:>8.1f} {result.requests:>9} {result.errors:>7}"
                f" {cpu.web_seconds * per_request:>11.1f} + {cpu.db.seconds * per_request:>5.1f}"
            )
            if cpu.workers.started or cpu.db.ended:
                stdout.write(
                    f"{'':<34} {cpu.workers.started} gunicorn worker(s) replaced, "
                    f"{cpu.db.ended} database backend(s) closed during this run: counted "
                    "(web exactly, a new worker's start-up included; db up to the last sample)"
                )
        stdout.write(
            "CPU ms/req: web = gunicorn workers, replaced ones included (live workers' time plus "
            "the master's reaped-children time); db = PostgreSQL backends, summed per backend "
            f"seen (sampled every {_CpuWatch.interval:.0f} s: a backend that exits loses at most "
            "its last interval)"
        )
        stdout.write(f"load average after {_loadavg()}; gunicorn log: {server.log_path}")
    stdout.write(f"gunicorn stopped ({server.stop_summary})")


# --- auth -------------------------------------------------------------------------------------


def _token_user(*, read_only: bool):
    """A user and an API token: an existing token when ``read_only``, else a bench user's."""
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    if read_only:
        token = (
            Token.objects.select_related("user")
            .filter(user__is_active=True)
            .order_by("-user__is_staff", "created")
            .first()
        )
        if token is None:
            raise CommandError(
                "--read-only needs an existing API token in this database "
                "(run once without --read-only, or `manage.py drf_create_token <user>`)."
            )
        return token.user, token.key
    user, _ = get_user_model().objects.get_or_create(
        username=BENCH_USERNAME, defaults={"email": "bench-http@example.com"}
    )
    return user, Token.objects.get_or_create(user=user)[0].key


def _existing_session(user) -> str | None:
    """The key of a live session of ``user`` whose auth hash verifies with this SECRET_KEY.

    (A session whose hash does not verify would be flushed — deleted — by the server.)"""
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import constant_time_compare

    expected = user.get_session_auth_hash()
    quiet = logging.getLogger("django.security.SuspiciousSession")  # other keys' sessions
    level, quiet.level = quiet.level, logging.CRITICAL
    try:
        sessions = list(
            Session.objects.filter(expire_date__gt=timezone.now()).order_by("-expire_date")[:200]
        )
        decoded = [(session.session_key, session.get_decoded()) for session in sessions]
    finally:
        quiet.level = level
    for session_key, data in decoded:
        if data.get("_auth_user_id") == str(user.pk) and constant_time_compare(
            data.get("_auth_user_hash", ""), expected
        ):
            return session_key
    return None


def _session_cookie(*, server, user, read_only: bool, stdout) -> str | None:
    """Sign ``user`` in for the HTML pages: through the real login form, or (read-only) by
    reusing a live session. Returns the ``Cookie`` header value."""
    import httpx

    name = settings.SESSION_COOKIE_NAME
    if read_only:
        key = _existing_session(user)
        if key is None:
            stdout.write(
                f"no live session of {user.get_username()} verifies with this SECRET_KEY; "
                "the HTML pages are skipped (--read-only never logs in)"
            )
            return None
        return f"{name}={key}"
    password = secrets.token_urlsafe(16)
    user.set_password(password)
    user.save(update_fields=["password"])
    # The production cookies are Secure (HTTPS only), so cookies are carried by hand here.
    with httpx.Client(base_url=server.base, timeout=30) as http:
        form = http.get("/login/")
        csrf = form.headers.get("set-cookie", "")
        match = re.search(r"csrftoken=([^;]+)", csrf)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        if not (match and token):
            raise CommandError("could not read the login form's CSRF token")
        response = http.post(
            "/login/",
            data={
                "username": user.get_username(),
                "password": password,
                "csrfmiddlewaretoken": token[1],
            },
            headers={"Cookie": f"csrftoken={match[1]}", "Referer": f"{server.base}/login/"},
        )
        session = re.search(rf"{name}=([^;]+)", response.headers.get("set-cookie", ""))
        if response.status_code != 302 or not session:
            raise CommandError(f"login failed: HTTP {response.status_code}")
    return f"{name}={session[1]}"


# --- gunicorn -----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Gunicorn:
    """gunicorn -c gunicorn.conf.py with production settings on 127.0.0.1:<free port>."""

    def __init__(self, *, options) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.options = options
        self.tmp = Path(tempfile.mkdtemp(prefix="bench-http-"))
        self.log_path = self.tmp / "gunicorn.log"
        self.proc: subprocess.Popen | None = None
        self.stop_summary = ""

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "portal.settings.production",
                # The same key as this process: sessions and tokens created here stay valid.
                "DJANGO_SECRET_KEY": settings.SECRET_KEY,
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "DJANGO_SECURE_SSL_REDIRECT": "false",  # plain HTTP on loopback
                "GUNICORN_BIND": f"127.0.0.1:{self.port}",
                "GUNICORN_ACCESSLOG": str(self.tmp / "access.log"),
                "GUNICORN_LOGLEVEL": "warning",
            }
        )
        if not os.environ.get("DATABASE_URL"):
            env["DATABASE_URL"] = f"sqlite:///{connection.settings_dict['NAME']}"
        if self.options.get("workers"):
            env["WEB_CONCURRENCY"] = str(self.options["workers"])
        if self.options.get("threads"):
            env["GUNICORN_THREADS"] = str(self.options["threads"])
        return env

    def describe(self) -> str:
        env = self.env()
        from importlib.util import module_from_spec, spec_from_file_location

        spec = spec_from_file_location("_gunicorn_conf", settings.BASE_DIR / "gunicorn.conf.py")
        saved = dict(os.environ)
        os.environ.update(env)
        try:
            conf = module_from_spec(spec)
            spec.loader.exec_module(conf)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        return f"{conf.workers} workers x {conf.threads} threads ({conf.worker_class})"

    def __enter__(self) -> _Gunicorn:
        self._log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "portal.wsgi:application"],
            cwd=str(settings.BASE_DIR),
            env=self.env(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        import httpx

        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                response = httpx.get(f"{self.base}/readyz", timeout=3)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code} {response.text[:300]}"
            except httpx.TransportError as exc:
                last = str(exc)
            time.sleep(0.3)
        self.__exit__(None, None, None)
        tail = self.log_path.read_text()[-2000:]
        raise CommandError(f"gunicorn did not become ready ({last}). Log:\n{tail}")

    def __exit__(self, *exc) -> None:
        if self.proc is None or self.proc.poll() is not None:
            self.stop_summary = "already exited"
            return
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout=40)
            self.stop_summary = f"SIGTERM, exit {code} in {time.monotonic() - started:.1f} s"
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            self.stop_summary = "killed after 40 s"
        self._log.close()


class _CpuWatch:
    """CPU of the web workers and their database backends during one endpoint's load.

    Web: ``children_cpu_seconds`` of the gunicorn master at the start and the end — exact even
    when workers are recycled (``max_requests``) or killed meanwhile, never negative. Database:
    the PostgreSQL backends of this database other than the bench's own, read from /proc every
    ``interval`` seconds by a thread and summed per backend seen (``CpuAccount``): backends that
    replaced workers open count from zero. 0 where there is no /proc (or on SQLite, whose work is
    inside the workers)."""

    interval = 1.0

    def __init__(self, *, master: int) -> None:
        self.master = master
        self.workers = CpuAccount()
        self.db = CpuAccount()
        self.web_seconds = 0.0
        self._exclude = _own_backend_pid()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-cpu", daemon=True)

    def _sample(self) -> None:
        self.workers.sample(read_proc_stat(pid) for pid in child_pids(self.master))
        pids = _database_backend_pids(exclude=self._exclude)
        self.db.sample(read_proc_stat(pid) for pid in pids)

    def _loop(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                self._sample()
        finally:
            connection.close()  # this thread's own connection

    def __enter__(self) -> _CpuWatch:
        self._web_before = children_cpu_seconds(self.master)
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        after = children_cpu_seconds(self.master)
        if self._web_before is not None and after is not None:
            self.web_seconds = after - self._web_before


def _own_backend_pid() -> int | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _database_backend_pids(*, exclude: int | None = None) -> list[int]:
    """PostgreSQL backends of this database other than the caller's own connection and
    ``exclude`` (the web workers' connections)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND pid <> %s AND backend_type = 'client backend'",
            [exclude or 0],
        )
        return [row[0] for row in cursor.fetchall()]


def _loadavg() -> str:
    try:
        return " ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "n/a"


# --- loaders ------------------------------------------------------------------------------------


def _warm(*, server, endpoints, headers, options) -> None:
    """A few requests per endpoint on every connection: imports, connections, caches."""
    import httpx

    def hit() -> None:
        with httpx.Client(timeout=60) as http:
            for endpoint in endpoints:
                if endpoint.auth == "session" and not headers["session"]:
                    continue
                for _ in range(3):
                    http.get(server.base + endpoint.path, headers=headers[endpoint.auth])

    threads = [threading.Thread(target=hit) for _ in range(options["concurrency"])]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _python_load(*, url, headers, concurrency, duration, max_requests) -> Result:
    """``concurrency`` threads, one keep-alive httpx connection each, for ``duration`` seconds or
    ``max_requests`` requests in all, whichever comes first."""
    import httpx

    stop = threading.Event()
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    budget = [max_requests]

    def worker() -> None:
        with httpx.Client(headers=headers, timeout=30) as http:
            while not stop.is_set():
                with lock:
                    if budget[0] <= 0:
                        return
                    budget[0] -= 1
                started = time.perf_counter()
                try:
                    ok = http.get(url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    if ok:
                        latencies.append(elapsed)
                    else:
                        errors[0] += 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    deadline = started + duration
    while time.perf_counter() < deadline and any(t.is_alive() for t in threads):
        time.sleep(0.05)
    stop.set()
    for t in threads:
        t.join(timeout=60)
    seconds = time.perf_counter() - started
    ordered = sorted(latencies)
    return Result(
        requests=len(ordered) + errors[0],
        seconds=seconds,
        errors=errors[0],
        p50=_percentile(ordered, 0.50),
        p95=_percentile(ordered, 0.95),
        p99=_percentile(ordered, 0.99),
    )


WRK_SCRIPT = """
wrk.headers = wrk.headers or {}
%(headers)s
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %%d, "duration_us": %%d, "connect": %%d, "read": %%d, "write": %%d, '
    .. '"status": %%d, "timeout": %%d, "p50": %%f, "p95": %%f, "p99": %%f}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _wrk(*, url, headers, concurrency, duration, max_requests) -> Result:
    """wrk with 2 threads; a generated Lua script sets the headers and prints JSON at the end."""
    lines = "\n".join(
        f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(WRK_SCRIPT % {"headers": lines})
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(2, concurrency)}",
                f"-c{concurrency}",
                f"-d{max(1, round(duration))}s",
                "--timeout",
                "30s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            timeout=duration + 60,
            check=False,
        )
    finally:
        os.unlink(script.name)
    match = re.search(r"WRKJSON (\{.*\})", out.stdout)
    if not match:
        raise CommandError(f"could not parse wrk's output:\n{out.stdout}\n{out.stderr}")
    data = json.loads(match[1])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Result(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        errors=errors,
        p50=data["p50"] / 1000,
        p95=data["p95"] / 1000,
        p99=data["p99"] / 1000,
    )


# --- profile ------------------------------------------------------------------------------------


def _package(filename: str) -> str:
    """Group a profiled function by what owns it: django.db, rest_framework, catalog/, …"""
    path = filename.replace("\\", "/")
    if "site-packages/" in path:
        parts = path.split("site-packages/", 1)[1].split("/")
        if parts[0] == "django" and len(parts) > 2:
            return f"django.{parts[1]}"
        return parts[0].removesuffix(".py")
    base = str(settings.BASE_DIR).replace("\\", "/") + "/"
    if path.startswith(base):
        parts = path[len(base) :].split("/")
        return f"{parts[0]}/" + (parts[1] if len(parts) > 2 else "")
    if path.startswith("~") or path.startswith("<"):
        return "builtins"
    return "stdlib"


def _profile(*, stdout, token: str, path: str, repeat: int = 40) -> None:
    """cProfile ``repeat`` in-process requests (the whole Django stack, this process's settings)
    and print where the time goes: by package (own time) and the top functions."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Token {token}")
    for _ in range(3):
        client.get(path)
    started = time.perf_counter()
    for _ in range(repeat):
        client.get(path)
    plain_ms = (time.perf_counter() - started) * 1000 / repeat
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        client.get(path)
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_package: dict[str, float] = {}
    for (filename, _line, _func), (_cc, _nc, tottime, _ct, _callers) in stats.stats.items():
        key = _package(filename)
        by_package[key] = by_package.get(key, 0.0) + tottime
    total = sum(by_package.values()) or 1.0
    stdout.write(
        f"profile of GET {path} in-process: {plain_ms:.1f} ms per request (wall, unprofiled); "
        "own time under cProfile by package:"
    )
    for key, seconds in sorted(by_package.items(), key=lambda kv: -kv[1])[:14]:
        stdout.write(f"  {key:<28} {100 * seconds / total:5.1f} %")
    buffer = io.StringIO()
    pstats.Stats(profiler, stream=buffer).sort_stats("tottime").print_stats(15)
    stdout.write(buffer.getvalue())
