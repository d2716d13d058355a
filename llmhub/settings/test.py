"""Test settings: fast hashing, eager Celery unless a test asks for a real worker.

The database and cache come from `DATABASE_URL` / `REDIS_URL` like everywhere else, so CI runs
the same suite against PostgreSQL and Redis.
"""

from llmhub.settings.base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": ":memory:"}  # noqa: F405
# Tests declare their own flags; the environment's FEATURE_* must not leak into them.
FLAGS_DECLARED = {}
# Tests flush telemetry explicitly; a writer thread behind a test's back makes tests flaky.
TELEMETRY_BACKGROUND_FLUSH = False
# Rows a test case writes live in its transaction, which the flag store's thread cannot see.
FLAGS_BACKGROUND_REFRESH = False
