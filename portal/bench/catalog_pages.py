"""Catalog pages: render time and query count of each HTML page on a large catalog.

``manage.py bench catalog_pages [--scale 10000] [--repeat 20]`` builds the ``seed_demo --scale``
catalog if it is missing, then renders through the full Django stack (middleware, session, templates,
the SVG graph): the catalog home (page 1, a search, facets with filters, a deep page, the htmx
partial), the service page of the most consumed service and of the one that consumes the most, its
team page, the most consumed API version's page and the layered view. Prints p50 / p95 / max in ms
and the number of SQL queries per page.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client

from catalog.models import Api, Dependency, Service
from catalog.selectors.catalog import most_consumed_api_version
from portal.benchutil import measure


def add_arguments(parser) -> None:
    parser.add_argument("--scale", type=int, default=10000, help="services in the catalog")
    parser.add_argument("--repeat", type=int, default=20)


def _busiest(field: str) -> Service:
    row = Dependency.objects.values(field).annotate(n=Count("id")).order_by("-n", field).first()
    return Service.objects.select_related("owner").get(pk=row[field])


def run(*, stdout, options) -> None:
    scale = options["scale"]
    if not Service.objects.filter(slug__startswith="scale-svc-").exists():
        stdout.write(f"building the seed_demo --scale {scale} catalog…")
        call_command("seed_demo", scale=scale, stdout=stdout)
    stdout.write(
        f"database: {connection.vendor}; services {Service.objects.count()}, "
        f"APIs {Api.objects.count()}, dependencies {Dependency.objects.count()}"
    )
    user, _ = get_user_model().objects.get_or_create(
        username="bench-pages", defaults={"email": "bench-pages@example.com"}
    )
    client = Client(HTTP_HOST="127.0.0.1")  # an allowed host of every settings module
    client.force_login(user)

    provider = _busiest("provider_id")
    consumer = _busiest("consumer_id")
    version = most_consumed_api_version()
    word = provider.name.split()[0].lower()
    pages = [
        ("catalog home, page 1", "/catalog/", {}),
        (f"search '{word}'", "/catalog/", {"search": word}),
        ("layer=core & tier=1,2", "/catalog/", {"layer": "core", "tier": ["1", "2"]}),
        ("deep page 200", "/catalog/", {"page": "200"}),
        ("htmx partial (search)", "/catalog/", {"search": word, "_htmx": True}),
        (
            f"service: most consumed ({provider.slug})",
            f"/catalog/services/{provider.slug}/",
            {},
        ),
        (
            f"service: most dependencies ({consumer.slug})",
            f"/catalog/services/{consumer.slug}/",
            {},
        ),
        (f"team ({provider.owner.slug})", f"/catalog/teams/{provider.owner.slug}/", {}),
        (f"API version ({version})", f"/catalog/api-versions/{version.pk}/", {}),
        (
            f"impact partial: most consumed service ({provider.slug})",
            f"/catalog/services/{provider.slug}/impact/",
            {"_htmx": True},
        ),
        (
            "impact partial: most consumed API version",
            f"/catalog/api-versions/{version.pk}/impact/",
            {"_htmx": True},
        ),
        ("layers", "/catalog/layers/", {}),
    ]
    stdout.write(f"{'page':<55} {'p50':>8} {'p95':>8} {'max':>8} {'queries':>8}")
    for label, url, params in pages:
        params = dict(params)
        headers = {"HTTP_HX_REQUEST": "true"} if params.pop("_htmx", False) else {}

        def get(url=url, params=params, headers=headers):
            response = client.get(url, params, **headers)
            assert response.status_code == 200, (url, response.status_code)
            return response

        executed: list[str] = []

        def count(execute, sql, params, many, context, executed=executed):
            executed.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            get()
        stats = measure(get, repeat=options["repeat"])
        stdout.write(
            f"{label[:55]:<55} {stats['p50']:>7.1f}  {stats['p95']:>7.1f}  {stats['max']:>7.1f}"
            f"  {len(executed):>7}"
        )
