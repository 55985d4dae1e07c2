"""Production settings: PostgreSQL from DATABASE_URL, secure cookies, a real secret."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_int

DEBUG = False
SECRET_KEY = os.environ.get("SHOUKONG_SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SHOUKONG_SECRET_KEY must be set in production.")

SESSION_COOKIE_SECURE = env_bool("SHOUKONG_SECURE_COOKIES", True)
CSRF_COOKIE_SECURE = env_bool("SHOUKONG_SECURE_COOKIES", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SHOUKONG_HSTS_SECONDS", 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "SAMEORIGIN"

# Search: WAGTAILSEARCH_BACKENDS comes from SHOUKONG_SEARCH_BACKEND / _URL / ... in
# base.py; SHOUKONG_ELASTICSEARCH_URL (and _PREFIX), read there as fallbacks,
# still select Elasticsearch on their own.
