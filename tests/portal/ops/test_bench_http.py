"""``manage.py bench http``: refuses an empty catalog clearly; its loaders count what they see."""

from __future__ import annotations

import shutil

import pytest
from django.core.management import CommandError, call_command

from portal.bench import http as bench_http


@pytest.mark.django_db
def test_bench_http_refuses_an_empty_catalog_and_says_how_to_seed_it():
    with pytest.raises(CommandError, match=r"seed_demo --scale"):
        call_command("bench", "http", "--duration", "1")


@pytest.mark.django_db
def test_bench_http_read_only_needs_an_existing_token(team):
    from tests.catalog.factories import ServiceFactory

    ServiceFactory(owner=team)
    with pytest.raises(CommandError, match="--read-only needs an existing API token"):
        call_command("bench", "http", "--read-only", "--duration", "1")


def _loaders():
    yield bench_http._python_load
    if shutil.which("wrk"):
        yield bench_http._wrk


def test_the_loaders_measure_a_real_server(gunicorn_server):
    _proc, base = gunicorn_server
    for load in _loaders():
        result = load(
            url=f"{base}/healthz", headers={}, concurrency=2, duration=1, max_requests=200
        )
        assert result.requests > 0, load
        assert result.errors == 0, load
        assert 0 < result.p50 <= result.p99, load
    capped = bench_http._python_load(
        url=f"{base}/healthz", headers={}, concurrency=2, duration=30, max_requests=20
    )
    assert capped.requests == 20  # bounded in count as well as in time
    errors = bench_http._python_load(
        url=f"{base}/api/v1/services/", headers={}, concurrency=1, duration=5, max_requests=5
    )
    assert errors.errors == 5  # anonymous: refused, counted as errors
