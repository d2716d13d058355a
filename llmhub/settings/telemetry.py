"""Settings of telemetry (imported by base.py, which adds TELEMETRY_APPS to INSTALLED_APPS and
puts TELEMETRY_MIDDLEWARE first in MIDDLEWARE).

Logging (JSON lines) and the Celery beat schedule live here too, so each is defined in one place.
"""

import sys
from datetime import timedelta

from celery.schedules import crontab

from llmhub.settings.env import env_bool, env_int, env_list, env_str

TELEMETRY_APPS: list[str] = []
TELEMETRY_MIDDLEWARE: list[str] = ["telemetry.middleware.TelemetryMiddleware"]

# Raw events older than this are pruned daily; summaries are kept.
TELEMETRY_RETENTION_DAYS = env_int("TELEMETRY_RETENTION_DAYS", 30)
# A closed bucket is aggregated once it ended this long ago: long enough for any ingestion
# transaction that stamped `received_at` before the cutoff to have committed.
TELEMETRY_AGGREGATION_DELAY_SECONDS = env_int("TELEMETRY_AGGREGATION_DELAY_SECONDS", 15)
TELEMETRY_AGGREGATION_WORK_MEM = env_str("TELEMETRY_AGGREGATION_WORK_MEM", "64MB")
# A backlog is aggregated in chunks of this many raw events (by received_at), each committed
# with the fill state; a run starts no new chunk after this many seconds, so it ends well
# inside the task's 50 s soft limit (one chunk of one bucket size: 3-8 s on 2 busy cores).
TELEMETRY_AGGREGATION_CHUNK_EVENTS = env_int("TELEMETRY_AGGREGATION_CHUNK_EVENTS", 200_000)
TELEMETRY_AGGREGATION_RUN_SECONDS = float(env_str("TELEMETRY_AGGREGATION_RUN_SECONDS", "20"))
# Browser batches: at most this many events and bytes; events older than this are refused.
TELEMETRY_MAX_BATCH_EVENTS = 500
TELEMETRY_MAX_BATCH_BYTES = env_int("TELEMETRY_MAX_BATCH_BYTES", 1_048_576)
TELEMETRY_MAX_EVENT_AGE_HOURS = env_int("TELEMETRY_MAX_EVENT_AGE_HOURS", 72)
# High-volume events (api_call timings) and flag evaluation counts are written in bulk by a
# background thread of each web process. Off under pytest, where tests flush explicitly
# (a thread writing behind a test's back makes tests flaky).
TELEMETRY_BACKGROUND_FLUSH = env_bool("TELEMETRY_BACKGROUND_FLUSH", "pytest" not in sys.modules)
TELEMETRY_FLUSH_SECONDS = float(env_str("TELEMETRY_FLUSH_SECONDS", "1.0"))
TELEMETRY_FLUSH_EVENTS = env_int("TELEMETRY_FLUSH_EVENTS", 300)
# The process buffer's hard bound, the batch being written included: past it the cheapest
# events (api_call first) are dropped and counted (telemetry.buffer).
TELEMETRY_BUFFER_MAX_EVENTS = env_int("TELEMETRY_BUFFER_MAX_EVENTS", 20_000)
TELEMETRY_BUFFER_MAX_BYTES = env_int("TELEMETRY_BUFFER_MAX_BYTES", 16 * 1024 * 1024)
TELEMETRY_FLAG_FLUSH_SECONDS = float(env_str("TELEMETRY_FLAG_FLUSH_SECONDS", "5.0"))
# Enqueueing a task from a request waits at most this long for the broker.
TELEMETRY_ENQUEUE_TIMEOUT_SECONDS = float(env_str("TELEMETRY_ENQUEUE_TIMEOUT_SECONDS", "0.5"))

# Rollout plans (issue 14): a plan is decided at most this often (beat runs the tick every
# ROLLOUT_DECIDE_SECONDS, 60); the system test shortens both.
ROLLOUT_DECISION_SECONDS = env_int("ROLLOUT_DECISION_SECONDS", 55)

# Who may read /metrics besides staff: exact client addresses (REMOTE_ADDR, so behind a reverse
# proxy on this host do not list 127.0.0.1 unless the proxy itself keeps /metrics private).
METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS")

# The whole beat schedule of the project, in one place.
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "telemetry-aggregate-closed-buckets": {
        "task": "telemetry.aggregate_closed_buckets",
        # Every minute; the system test shortens it to see beat drive a run within seconds.
        "schedule": timedelta(seconds=env_int("TELEMETRY_AGGREGATE_SECONDS", 60)),
        "options": {"expires": 55},
    },
    "notifications-send-due-deliveries": {
        # Webhook attempts that are due and that no queued message carries any more.
        "task": "notifications.send_due_deliveries",
        "schedule": timedelta(seconds=env_int("NOTIFICATIONS_SWEEP_SECONDS", 60)),
        "options": {"expires": 55},
    },
    "rollout-decide-plans": {
        "task": "rollout.decide_plans",
        # Every minute (issue 14); the system test shortens it. A run finding nothing due is
        # a no-op, so a doubled beat never decides twice (rollout.services).
        "schedule": timedelta(seconds=env_int("ROLLOUT_DECIDE_SECONDS", 60)),
        "options": {"expires": 55},
    },
    "telemetry-prune-events": {
        "task": "telemetry.prune_events",
        # At a fixed time of day, not "every 24 h": an interval restarts with every beat restart
        # (a redeploy), so a beat recreated more often than daily would never prune.
        "schedule": crontab(hour=3, minute=17),
        "options": {"expires": 3600},
    },
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "telemetry.log.RequestIdFilter"}},
    "formatters": {
        "json": {
            "()": "telemetry.log.SafeJsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
