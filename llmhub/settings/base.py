"""Settings shared by every environment, driven by environment variables.

With nothing set the project runs on its embedded default: SQLite, a local-memory cache and
Celery tasks run eagerly in-process.
"""

import dj_database_url

# Each area keeps its settings in its own module. They define API_APPS, API_MIDDLEWARE,
# TELEMETRY_APPS, TELEMETRY_MIDDLEWARE (and their own settings), which this module assembles.
from llmhub.settings.api import *  # noqa: F403
from llmhub.settings.cache import *  # noqa: F403
from llmhub.settings.env import BASE_DIR, env_bool, env_int, env_list, env_str
from llmhub.settings.sso import *  # noqa: F403
from llmhub.settings.telemetry import *  # noqa: F403

SECRET_KEY = env_str("DJANGO_SECRET_KEY", "dev-insecure-key-only-for-local-use")
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "flags",
    "telemetry",
    "rollout",
    "llmhub.hub",
    "llmhub.ops",
    "notifications",
    *API_APPS,  # noqa: F405
    *TELEMETRY_APPS,  # noqa: F405
]

MIDDLEWARE = [
    # First, so it times and records everything below it.
    *TELEMETRY_MIDDLEWARE,  # noqa: F405
    "django.middleware.security.SecurityMiddleware",
    # CORS for the API and OFREP paths only (CORS_URLS_REGEX, llmhub/settings/api.py): answers
    # preflights itself, so it stands above everything that could answer first.
    "llmhub.cors.ConfiguredCorsMiddleware",
    # Serves collected static files from gunicorn, compressed and with far-future caching.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The database unreachable in a view: 503 + Retry-After (answers before telemetry would).
    "llmhub.outage.DatabaseOutageMiddleware",
    *API_MIDDLEWARE,  # noqa: F405
]

# The warm flag evaluation (flags.api.fastpath.EvaluationLane, in llmhub/wsgi.py) passes through
# these first middleware only: what every response needs. They must stay MIDDLEWARE's head.
EVALUATION_LANE_MIDDLEWARE = [
    *TELEMETRY_MIDDLEWARE,  # noqa: F405
    "django.middleware.security.SecurityMiddleware",
    # A browser front end on another origin reads the lane's answers as it reads Django's.
    "llmhub.cors.ConfiguredCorsMiddleware",
]

ROOT_URLCONF = "llmhub.urls"
WSGI_APPLICATION = "llmhub.wsgi.application"

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
                # `sso_enabled`: the login page offers the company sign-in.
                "llmhub.sso.context.sso",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # IMMEDIATE: a transaction takes the write lock when it starts, so two writers serialize
    # instead of both reading the same version (SQLite has no SELECT ... FOR UPDATE).
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
# PostgreSQL's statement_timeout for this process, in milliseconds (0: none). bin/web sets it
# for the web processes (WEB_STATEMENT_TIMEOUT_MS, default 5000), so a slow or locked database
# holds a request a bounded time, answered 503 with Retry-After; the worker and manage.py run
# long aggregations and migrations and set none.
DATABASE_STATEMENT_TIMEOUT_MS = env_int("DATABASE_STATEMENT_TIMEOUT_MS", 0)
if DATABASE_STATEMENT_TIMEOUT_MS > 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
    DATABASES["default"].setdefault("OPTIONS", {})["options"] = (
        f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL, REDIS_SENTINELS and CACHES (django-redis) come from llmhub/settings/cache.py.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", REDIS_URL or "memory://")  # noqa: F405
CELERY_RESULT_BACKEND = None
# No broker configured means the embedded default: run tasks in-process.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER",
    not (REDIS_URL or env_str("CELERY_BROKER_URL")),  # noqa: F405
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_TIMEOUT = 2.0
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
# CELERY_BEAT_SCHEDULE (the whole schedule) and LOGGING are defined in llmhub/settings/telemetry.py.

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    # Company sign-in (OpenID Connect) when OIDC_ISSUER is set: llmhub/settings/sso.py.
    *SSO_AUTHENTICATION_BACKENDS,  # noqa: F405
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
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
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# Flags: how often a process asks whether its in-memory snapshot is stale. A committed change is
# seen by every process within this interval (plus one round trip).
FLAGS_REVISION_CHECK_SECONDS = float(env_str("FLAGS_REVISION_CHECK_SECONDS", "0.5"))
# Where it asks: the shared cache, or (without one: a local-memory cache is per process) the
# database, one aggregate query per interval. See flags/store.py.
FLAGS_REVISION_SOURCE = env_str("FLAGS_REVISION_SOURCE", "cache" if REDIS_URL else "database")  # noqa: F405
if FLAGS_REVISION_SOURCE not in ("cache", "database"):
    raise ValueError(f"FLAGS_REVISION_SOURCE must be cache or database: {FLAGS_REVISION_SOURCE!r}")
# Who runs those checks once a snapshot is loaded: a background thread per process (a request
# never waits for Redis or the database), or the request that finds a check due.
FLAGS_BACKGROUND_REFRESH = env_bool("FLAGS_BACKGROUND_REFRESH", True)
# How long a process trusts a user's group names for `group:<name>` whitelist entries (see
# flags/user_groups.py): a membership changed elsewhere is seen within this many seconds.
FLAGS_GROUPS_CACHE_SECONDS = float(env_str("FLAGS_GROUPS_CACHE_SECONDS", "30"))


def _declared_flags() -> dict[str, dict[str, object]]:
    """Flags declared through the environment: created when missing, never overwritten.

    `FEATURE_UNIFIED_LLM_HUB`, `FEATURE_LLM_HUB_ROLLOUT` and `FEATURE_LLM_HUB_WHITELIST` shape
    the hub's flag; any other `FEATURE_<NAME>=true|false` declares a plain on/off flag `<name>`.
    """
    import os

    hub_keys = {"FEATURE_UNIFIED_LLM_HUB", "FEATURE_LLM_HUB_ROLLOUT", "FEATURE_LLM_HUB_WHITELIST"}
    declared: dict[str, dict[str, object]] = {}
    # Declared only when the environment says something about it: an unset environment must
    # not create the hub's flag (switched off) ahead of the demo data or an admin.
    if hub_keys & set(os.environ):
        declared["unified_llm_hub"] = {
            "description": "Serve the unified LLM management hub instead of the four old pages.",
            "enabled": env_bool("FEATURE_UNIFIED_LLM_HUB", False),
            "rollout_percentage": env_int("FEATURE_LLM_HUB_ROLLOUT", 0),
            "whitelist_users": env_list("FEATURE_LLM_HUB_WHITELIST"),
            "tags": ["hub"],
        }
    for key in sorted(os.environ):
        if key.startswith("FEATURE_") and key not in hub_keys:
            declared[key.removeprefix("FEATURE_").lower()] = {"enabled": env_bool(key)}
    return declared


FLAGS_DECLARED = _declared_flags()

# Fernet keys that encrypt provider API keys at rest, newest first (comma-separated; the first
# encrypts, all decrypt, so keys can be rotated). Empty: a development key derived from SECRET_KEY
# (production.py refuses to start without the setting).
PROVIDER_KEY_ENCRYPTION_KEYS = env_list("PROVIDER_KEY_ENCRYPTION_KEYS")

# Outgoing webhooks (notifications): each attempt waits at most this long for the receiver;
# a failed attempt is retried after BACKOFF, 2 x BACKOFF, 4 x BACKOFF ... seconds, and the
# delivery is given up (status "failed") after MAX_ATTEMPTS attempts in all.
NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS = float(env_str("NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS", "5"))
NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS = env_int("NOTIFICATIONS_WEBHOOK_MAX_ATTEMPTS", 6)
NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS = float(
    env_str("NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS", "10")
)
