"""Exactly one active revision per subject, also under concurrent writers (PostgreSQL only:
SQLite serialises writers for the whole database, so it cannot show the race)."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction

from portal.api.exceptions import DomainError
from slas import services
from slas.models import Sla

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _needs_postgres():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL)")


def run_concurrently(*calls) -> list[str]:
    """Run each call in its own thread (its own connection), released together."""
    barrier = threading.Barrier(len(calls))
    results: list[str] = []
    lock = threading.Lock()

    def worker(call):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            call()
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.kind
        except IntegrityError:
            outcome = "integrity"
        except Exception as exc:  # pragma: no cover - reported in the assertion
            outcome = repr(exc)
        finally:
            thread_connection.close()
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=worker, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return sorted(results)


def test_two_concurrent_revisions_leave_exactly_one_active(service, make_sla):
    sla = make_sla(service=service)

    def revise(target):
        def call():
            stale = Sla.objects.get(pk=sla.pk)  # both writers start from revision 1
            services.sla_revise(sla=stale, fields={"availability_target": Decimal(target)})

        return call

    results = run_concurrently(revise("99.5"), revise("99.95"))
    # The subject row lock serialises them; the later one finds revision 1 superseded.
    assert results == ["conflict", "ok"]
    rows = list(Sla.objects.filter(service=service).order_by("revision"))
    assert [(r.revision, r.is_active) for r in rows] == [(1, False), (2, True)]


def test_two_concurrent_creates_leave_exactly_one(service, make_sla):
    def create():
        make_sla(service=service)

    results = run_concurrently(create, create)
    assert results == ["conflict", "ok"]
    assert Sla.objects.filter(service=service, is_active=True).count() == 1


def test_database_constraint_is_the_backstop_without_the_lock(service, make_sla):
    make_sla(service=service)

    def insert_active():
        with transaction.atomic():
            Sla.objects.filter(service=service, is_active=True).update(is_active=False)
            last = Sla.objects.filter(service=service).order_by("-revision").first()
            Sla.objects.create(
                service=service, availability_target=Decimal("99"), revision=last.revision + 1
            )

    results = run_concurrently(insert_active, insert_active)
    assert "ok" in results
    assert Sla.objects.filter(service=service, is_active=True).count() == 1
