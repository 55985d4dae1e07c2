"""Test settings: fast hashing, throw-away media, the embedded search backend."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = "test-only-secret-key"
# PBKDF2 takes most of a test's time; MD5 is fine for throw-away users.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="shoukong-test-media-"))
SHOUKONG_RECORDS_ROOT = Path(tempfile.mkdtemp(prefix="shoukong-test-records-"))
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ALLOWED_HOSTS = ["*"]
WAGTAILADMIN_BASE_URL = "http://testserver"

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not the in-memory default: concurrent writers in tests then meet
    # SQLite's real locking (WAL + busy timeout) instead of shared-cache errors.
    import os

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(
            tempfile.gettempdir(), f"shoukong-test-{os.getpid()}.sqlite3"
        )
    }

# Tests use the embedded search engine whatever the environment says (the
# Elasticsearch/OpenSearch settings are tested with override_settings).
SHOUKONG_SEARCH_ENGINE = "database"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
