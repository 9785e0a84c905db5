"""Production: PostgreSQL, Redis, secrets only from the environment."""

from .base import *  # noqa: F403
from .base import DATABASES, env, env_bool

SECRET_KEY = env("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    raise RuntimeError("DJANGO_SECRET_KEY must be set in production")
DEBUG = False
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = int(env("DJANGO_SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Persistent database connections (one per gunicorn thread), checked before reuse so a restarted
# PostgreSQL costs one reconnect, not a failed request. SQLite keeps CONN_MAX_AGE 0 (base.py).
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = int(env("DATABASE_CONN_MAX_AGE", "600"))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Seconds clients are told to wait (Retry-After) when the database is unavailable.
PORTAL_RETRY_AFTER_SECONDS = int(env("PORTAL_RETRY_AFTER_SECONDS", "5"))

# The API answers JSON only in production: no browsable-API renderer (its negotiation and HTML
# template are never wanted by API clients, and it costs every request a renderer check).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,  # noqa: F405
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
