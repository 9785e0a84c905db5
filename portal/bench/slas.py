"""SLA registry: budget maths, measurement pushes, the SLA list (API and admin) and the panel.

``manage.py bench slas [--slas 500] [--days 365] [--repeat 20]`` creates the missing SLAs (one per
service, creating services when the catalog is smaller) with ``--days`` of daily measurements for
the first 50, then prints p50 / p95 / max in ms and SQL query counts for: the pure compliance
computation over a year of days, a 30-day measurement push through the API, the SLA list API
(50 rows), the admin changelist (50 rows) and a service page with its SLA panel.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Service, Team
from portal.benchutil import measure
from slas import budget, services
from slas.models import Measurement, Sla


def add_arguments(parser) -> None:
    parser.add_argument("--slas", type=int, default=500)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=20)


def _seed(*, count: int, days: int, stdout) -> None:
    team = Team.objects.order_by("pk").first() or Team.objects.create(slug="bench", name="Bench")
    have = Sla.objects.filter(is_active=True, service__isnull=False).count()
    missing = max(count - have, 0)
    if missing:
        free = list(Service.objects.filter(slas__isnull=True).order_by("pk")[:missing])
        for i in range(missing - len(free)):
            free.append(
                Service.objects.create(slug=f"bench-sla-{have + i}", name=f"Bench {i}", owner=team)
            )
        for service in free:
            services.sla_create(
                service=service,
                fields={"availability_target": Decimal("99.9"), "tier": "high"},
                severity_targets=[{"severity": "P1", "response_minutes": 15}],
                escalation_levels=[
                    {"delay_minutes": 0, "contact_kind": "oncall", "contact_handle": "@bench"},
                    {
                        "delay_minutes": 30,
                        "contact_kind": "email",
                        "contact_email": "b@example.com",
                    },
                ],
            )
        stdout.write(f"created {missing} SLAs")
    today = timezone.localdate()
    for sla in Sla.objects.filter(is_active=True, service__isnull=False).order_by("pk")[:50]:
        if Measurement.objects.filter(service_id=sla.service_id).count() >= days:
            continue
        services.measurement_push(
            sla=sla,
            rows=[
                {
                    "day": today - timedelta(days=i),
                    "good": 999_000 + (i % 7) * 100,
                    "total": 1_000_000,
                }
                for i in range(min(days, services.MAX_MEASUREMENTS_PER_PUSH))
            ],
        )


def _line(stdout, name: str, stats: dict, queries: int | None = None) -> None:
    extra = "" if queries is None else f"  queries={queries}"
    stdout.write(
        f"{name:<34} p50={stats['p50']:8.2f} ms  p95={stats['p95']:8.2f} ms  max={stats['max']:8.2f} ms{extra}"
    )


def run(*, stdout, options) -> None:
    repeat = options["repeat"]
    _seed(count=options["slas"], days=options["days"], stdout=stdout)
    stdout.write(
        f"database: {connection.vendor}; active SLAs: {Sla.objects.filter(is_active=True).count()}"
    )

    today = timezone.localdate()
    year = [
        budget.DayCount(day=today - timedelta(days=i), good=999_000, total=1_000_000)
        for i in range(options["days"])
    ]
    stats = measure(
        lambda: budget.compliance(target=Decimal("99.9"), days=year, today=today, window_days=365),
        repeat=repeat * 10,
    )
    _line(stdout, f"budget.compliance ({len(year)} days)", stats)

    user = get_user_model().objects.filter(is_staff=True).first()
    if user is None:
        user = get_user_model().objects.create_user("bench-admin", is_staff=True, is_superuser=True)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    sla = Sla.objects.filter(is_active=True, service__isnull=False).order_by("pk").first()
    rows = [
        {"day": (today - timedelta(days=i)).isoformat(), "good": 999_500, "total": 1_000_000}
        for i in range(30)
    ]

    def push():
        response = client.post(
            f"/api/v1/slas/{sla.pk}/measurements/", rows, content_type="application/json"
        )
        assert response.status_code == 200, response.status_code

    for name, fn in [
        ("POST measurements (30 days)", push),
        ("GET /api/v1/slas/ (50 rows)", lambda: client.get("/api/v1/slas/")),
        ("admin SLA changelist", lambda: client.get("/admin/slas/sla/")),
        (
            "service page with SLA panel",
            lambda: client.get(f"/catalog/services/{sla.service.slug}/"),
        ),
        ("GET compliance", lambda: client.get(f"/api/v1/slas/{sla.pk}/compliance/")),
    ]:
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries = len(ctx)
        _line(stdout, name, measure(fn, repeat=repeat), queries)
