"""Announce a deprecation to 10,000 consumer services across 2,000 teams; time each step.

``manage.py bench deprecations [--teams 2000 --services 10000]`` builds a throwaway database
(never the configured one) and times, through the real services: the announce (guards, version
status, one ConsumerMigration + audit row per consumer, impact analysis, the ChangeEvent and one
notification per team and channel, commit; delivery is left to ``bench notifications``), a daily
reminder run, the migration board and the gateway headers. Prints numbers; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
import time

from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from portal.benchutil import build_consumers


def add_arguments(parser) -> None:
    parser.add_argument("--teams", type=int, default=2000)
    parser.add_argument("--services", type=int, default=10_000)


def _build(*, teams: int, services: int):
    from django.contrib.auth import get_user_model

    from catalog.models import Api, ApiVersion, Membership, Service, Team

    owner = get_user_model().objects.create_user("bench-owner")
    provider_team = Team.objects.create(slug="bench-provider", name="Bench provider")
    Membership.objects.create(team=provider_team, user=owner, role=Membership.Role.OWNER)
    provider = Service.objects.create(slug="bench-orders", name="Orders", owner=provider_team)
    api = Api.objects.create(slug="bench-orders-api", name="Orders API", provider=provider)
    v1 = ApiVersion.objects.create(api=api, version="1.0.0", major=1)
    v2 = ApiVersion.objects.create(api=api, version="2.0.0", major=2)
    build_consumers(teams=teams, services=services, api_version=v1, provider=provider)
    return owner, v1, v2


def _timed(label: str, fn, stdout):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        result = fn()
        elapsed = time.perf_counter() - start
    stdout.write(f"{label}: {elapsed:.3f}s, {len(queries)} queries")
    return result


def run(*, stdout, options) -> None:
    from catalog.models import ConsumerMigration
    from catalog.selectors import deprecations as sel
    from catalog.services import deprecations as svc
    from portal.notifications import services as notifications
    from portal.notifications.models import Notification

    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        tmpdir = tempfile.mkdtemp(prefix="deprecation-bench-")
        db.setdefault("TEST", {})["NAME"] = os.path.join(tmpdir, "bench.sqlite3")
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    real_dispatch = getattr(notifications, "dispatch", None)
    enqueued = {"n": 0}

    def deferred_dispatch(**kwargs):
        enqueued["n"] += 1
        return 0

    try:
        start = time.perf_counter()
        owner, v1, v2 = _build(teams=options["teams"], services=options["services"])
        stdout.write(
            f"database: {connection.vendor} (throwaway); built {options['services']} consumer "
            f"services across {options['teams']} teams in {time.perf_counter() - start:.1f}s"
        )
        today = dt.date.today()
        draft = svc.deprecation_create(
            actor=owner,
            api_version=v1,
            reason="Orders v2 has idempotency keys.",
            replacement_version=v2,
            migration_guide_url="https://docs.example.com/orders/v2",
            sunset_date=today + dt.timedelta(days=200),
        )
        draft.get_absolute_url()  # load the URL resolver outside the clock
        if real_dispatch is not None:
            notifications.dispatch = deferred_dispatch
        try:
            deprecation = _timed(
                "announce (plan: guards, migrations + audit, impact, event, notifications, commit)",
                lambda: svc.deprecation_announce(deprecation=draft, actor=owner, today=today),
                stdout,
            )
            migrations = ConsumerMigration.objects.filter(deprecation=deprecation).count()
            notices = Notification.objects.filter(event__kind="deprecation_announced").count()
            stdout.write(
                f"  {migrations} migrations opened, {notices} notifications planned, "
                f"{enqueued['n']} delivery dispatch(es) scheduled after commit (0: inbox only)"
            )
            _timed(
                "daily clock on a reminder day (90 days before sunset)",
                lambda: svc.deprecations_daily(
                    today=deprecation.sunset_date - dt.timedelta(days=90)
                ),
                stdout,
            )
        finally:
            if real_dispatch is not None:
                notifications.dispatch = real_dispatch
        _timed(
            "migration board (7 columns, 200 cards each)",
            lambda: sel.migration_board(deprecation=deprecation),
            stdout,
        )
        _timed("lifecycle headers", lambda: sel.lifecycle_headers(api_version=v1), stdout)
        _timed(
            "deprecations affecting one team",
            lambda: list(
                sel.deprecations_affecting_team(team=deprecation.migrations.first().consumer.owner)
            ),
            stdout,
        )
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
