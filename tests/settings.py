"""Test settings: PostgreSQL and Redis on loopback, fast hashing, eager Celery."""

import os

os.environ.setdefault("DATABASE_URL", "postgres://root@127.0.0.1:5432/smsportal")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# Not the development key: the workers and beat the tests start (DEBUG off, in the
# environment this sets for them) refuse that one, as production does.
os.environ.setdefault(
    "SECRET_KEY", "test-suite-secret-key-not-for-production-0123456789"
)

from smsportal.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
DEBUG = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# The failed-token throttle counts per address for 15 minutes in a cache no test
# clears: the suite's few deliberate bad tokens must not lock 127.0.0.1 out of the
# tests after them (tests/accounts/test_api_token_throttle.py sets its own limit).
SMSPORTAL_API_TOKEN_ATTEMPTS = 1000
