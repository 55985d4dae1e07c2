"""Development settings: the embedded SQLite database and debug pages."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("SHOUKONG_DEBUG", True)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
