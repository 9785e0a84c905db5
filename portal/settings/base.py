"""Settings shared by every environment. Configuration comes from the environment."""

import os
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


SECRET_KEY = env("DJANGO_SECRET_KEY", "")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "portal",
    "portal.notifications",
    "portal.health",
    "catalog",
    "slas",
]

MIDDLEWARE = [
    # First, so a database outage anywhere below answers 503 (problem JSON or a page), never a 500.
    "portal.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.portal",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(env("DATABASE_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Catalog queries are short OLTP queries; PostgreSQL's JIT compiles the recursive impact
    # query (its row estimates are huge) and adds 50-100 ms for nothing. Override with PGOPTIONS.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("options", env("PG_OPTIONS", "-c jit=off"))
    # Faults: a dead or unreachable server fails fast instead of hanging a worker, and no
    # statement runs for ever (0 turns it off, e.g. for long migrations). See docs/operations.md.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", int(env("DATABASE_CONNECT_TIMEOUT", "5"))
    )
    _pg_options = DATABASES["default"]["OPTIONS"]["options"]
    _statement_timeout_ms = int(env("DATABASE_STATEMENT_TIMEOUT_MS", "30000"))
    if _statement_timeout_ms > 0 and "statement_timeout" not in _pg_options:
        _pg_options += f" -c statement_timeout={_statement_timeout_ms}"
        DATABASES["default"]["OPTIONS"]["options"] = _pg_options

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Uploads: specs and catalog archives have their own limits in the services.
DATA_UPLOAD_MAX_MEMORY_SIZE = int(env("DATA_UPLOAD_MAX_MEMORY_SIZE", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = DATA_UPLOAD_MAX_MEMORY_SIZE
PORTAL_SPEC_MAX_BYTES = int(env("PORTAL_SPEC_MAX_BYTES", str(5 * 1024 * 1024)))

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.NamespaceVersioning",
    "DEFAULT_VERSION": "v1",
    "ALLOWED_VERSIONS": ["v1"],
    # Token first: DRF takes the 401 challenge (WWW-Authenticate) from the first class, so a
    # caller without valid credentials gets 401, not 403 (portal/api/authentication.py).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "portal.api.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "portal.api.parsers.StrictJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "portal.api.pagination.DefaultPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exceptions.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Platform Portal API",
    "DESCRIPTION": (
        "Service catalog, SLAs, versioning policies, deprecations and breaking-change detection. "
        "Everything in v1 changes additively only."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "ServiceTierEnum": "catalog.models.Service.Tier",
        "ApiVersionStatusEnum": "catalog.models.ApiVersion.Status",
        "RoadmapItemStatusEnum": "portal.health.models.RoadmapItem.Status",
    },
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    # 401 (and 403 where a signed-in caller can be refused) on every authenticated operation.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "portal.api.schema.document_auth_refusals",
    ],
    # Swagger UI is served from our own static files: no CDN at run time.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery ---------------------------------------------------------------------------------
REDIS_URL = env("REDIS_URL")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
# Tasks' hard time limits stay well below the broker's visibility timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_TIME_LIMIT = 300
CELERY_TASK_SOFT_TIME_LIMIT = 240
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
# Each area adds its periodic tasks here.
CELERY_BEAT_SCHEDULE: dict = {}
# notifications: the sweeper re-dispatches pending/stuck deliveries; digests go out hourly (teams
# pick their hour). Delivery tunables (leases stay far below the visibility timeout above).
CELERY_BEAT_SCHEDULE["notifications-sweep"] = {"task": "notifications.sweep", "schedule": 60.0}
CELERY_BEAT_SCHEDULE["notifications-digests"] = {
    "task": "notifications.send_digests",
    "schedule": 3600.0,
}
# health: prompt consumer teams to rate integrations a week after they went live (daily).
CELERY_BEAT_SCHEDULE["health-feedback-prompts"] = {
    "task": "health.send_feedback_prompts",
    "schedule": 86400.0,
}
# deprecations: the daily clock (reminders at the policy's offsets, sunset blocked/ready). It is
# idempotent (dedupe keys per day and offset), so it runs hourly and a missed run catches up.
CELERY_BEAT_SCHEDULE["catalog-deprecations-daily"] = {
    "task": "catalog.deprecations_daily",
    "schedule": 3600.0,
}
# slas: the compliance window rolls daily; refresh attained/budget/breached of active SLAs hourly.
CELERY_BEAT_SCHEDULE["slas-compliance-refresh"] = {
    "task": "slas.compliance_refresh",
    "schedule": 3600.0,
}
PORTAL_NOTIFICATION_MAX_ATTEMPTS = int(env("PORTAL_NOTIFICATION_MAX_ATTEMPTS", "8"))
PORTAL_NOTIFICATION_LEASE_SECONDS = int(env("PORTAL_NOTIFICATION_LEASE_SECONDS", "120"))
PORTAL_NOTIFICATION_BATCH_SIZE = int(env("PORTAL_NOTIFICATION_BATCH_SIZE", "100"))
PORTAL_WEBHOOK_TIMEOUT_SECONDS = float(env("PORTAL_WEBHOOK_TIMEOUT_SECONDS", "5"))
# The portal-wide dashboard's velocity/adoption statement runs in this many partitions of the
# provider teams, concurrently, each but the first on a connection of its own (PostgreSQL; 1 = one
# statement on the request's connection). See docs/health.md.
HEALTH_METRICS_PARTITIONS = int(env("HEALTH_METRICS_PARTITIONS", "2"))

# --- E-mail ----------------------------------------------------------------------------------
EMAIL_BACKEND = env("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Platform Portal <portal@localhost>")

# --- Portal ----------------------------------------------------------------------------------
PORTAL_BASE_URL = env("PORTAL_BASE_URL", "http://127.0.0.1:8000")
# The recipients of notifications are teams; the notifications app refers to them by this name only.
PORTAL_NOTIFICATION_RECIPIENT_MODEL = "catalog.Team"
# Hosts an admin allows outbound webhooks to reach even though they resolve to non-global addresses.
PORTAL_WEBHOOK_ALLOWED_HOSTS = env_list("PORTAL_WEBHOOK_ALLOWED_HOSTS")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
}
