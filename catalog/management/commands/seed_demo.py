"""``manage.py seed_demo``: a believable demo organisation, idempotent.

- Without options: demo users (admin/admin staff, alice/alice owner of Payments and member of
  Checkout, bob/bob member of Search), a default versioning policy, 10 teams, 50 services across the
  three layers, 40 APIs, 80 versions, 200 dependencies with a few cycles. Created through the
  catalog services, so the same rules hold; running it again changes nothing.
  Then every installed app's ``<app>.demo.seed(*, stdout)`` (if it exists) adds its own demo data.
- ``--scale N``: a large deterministic catalog for benchmarks (fixed seed, bulk inserts): N
  services, N/5 teams, 1.5·N APIs, ~3·N versions, ~10·N dependencies. Skipped when a scale catalog
  already exists.
"""

from __future__ import annotations

import datetime as dt
import importlib
import importlib.util
import random
import time

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from catalog.models import Api, ApiVersion, Dependency, Membership, Service, Tag, Team
from catalog.services import catalog as services
from slas.models import VersioningPolicy

SEED = 20240601

TEAMS = [
    ("platform-infra", "Platform Infrastructure", "#platform-infra"),
    ("identity", "Identity & Access", "#identity"),
    ("payments", "Payments", "#payments"),
    ("checkout", "Checkout", "#checkout"),
    ("catalogue", "Product Catalogue", "#catalogue"),
    ("search", "Search & Discovery", "#search"),
    ("data-platform", "Data Platform", "#data-platform"),
    ("messaging", "Messaging", "#messaging"),
    ("customer-experience", "Customer Experience", "#cx"),
    ("developer-experience", "Developer Experience", "#devex"),
]

# slug, name, team, layer, tier, lifecycle, tags, description
SERVICES = [
    # base infrastructure
    (
        "kubernetes-platform",
        "Kubernetes Platform",
        "platform-infra",
        "base",
        1,
        "production",
        ["k8s", "infra"],
        "Managed Kubernetes clusters, namespaces and quotas.",
    ),
    (
        "service-mesh",
        "Service Mesh",
        "platform-infra",
        "base",
        1,
        "production",
        ["infra", "networking"],
        "mTLS, retries and traffic shaping between services.",
    ),
    (
        "object-storage",
        "Object Storage",
        "platform-infra",
        "base",
        2,
        "production",
        ["storage"],
        "S3-compatible blob storage with lifecycle rules.",
    ),
    (
        "postgres-as-a-service",
        "PostgreSQL as a Service",
        "data-platform",
        "base",
        1,
        "production",
        ["database", "storage"],
        "Provisioned PostgreSQL clusters with backups and failover.",
    ),
    (
        "kafka-platform",
        "Kafka Platform",
        "messaging",
        "base",
        1,
        "production",
        ["events", "streaming"],
        "Managed Kafka topics, schemas and ACLs.",
    ),
    (
        "secrets-vault",
        "Secrets Vault",
        "platform-infra",
        "base",
        1,
        "production",
        ["security"],
        "Secrets storage, rotation and dynamic credentials.",
    ),
    (
        "observability-stack",
        "Observability Stack",
        "platform-infra",
        "base",
        2,
        "production",
        ["observability"],
        "Metrics, logs and traces ingestion and query.",
    ),
    (
        "feature-flags",
        "Feature Flags",
        "developer-experience",
        "base",
        2,
        "production",
        ["release"],
        "Feature flag evaluation with targeting rules.",
    ),
    (
        "cdn-edge",
        "CDN Edge",
        "platform-infra",
        "base",
        2,
        "production",
        ["networking"],
        "Edge caching and TLS termination.",
    ),
    (
        "dns-service",
        "DNS Service",
        "platform-infra",
        "base",
        1,
        "production",
        ["networking"],
        "Internal and external DNS zones.",
    ),
    (
        "identity-provider",
        "Identity Provider",
        "identity",
        "base",
        1,
        "production",
        ["security", "auth"],
        "OpenID Connect provider for employees and customers.",
    ),
    (
        "ci-runners",
        "CI Runners",
        "developer-experience",
        "base",
        3,
        "production",
        ["ci"],
        "Build and test runners with caching.",
    ),
    (
        "artifact-registry",
        "Artifact Registry",
        "developer-experience",
        "base",
        2,
        "production",
        ["ci", "storage"],
        "Container images and language packages.",
    ),
    (
        "email-gateway",
        "Email Gateway",
        "messaging",
        "base",
        3,
        "production",
        ["notifications"],
        "Outbound transactional email with bounce handling.",
    ),
    (
        "legacy-ftp-bridge",
        "Legacy FTP Bridge",
        "data-platform",
        "base",
        4,
        "deprecated",
        ["legacy"],
        "File drops from partners; being replaced by the partner API.",
    ),
    # core services
    (
        "customer-accounts",
        "Customer Accounts",
        "identity",
        "core",
        1,
        "production",
        ["customers", "pii"],
        "Customer profiles, addresses and preferences.",
    ),
    (
        "authorization",
        "Authorization",
        "identity",
        "core",
        1,
        "production",
        ["security", "auth"],
        "Policy decisions: who may do what on which resource.",
    ),
    (
        "payments-gateway",
        "Payments Gateway",
        "payments",
        "core",
        1,
        "production",
        ["payments", "pci"],
        "Card and wallet payments through several acquirers.",
    ),
    (
        "ledger",
        "Ledger",
        "payments",
        "core",
        1,
        "production",
        ["payments", "finance"],
        "Double-entry ledger of every money movement.",
    ),
    (
        "refunds",
        "Refunds",
        "payments",
        "core",
        2,
        "production",
        ["payments"],
        "Refunds and chargebacks.",
    ),
    (
        "fraud-scoring",
        "Fraud Scoring",
        "payments",
        "core",
        1,
        "production",
        ["payments", "ml"],
        "Real-time fraud risk scores for orders and payments.",
    ),
    (
        "orders",
        "Orders",
        "checkout",
        "core",
        1,
        "production",
        ["orders"],
        "Order lifecycle from cart to delivery.",
    ),
    (
        "cart",
        "Cart",
        "checkout",
        "core",
        2,
        "production",
        ["orders"],
        "Shopping carts and saved lists.",
    ),
    (
        "pricing",
        "Pricing",
        "catalogue",
        "core",
        1,
        "production",
        ["catalogue", "pricing"],
        "Prices, discounts and tax-inclusive totals.",
    ),
    (
        "inventory",
        "Inventory",
        "catalogue",
        "core",
        1,
        "production",
        ["catalogue", "logistics"],
        "Stock levels and reservations per warehouse.",
    ),
    (
        "product-catalogue",
        "Product Catalogue",
        "catalogue",
        "core",
        1,
        "production",
        ["catalogue"],
        "Products, variants, media and attributes.",
    ),
    (
        "shipping",
        "Shipping",
        "checkout",
        "core",
        2,
        "production",
        ["logistics"],
        "Carrier selection, labels and tracking.",
    ),
    (
        "search-index",
        "Search Index",
        "search",
        "core",
        2,
        "production",
        ["search"],
        "Indexing pipeline and query serving.",
    ),
    (
        "recommendations",
        "Recommendations",
        "search",
        "core",
        3,
        "experimental",
        ["ml", "search"],
        "Personalised product recommendations.",
    ),
    (
        "notifications-hub",
        "Notifications Hub",
        "messaging",
        "core",
        2,
        "production",
        ["notifications"],
        "Email, SMS and push with user preferences.",
    ),
    (
        "event-bus",
        "Event Bus",
        "messaging",
        "core",
        1,
        "production",
        ["events"],
        "Domain events with schemas and replay.",
    ),
    (
        "data-warehouse",
        "Data Warehouse",
        "data-platform",
        "core",
        2,
        "production",
        ["analytics"],
        "Curated tables for analytics and reporting.",
    ),
    (
        "consent-management",
        "Consent Management",
        "identity",
        "core",
        2,
        "production",
        ["privacy", "pii"],
        "Marketing and tracking consent per customer.",
    ),
    (
        "loyalty",
        "Loyalty",
        "customer-experience",
        "core",
        3,
        "production",
        ["customers"],
        "Points, tiers and rewards.",
    ),
    (
        "invoicing",
        "Invoicing",
        "payments",
        "core",
        2,
        "production",
        ["finance"],
        "Invoices and credit notes for B2B customers.",
    ),
    # enabling capabilities
    (
        "web-storefront",
        "Web Storefront",
        "customer-experience",
        "enabling",
        1,
        "production",
        ["frontend"],
        "The customer-facing web shop.",
    ),
    (
        "mobile-bff",
        "Mobile BFF",
        "customer-experience",
        "enabling",
        1,
        "production",
        ["frontend", "mobile"],
        "Backend for the iOS and Android apps.",
    ),
    (
        "partner-api",
        "Partner API",
        "developer-experience",
        "enabling",
        2,
        "production",
        ["partners"],
        "Public API for marketplace partners.",
    ),
    (
        "support-console",
        "Support Console",
        "customer-experience",
        "enabling",
        2,
        "production",
        ["support"],
        "Tools for the customer support team.",
    ),
    (
        "merchant-portal",
        "Merchant Portal",
        "catalogue",
        "enabling",
        2,
        "production",
        ["partners", "frontend"],
        "Self-service for marketplace merchants.",
    ),
    (
        "analytics-dashboards",
        "Analytics Dashboards",
        "data-platform",
        "enabling",
        3,
        "production",
        ["analytics"],
        "Business dashboards on the warehouse.",
    ),
    (
        "developer-portal",
        "Developer Portal",
        "developer-experience",
        "enabling",
        3,
        "production",
        ["docs"],
        "Documentation and API keys for partners.",
    ),
    (
        "checkout-experience",
        "Checkout Experience",
        "checkout",
        "enabling",
        1,
        "production",
        ["frontend", "orders"],
        "The checkout flow across web and apps.",
    ),
    (
        "returns-portal",
        "Returns Portal",
        "checkout",
        "enabling",
        3,
        "production",
        ["logistics"],
        "Self-service returns for customers.",
    ),
    (
        "marketing-automation",
        "Marketing Automation",
        "customer-experience",
        "enabling",
        3,
        "production",
        ["marketing"],
        "Campaigns and segments.",
    ),
    (
        "finance-reporting",
        "Finance Reporting",
        "payments",
        "enabling",
        2,
        "production",
        ["finance", "analytics"],
        "Month-end close and regulatory reports.",
    ),
    (
        "search-experience",
        "Search Experience",
        "search",
        "enabling",
        2,
        "production",
        ["search", "frontend"],
        "Search results pages and autocomplete.",
    ),
    (
        "admin-backoffice",
        "Admin Backoffice",
        "developer-experience",
        "enabling",
        3,
        "production",
        ["support"],
        "Internal back-office tools.",
    ),
    (
        "voice-assistant",
        "Voice Assistant",
        "customer-experience",
        "enabling",
        4,
        "experimental",
        ["experimental"],
        "Shopping through voice assistants.",
    ),
    (
        "old-mobile-api",
        "Old Mobile API",
        "customer-experience",
        "enabling",
        4,
        "retired",
        ["legacy", "mobile"],
        "The pre-2022 mobile backend, retired.",
    ),
]

ONBOARDING = """## Getting started with {name}

1. Ask in **{channel}** for access.
2. Read the [documentation]({docs}) and the runbook.
3. Declare your dependency in the portal so that we can warn you about changes.

> Rate limits: 100 requests per second per consumer unless agreed otherwise.
"""

API_TYPES = ["openapi", "openapi", "openapi", "grpc", "event", "graphql", "asyncapi"]

# Extra edges that make the graph cyclic (consumer slug, provider slug).
CYCLES = [
    ("ledger", "refunds"),  # refunds → ledger and ledger → refunds
    ("refunds", "ledger"),
    ("orders", "shipping"),
    ("shipping", "orders"),
    ("authorization", "customer-accounts"),
    ("customer-accounts", "authorization"),
    ("search-index", "recommendations"),
    ("recommendations", "search-index"),
]


class Command(BaseCommand):
    help = "Load a believable demo organisation (idempotent); --scale N builds a large catalog."

    def add_arguments(self, parser):
        parser.add_argument(
            "--scale", type=int, default=0, help="Build a large catalog of N services instead."
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args, **options):
        if options["scale"]:
            seed_scale(n=options["scale"], batch_size=options["batch_size"], stdout=self.stdout)
            return
        seed_demo(stdout=self.stdout)
        self.stdout.write(
            self.style.SUCCESS(
                "Demo ready. Log in as admin/admin (staff) or alice/alice (owner of Payments)."
            )
        )


# --- the demo organisation ----------------------------------------------------------------


def _user(username: str, *, staff: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"email": f"{username}@example.com", "is_staff": staff, "is_superuser": staff},
    )
    if created:
        user.set_password(username)
        user.save()
    return user


@transaction.atomic
def seed_demo(*, stdout=None) -> dict[str, int]:
    """Create (or complete) the demo organisation. Returns the number of rows created per kind."""
    rng = random.Random(SEED)
    created = {"teams": 0, "services": 0, "apis": 0, "versions": 0, "dependencies": 0}
    admin = _user("admin", staff=True)
    alice = _user("alice")
    bob = _user("bob")
    if not VersioningPolicy.objects.filter(is_default=True).exists():
        VersioningPolicy.objects.get_or_create(
            name="Standard", defaults={"is_default": True, "description": "The default policy."}
        )
    VersioningPolicy.objects.get_or_create(
        name="Public APIs",
        defaults={
            "description": "Longer notice for partner and public APIs.",
            "min_notice_days_beta": 120,
            "min_notice_days_stable": 365,
            "max_supported_majors": 3,
        },
    )

    teams: dict[str, Team] = {}
    for slug, name, channel in TEAMS:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            team = services.team_create(
                slug=slug,
                name=name,
                description=f"The {name} team.",
                email=f"{slug}@example.com",
                chat_channel=channel,
            )
            created["teams"] += 1
        teams[slug] = team
    memberships = [
        ("payments", alice, "owner"),
        ("checkout", alice, "member"),
        ("search", bob, "member"),
        ("platform-infra", admin, "owner"),
    ]
    for slug, user, role in memberships:
        if not Membership.objects.filter(team=teams[slug], user=user).exists():
            services.team_member_set(team=teams[slug], user=user, role=role)

    svc: dict[str, Service] = {}
    for slug, name, team, layer, tier, lifecycle, tags, description in SERVICES:
        service = Service.objects.filter(slug=slug).first()
        if service is None:
            channel = next(t[2] for t in TEAMS if t[0] == team)
            docs = f"https://docs.example.com/{slug}"
            service = services.service_create(
                slug=slug,
                name=name,
                owner=teams[team],
                description=description,
                layer=layer,
                tier=tier,
                lifecycle=lifecycle,
                tags=tags,
                repository_url=f"https://git.example.com/{team}/{slug}",
                documentation_url=docs,
                runbook_url=f"https://runbooks.example.com/{slug}",
                onboarding_notes=ONBOARDING.format(name=name, channel=channel, docs=docs),
            )
            created["services"] += 1
        svc[slug] = service

    # 40 APIs: the first 40 services that are not retired provide one API each; 2 versions each.
    providers = [s for s in SERVICES if s[5] != "retired"][:40]
    public_policy = VersioningPolicy.objects.get(name="Public APIs")
    versions: dict[str, list[ApiVersion]] = {}
    for index, (slug, name, *_rest) in enumerate(providers):
        api_slug = f"{slug}-api"
        api = Api.objects.filter(slug=api_slug).first()
        if api is None:
            api_type = API_TYPES[index % len(API_TYPES)]
            audience = "partner" if slug in {"partner-api", "payments-gateway"} else "internal"
            api = services.api_create(
                slug=api_slug,
                name=f"{name} API",
                provider=svc[slug],
                type=api_type,
                audience=audience,
                description=f"The {api_type} interface of {name}.",
                policy=public_policy if audience == "partner" else None,
            )
            created["apis"] += 1
        plan = [("1.0.0", "stable", "deprecated"), ("2.0.0", "stable", "active")]
        if index % 5 == 0:
            plan = [("1.4.0", "stable", "active"), ("2.0.0-beta.1", "beta", "active")]
        versions[slug] = []
        for number, (version, stability, status) in enumerate(plan):
            existing = ApiVersion.objects.filter(api=api, version=version).first()
            if existing is None:
                existing = services.api_version_create(
                    api=api,
                    version=version,
                    stability=stability,
                    status=status,
                    released_on=dt.date(2023, 1, 15) + dt.timedelta(days=300 * number + index),
                    changelog=f"{'Initial release' if number == 0 else 'Second major'} of {name}.",
                )
                created["versions"] += 1
            versions[slug].append(existing)

    # 200 dependencies: consumers use APIs of their own layer or lower ones.
    rank = {"base": 0, "core": 1, "enabling": 2}
    layer_of = {s[0]: s[3] for s in SERVICES}
    edges: list[tuple[str, str, int]] = [(c, p, 1) for c, p in CYCLES]
    consumers = [s[0] for s in SERVICES if s[5] != "retired"]
    candidates = list(versions)
    attempts = 0
    wanted = 200
    chosen = {(c, p) for c, p, _ in edges}
    while len(chosen) < wanted and attempts < 20000:
        attempts += 1
        consumer = rng.choice(consumers)
        provider = rng.choice(candidates)
        if provider == consumer or (consumer, provider) in chosen:
            continue
        if rank[layer_of[provider]] > rank[layer_of[consumer]]:
            continue
        chosen.add((consumer, provider))
        edges.append((consumer, provider, rng.choice([0, 1, 1])))
    for consumer, provider, which in edges:
        version = versions[provider][which]
        if Dependency.objects.filter(consumer=svc[consumer], api_version=version).exists():
            continue
        requested = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(0, 500))
        live = requested + dt.timedelta(days=rng.randrange(3, 90)) if rng.random() < 0.85 else None
        services.dependency_create(
            consumer=svc[consumer],
            api_version=version,
            purpose=f"{svc[consumer].name} uses {version.api.name}.",
            requested_at=requested,
            live_at=live,
        )
        created["dependencies"] += 1

    for app_config in apps.get_app_configs():
        module = f"{app_config.name}.demo"
        if app_config.name.startswith("django") or importlib.util.find_spec(module) is None:
            continue
        seed = getattr(importlib.import_module(module), "seed", None)
        if seed is not None:
            seed(stdout=stdout)

    if stdout is not None:
        stdout.write(
            "Catalog: "
            + ", ".join(f"{n} {k} created" for k, n in created.items())
            + f" (now {Service.objects.count()} services, {Dependency.objects.count()} dependencies)."
        )
    return created


# --- the scale catalog ---------------------------------------------------------------------

NOUNS = [
    "account",
    "address",
    "basket",
    "billing",
    "booking",
    "campaign",
    "carrier",
    "catalog",
    "checkout",
    "claim",
    "coupon",
    "credit",
    "customer",
    "delivery",
    "device",
    "document",
    "event",
    "export",
    "feed",
    "fulfilment",
    "gift",
    "identity",
    "import",
    "inventory",
    "invoice",
    "ledger",
    "listing",
    "loyalty",
    "media",
    "merchant",
    "message",
    "order",
    "partner",
    "payment",
    "payout",
    "pricing",
    "profile",
    "promotion",
    "quote",
    "rating",
    "refund",
    "report",
    "return",
    "review",
    "risk",
    "route",
    "schedule",
    "search",
    "session",
    "settlement",
    "shipment",
    "sku",
    "stock",
    "subscription",
    "supplier",
    "tax",
    "ticket",
    "token",
    "voucher",
    "warehouse",
]
QUALIFIERS = [
    "core",
    "edge",
    "sync",
    "batch",
    "stream",
    "query",
    "command",
    "gateway",
    "store",
    "engine",
    "adapter",
    "registry",
    "scheduler",
    "indexer",
    "resolver",
    "router",
    "cache",
    "tracker",
    "validator",
    "worker",
]
SCALE_TAGS = [
    "pci",
    "pii",
    "gdpr",
    "ml",
    "frontend",
    "mobile",
    "batch",
    "streaming",
    "legacy",
    "critical",
    "public",
    "partner",
    "internal",
    "finance",
    "logistics",
    "search",
    "security",
    "analytics",
    "experimental",
    "golden-path",
]


def _zipf_cumulative(n: int, s: float = 0.9) -> list[float]:
    total = 0.0
    out = []
    for i in range(1, n + 1):
        total += 1.0 / (i**s)
        out.append(total)
    return out


def seed_scale(*, n: int, batch_size: int = 5000, stdout=None) -> dict[str, int]:
    """Bulk-insert a deterministic catalog of ``n`` services (slugs ``scale-…``).

    Skipped when scale services already exist (the same seed always builds the same catalog).
    """
    write = stdout.write if stdout is not None else (lambda *_: None)
    if Service.objects.filter(slug__startswith="scale-svc-").exists():
        write("A scale catalog already exists; nothing to do.")
        return {}
    started = time.perf_counter()
    rng = random.Random(SEED + n)
    n_teams = max(1, n // 5)
    counts: dict[str, int] = {}

    with transaction.atomic():
        teams = Team.objects.bulk_create(
            [
                Team(
                    slug=f"scale-team-{i:05d}",
                    name=f"{NOUNS[i % len(NOUNS)].title()} Team {i}",
                    email=f"team{i}@example.com",
                    chat_channel=f"#team-{i}",
                )
                for i in range(n_teams)
            ],
            batch_size=batch_size,
        )
        counts["teams"] = len(teams)
        tags = {t.slug: t for t in Tag.objects.filter(slug__in=SCALE_TAGS)}
        missing = [Tag(slug=s) for s in SCALE_TAGS if s not in tags]
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        tags = {t.slug: t for t in Tag.objects.filter(slug__in=SCALE_TAGS)}

        layers = ["base"] * 2 + ["core"] * 5 + ["enabling"] * 3
        lifecycles = ["production"] * 8 + ["experimental", "deprecated"]
        service_rows = []
        for i in range(n):
            noun = NOUNS[rng.randrange(len(NOUNS))]
            qual = QUALIFIERS[rng.randrange(len(QUALIFIERS))]
            other = NOUNS[rng.randrange(len(NOUNS))]
            service_rows.append(
                Service(
                    slug=f"scale-svc-{i:05d}",
                    name=f"{noun.title()} {qual.title()} {i}",
                    description=f"Handles {noun} {qual} work for the {other} domain.",
                    owner_id=teams[rng.randrange(n_teams)].pk,
                    layer=layers[rng.randrange(len(layers))],
                    tier=rng.randrange(1, 5),
                    lifecycle=lifecycles[rng.randrange(len(lifecycles))],
                    repository_url=f"https://git.example.com/scale/{i}",
                )
            )
        service_objs = Service.objects.bulk_create(service_rows, batch_size=batch_size)
        counts["services"] = len(service_objs)
        through = Service.tags.through
        tag_list = list(tags.values())
        links = []
        for s in service_objs:
            for tag in rng.sample(tag_list, 2):
                links.append(through(service_id=s.pk, tag_id=tag.pk))
        through.objects.bulk_create(links, batch_size=batch_size)

        rank = {"base": 0, "core": 1, "enabling": 2}
        # Providers: base and core services provide most APIs.
        provider_pool = [s for s in service_objs if s.layer != "enabling"] or service_objs
        api_rows = []
        for i in range(n * 3 // 2):
            provider = (
                provider_pool[rng.randrange(len(provider_pool))]
                if rng.random() < 0.85
                else service_objs[rng.randrange(len(service_objs))]
            )
            api_rows.append(
                Api(
                    slug=f"scale-api-{i:05d}",
                    name=f"{provider.name} API {i}",
                    provider_id=provider.pk,
                    type=API_TYPES[i % len(API_TYPES)],
                    description=f"Interface {i} of {provider.name}.",
                )
            )
        api_objs = Api.objects.bulk_create(api_rows, batch_size=batch_size)
        counts["apis"] = len(api_objs)

        version_rows = []
        for api in api_objs:
            k = rng.choice([1, 2, 2, 3])
            for major in range(1, k + 1):
                latest = major == k
                version_rows.append(
                    ApiVersion(
                        api_id=api.pk,
                        version=f"{major}.0.0",
                        major=major,
                        stability="stable",
                        status="active" if latest or major == k - 1 else "deprecated",
                        released_on=dt.date(2020, 1, 1) + dt.timedelta(days=200 * major),
                    )
                )
        version_objs = ApiVersion.objects.bulk_create(version_rows, batch_size=batch_size)
        counts["versions"] = len(version_objs)

        # Dependencies: ~10 per service, popular APIs (Zipf) of the same or lower layer.
        by_api: dict[int, list[ApiVersion]] = {}
        for v in version_objs:
            by_api.setdefault(v.api_id, []).append(v)
        provider_of = {a.pk: a.provider_id for a in api_objs}
        layer_of = {s.pk: s.layer for s in service_objs}
        popularity = list(api_objs)
        rng.shuffle(popularity)
        cumulative = _zipf_cumulative(len(popularity))
        dep_rows = []
        seen: set[tuple[int, int]] = set()
        for consumer in service_objs:
            want = rng.randrange(5, 16)
            tries = 0
            while want and tries < 60:
                tries += 1
                api = rng.choices(popularity, cum_weights=cumulative)[0]
                provider_id = provider_of[api.pk]
                if provider_id == consumer.pk:
                    continue
                if rank[layer_of[provider_id]] > rank[consumer.layer] and rng.random() > 0.05:
                    continue
                versions = by_api[api.pk]
                version = versions[-1] if rng.random() < 0.7 else rng.choice(versions)
                if (consumer.pk, version.pk) in seen:
                    continue
                seen.add((consumer.pk, version.pk))
                requested = dt.date(2023, 1, 1) + dt.timedelta(days=rng.randrange(0, 700))
                dep_rows.append(
                    Dependency(
                        consumer_id=consumer.pk,
                        api_version_id=version.pk,
                        provider_id=provider_id,
                        requested_at=requested,
                        live_at=requested + dt.timedelta(days=rng.randrange(1, 60)),
                    )
                )
                want -= 1
        Dependency.objects.bulk_create(dep_rows, batch_size=batch_size)
        counts["dependencies"] = len(dep_rows)

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # VACUUM sets the visibility map (index-only scans); it cannot run in a transaction.
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
    elapsed = time.perf_counter() - started
    write(
        "Scale catalog: "
        + ", ".join(f"{v} {k}" for k, v in counts.items())
        + f" in {elapsed:.1f} s."
    )
    return counts
