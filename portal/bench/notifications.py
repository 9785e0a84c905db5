"""Announce a change to 10,000 consumer services across 2,000 teams; time planning and delivery.

``manage.py bench notifications [--teams 2000 --services 10000]`` builds a throwaway database
(never the configured one): one provider API version consumed by ``--services`` services owned by
``--teams`` teams, each team with a signed webhook to a local sink on 127.0.0.1 (allow-listed).

- planned: impact analysis (the catalog's recursive query) + event_record (one event, bulk rows)
  + commit + enqueue of the delivery tasks;
- delivered: until every webhook notification is ``delivered``. With REDIS_URL set and
  PostgreSQL, one real ``celery -A portal worker`` (concurrency 1) delivers; otherwise delivery
  runs in-process in batches (printed). The sink counts webhook-ids: duplicates and lost are
  printed. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction

from portal.benchutil import build_consumers


def add_arguments(parser) -> None:
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--services", type=int, default=10_000)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="Deliver in this process even when REDIS_URL is set.",
    )
    parser.add_argument("--timeout", type=float, default=180, help="Give up delivering after this.")


class Sink:
    """A webhook sink on 127.0.0.1 counting ``webhook-id``s."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", "0")))
                with sink.lock:
                    sink.ids[self.headers.get("webhook-id", "")] += 1
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _build(*, teams: int, services: int, sink_url: str):
    from catalog.models import Api, ApiVersion, Service, Team
    from portal.notifications.models import NotificationEndpoint, WebhookAllowedHost
    from portal.notifications.signing import generate_secret

    provider_team = Team.objects.create(slug="bench-provider", name="Bench provider")
    provider = Service.objects.create(slug="bench-orders", name="Orders", owner=provider_team)
    api = Api.objects.create(slug="bench-orders-api", name="Orders API", provider=provider)
    version = ApiVersion.objects.create(api=api, version="1.0.0", major=1)
    team_ids = build_consumers(
        teams=teams, services=services, api_version=version, provider=provider
    )
    NotificationEndpoint.objects.bulk_create(
        [
            NotificationEndpoint(
                recipient_id=tid, channel="webhook", target=sink_url, secret=generate_secret()
            )
            for tid in team_ids
        ],
        batch_size=1000,
    )
    WebhookAllowedHost.objects.create(host="127.0.0.1", note="bench sink")
    return version, provider_team


def _recipients(version, provider_team):
    """Recipients from the catalog's impact analysis (direct and transitive consumers' teams)."""
    from portal.notifications.services import Recipient

    try:
        from catalog.selectors.catalog import impact_for_api_version
    except ImportError:  # the catalog's selector is missing: plan from the dependency rows
        from catalog.models import Dependency

        team_ids = set(
            Dependency.objects.filter(api_version=version).values_list(
                "consumer__owner_id", flat=True
            )
        )
        return [Recipient(team_id=t) for t in team_ids], "dependency rows (no impact selector)"
    impact = impact_for_api_version(api_version=version)
    recipients = [Recipient(team_id=provider_team.pk, relation="owner")]
    for item in impact.direct:
        recipients.append(Recipient(team_id=item.team_id, relation="direct"))
    for item in impact.transitive:
        recipients.append(Recipient(team_id=item.team_id, relation="transitive", path=item.path))
    return recipients, f"impact_for_api_version ({len(impact.direct)} direct services)"


def run(*, stdout, options) -> None:
    from portal.notifications import selectors, services
    from portal.notifications.models import ChangeEvent, Notification

    redis_url = os.environ.get("REDIS_URL", "")
    db = settings.DATABASES["default"]
    tmpdir = tempfile.mkdtemp(prefix="notif-bench-")
    if db["ENGINE"].endswith("sqlite3"):
        db.setdefault("TEST", {})["NAME"] = os.path.join(tmpdir, "bench.sqlite3")
    use_worker = bool(redis_url) and connection.vendor == "postgresql" and not options["in_process"]
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    sink = Sink()
    worker = None
    try:
        start = time.perf_counter()
        version, provider_team = _build(
            teams=options["teams"], services=options["services"], sink_url=sink.url
        )
        stdout.write(
            f"database: {connection.vendor} (throwaway {connection.settings_dict['NAME']}); "
            f"built {options['services']} consumer services across {options['teams']} teams "
            f"in {time.perf_counter() - start:.1f}s"
        )
        enqueued = {"tasks": 0}
        if use_worker:
            from portal.celery import app
            from tests.portal.notifications.workerutil import Worker

            app.conf.task_always_eager = False
            app.conf.broker_url = redis_url
            app._pool = None
            worker = Worker(
                redis_url=redis_url,
                concurrency=1,
                env={
                    "PORTAL_NOTIFICATION_BATCH_SIZE": "100",
                    "PORTAL_NOTIFICATION_LEASE_SECONDS": "120",
                },
            )
            time.sleep(3)  # let the worker connect before the clock starts
            mode = "one real Celery worker (concurrency 1) on Redis"
            real_dispatch = services.dispatch

            def counting_dispatch(**kwargs):
                n = real_dispatch(**kwargs)
                enqueued["tasks"] += n
                return n

            services.dispatch = counting_dispatch
        else:
            mode = "in-process batched delivery (REDIS_URL unset or not PostgreSQL)"

            def deferred_dispatch(**kwargs):
                enqueued["tasks"] += 1
                return 1

            real_dispatch = services.dispatch
            services.dispatch = deferred_dispatch
        try:
            t0 = time.perf_counter()
            with transaction.atomic():
                recipients, source = _recipients(version, provider_team)
                t_impact = time.perf_counter() - t0
                event = services.event_record(
                    kind=ChangeEvent.Kind.DEPRECATION_ANNOUNCED,
                    dedupe_key=f"bench-{time.time()}",
                    title="Orders API 1.0.0 is deprecated",
                    body="Sunset in 180 days; migrate to 2.0.0.",
                    recipients=recipients,
                )
                t_rows = time.perf_counter() - t0 - t_impact
            planned = time.perf_counter() - t0
        finally:
            services.dispatch = real_dispatch
        rows = Notification.objects.filter(event=event).count()
        expected = Notification.objects.filter(event=event, channel="webhook").count()
        stdout.write(
            f"planned: {planned:.3f}s (impact via {source}: {t_impact:.3f}s; event_record, "
            f"{rows} rows written: {t_rows:.3f}s; commit + enqueue of {enqueued['tasks']} "
            f"delivery task(s): {planned - t_impact - t_rows:.3f}s)"
        )
        stdout.write(f"delivering {expected} webhooks with {mode}")
        t1 = time.perf_counter()
        if not use_worker:
            services.delivery_run(budget_seconds=options["timeout"])
        deadline = t1 + options["timeout"]
        while time.perf_counter() < deadline:
            done = Notification.objects.filter(
                event=event, channel="webhook", state="delivered"
            ).count()
            if done >= expected:
                break
            time.sleep(0.05)
        delivered_s = time.perf_counter() - t1
        done = Notification.objects.filter(
            event=event, channel="webhook", state="delivered"
        ).count()
        expected_ids = {
            f"msg_{pk}"
            for pk in Notification.objects.filter(event=event, channel="webhook").values_list(
                "pk", flat=True
            )
        }
        with sink.lock:
            seen = Counter(sink.ids)
        lost = len(expected_ids - set(seen))
        duplicates = sum(n - 1 for n in seen.values())
        stdout.write(
            f"delivered: {done}/{expected} in {delivered_s:.2f}s "
            f"({done / delivered_s if delivered_s else 0:.0f}/s); sink saw {sum(seen.values())} "
            f"requests, {len(seen)} distinct webhook-ids; duplicates: {duplicates}; lost: {lost}"
        )
        stdout.write(f"states: {selectors.delivery_stats()}")
        stdout.write(
            "targets on the reference machine: planned <= 2 s, delivered <= 30 s, 0 dup, 0 lost"
        )
    finally:
        if worker is not None:
            worker.stop()
        sink.close()
        connection.creation.destroy_test_db(old_name, verbosity=0)
