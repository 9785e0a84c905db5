"""Platform-health dashboard: render time and query count of each page on a large catalog.

``manage.py bench dashboard [--scale 10000] [--repeat 10]`` builds the ``seed_demo --scale``
catalog if it is missing (~10 dependencies per service), adds ratings and roadmap items once, then
renders each dashboard page (portal-wide, the busiest team, the most consumed API, the roadmap,
the rows behind a number and the metrics API) through the full Django stack and prints p50 / p95
/ max in ms and the number of SQL queries. Target: ≤ 300 ms on PostgreSQL.
"""

from __future__ import annotations

import os
import random
import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client

from catalog.models import Api, Dependency, Service, Team
from portal.benchutil import measure
from portal.health.models import Feedback, FeedbackRevision, RoadmapItem


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=int, default=10000, help="services in the catalog")
    parser.add_argument("--repeat", type=int, default=10)


def _health_data(stdout) -> None:
    """Ratings from consumer teams (one per team/API, two revisions) and a 60-item roadmap."""
    if not Feedback.objects.exists():
        pairs = list(
            Dependency.objects.values_list("consumer__owner_id", "api_version__api_id")
            .distinct()
            .order_by("consumer__owner_id", "api_version__api_id")[:20000]
        )
        rng = random.Random(7)
        rows = [
            Feedback(consumer_team_id=t, api_id=a, rating=rng.randint(1, 5)) for t, a in pairs[::4]
        ]
        Feedback.objects.bulk_create(rows, batch_size=5000)
        revisions = [
            FeedbackRevision(feedback=f, rating=r)
            for f in Feedback.objects.all()
            for r in (rng.randint(1, 5), f.rating)
        ]
        FeedbackRevision.objects.bulk_create(revisions, batch_size=5000)
        stdout.write(f"added {len(rows)} ratings, {len(revisions)} revisions")
    if not RoadmapItem.objects.exists():
        rng = random.Random(11)
        teams = list(Team.objects.order_by("pk").values_list("pk", flat=True)[:30])
        items = []
        for i in range(60):
            layer = ["base", "core", "enabling"][i % 3]
            quarter = f"{2025 + (i // 24)}-Q{(i // 6) % 4 + 1}"
            items.append(
                RoadmapItem.objects.create(
                    title=f"Capability {i}", layer=layer, target_quarter=quarter,
                    team_id=teams[i % len(teams)] if teams else None,
                )
            )  # fmt: skip
        for i, item in enumerate(items):
            earlier = [x for x in items[:i] if x.target_quarter <= item.target_quarter]
            if earlier:
                item.depends_on.set(rng.sample(earlier, min(2, len(earlier))))
        stdout.write("added 60 roadmap items")


def run(*, stdout, options) -> None:
    scale = options["scale"]
    if not Service.objects.filter(slug__startswith="scale-svc-").exists():
        stdout.write(f"building the seed_demo --scale {scale} catalog…")
        call_command("seed_demo", scale=scale, stdout=stdout)
    _health_data(stdout)
    stdout.write(
        f"database: {connection.vendor}; services {Service.objects.count()}, "
        f"APIs {Api.objects.count()}, dependencies {Dependency.objects.count()}, "
        f"ratings {Feedback.objects.count()}, roadmap items {RoadmapItem.objects.count()}"
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-dashboard", defaults={"is_staff": True}
    )
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    team = Team.objects.annotate(n=Count("services__dependents")).order_by("-n", "pk").first()
    api = Api.objects.annotate(n=Count("versions__dependencies")).order_by("-n", "pk").first()
    pages = [("portal-wide", "/health/")]
    if team:
        pages.append((f"team {team.slug}", f"/health/teams/{team.slug}/"))
    if api:
        pages.append((f"API {api.slug}", f"/health/apis/{api.slug}/"))
    pages += [
        ("roadmap (selected)", "/health/roadmap/?selected="
         + str(RoadmapItem.objects.order_by("pk").values_list("pk", flat=True).first())),
        ("rows: live integrations", "/health/rows/integrations/?state=live"),
        ("API /api/v1/metrics/", "/api/v1/metrics/"),
    ]  # fmt: skip
    stdout.write(f"load average before: {_load()}")
    stdout.write(
        f"{'page':<34} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8} {'cpu ms':>8}"
    )
    cpu = _cpu_clock()
    for label, path in pages:

        def get(path=path):
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        queries: list[str] = []

        def count(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            get()
        spent = []

        def timed(get=get, spent=spent):
            before = cpu()
            get()
            spent.append(cpu() - before)

        result = measure(timed, repeat=options["repeat"], warmup=1)
        cpu_ms = statistics.median(spent[1:]) if len(spent) > 1 else float("nan")
        stdout.write(
            f"{label[:34]:<34} {result['p50']:8.1f} {result['p95']:8.1f} {result['max']:8.1f} "
            f"{len(queries):8d} {cpu_ms:8.0f}"
        )
    stdout.write(f"load average after: {_load()}")
    stdout.write(
        "cpu ms: median CPU time per render — with PostgreSQL on this machine, the whole machine's "
        "(this process and every backend, incl. the portal-wide pages' second connection; 10 ms "
        "ticks; other load adds to it); else this process's. queries: on this thread's connection "
        "(the portal-wide pages run one more on a second connection)."
    )


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg()) + f" ({os.cpu_count()} CPUs)"
    except OSError:
        return "n/a"


def _cpu_clock():
    """A clock of the CPU time spent by this process and (if readable) its database backends.

    Without PostgreSQL on this machine, this process's CPU time. With it, the whole machine's
    busy time (``/proc/stat``): the portal-wide pages run a second connection, whose backend
    lives only as long as its statement, so it cannot be read per process. On a quiet machine
    that is what a render costs; other load adds to it (the load average says how much)."""
    local = False
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            local = os.path.exists(f"/proc/{cursor.fetchone()[0]}/stat")
    tick = os.sysconf("SC_CLK_TCK")

    def clock() -> float:
        if not local:
            return time.process_time() * 1000
        with open("/proc/stat") as f:
            user, nice, system, *_ = (int(x) for x in f.readline().split()[1:])
        return (user + nice + system) * 1000 / tick

    return clock
