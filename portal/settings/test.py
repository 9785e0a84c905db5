"""Tests: SQLite in memory unless DATABASE_URL is set; eager Celery unless REDIS_URL is set."""

from .base import *  # noqa: F403
from .base import DATABASES

SECRET_KEY = "test-secret-key-not-for-production"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["*"]
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Tasks run in-process in tests; the delivery tests that need a real worker start one themselves
# against REDIS_URL (see tests/portal/notifications/) and switch this off.
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
