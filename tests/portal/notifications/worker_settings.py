"""Settings of the real Celery worker started by test_worker.py (and the bench).

Same database as the test process (DATABASE_URL points at the pytest-django test database),
Redis from REDIS_URL, tasks NOT eager, a sweeper every second and short leases so a killed
worker's rows are picked up quickly. The receiver on 127.0.0.1 is allow-listed.
"""

import os

from portal.settings.test import *  # noqa: F403

CELERY_BROKER_URL = os.environ["REDIS_URL"]
CELERY_TASK_ALWAYS_EAGER = False
CELERY_BEAT_SCHEDULE = {
    "notifications-sweep": {"task": "notifications.sweep", "schedule": 1.0},
}
PORTAL_NOTIFICATION_LEASE_SECONDS = float(os.environ.get("PORTAL_NOTIFICATION_LEASE_SECONDS", "3"))
PORTAL_NOTIFICATION_BATCH_SIZE = int(os.environ.get("PORTAL_NOTIFICATION_BATCH_SIZE", "10"))
PORTAL_NOTIFICATION_BACKOFF_BASE_SECONDS = 1
PORTAL_WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
}
