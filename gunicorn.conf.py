"""gunicorn settings for the portal's web process: ``gunicorn -c gunicorn.conf.py portal.wsgi:application``.

Every value can be overridden from the environment (see docs/operations.md); the defaults suit a
small machine (2 cores) next to its PostgreSQL. Threaded workers (``gthread``): a request's time is
mostly Python CPU, so about one process per core does the work and a few threads per process
overlap the database round trips and keep slow clients from blocking a whole process.
"""

from __future__ import annotations

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


_cores = multiprocessing.cpu_count()

# Where to listen. PORT is what most platforms set; GUNICORN_BIND wins when both are given.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"

# Processes x threads. WEB_CONCURRENCY is the conventional knob (Heroku, Render, …).
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = _int("WEB_CONCURRENCY", max(2, _cores))
threads = _int("GUNICORN_THREADS", 4)
# Connections waiting for a worker; the kernel refuses beyond this (clients retry, no pile-up).
backlog = _int("GUNICORN_BACKLOG", 2048)
# Each thread keeps at most this many keep-alive connections open (gthread).
worker_connections = _int("GUNICORN_WORKER_CONNECTIONS", 1000)

# A worker silent for this long is killed and replaced (a hung request in a sync worker, a stuck
# process); SIGTERM lets requests in flight finish for graceful_timeout seconds.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 20)
# Seconds an idle keep-alive connection stays open (keep it below the load balancer's idle timeout).
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Recycle workers now and then (bounded memory growth); jitter so they do not restart together.
# A restart re-imports Django (~1 s of CPU): at 200 req/s, 2,000 requests meant one every 10 s
# per worker, so the default is 20,000 (a restart every few minutes at full load).
max_requests = _int("GUNICORN_MAX_REQUESTS", 20000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 2000)

# Request size limits: refuse absurd request lines and headers before Django sees them.
limit_request_line = _int("GUNICORN_LIMIT_REQUEST_LINE", 8190)
limit_request_fields = _int("GUNICORN_LIMIT_REQUEST_FIELDS", 100)
limit_request_field_size = _int("GUNICORN_LIMIT_REQUEST_FIELD_SIZE", 8190)

# Heartbeat files in memory, not on a possibly slow container filesystem.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

# Behind a proxy: which addresses may set X-Forwarded-* (comma-separated, "*" for any).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Logs to stdout/stderr. The access log ends with the request time in milliseconds.
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
errorlog = os.environ.get("GUNICORN_ERRORLOG", "-")
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
access_log_format = os.environ.get(
    "GUNICORN_ACCESS_LOG_FORMAT",
    '%(h)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms pid=%(p)s',
)

proc_name = "portal-web"
