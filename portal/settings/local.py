"""Local development: SQLite, in-process tasks, e-mail to the console."""

from .base import *  # noqa: F403
from .base import env, env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env("DJANGO_SECRET_KEY", "insecure-local-development-key-change-me")

WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
