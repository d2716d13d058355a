"""The Celery application: Redis as broker in production, tasks run eagerly in-process on the
embedded default (no broker configured). The beat schedule is CELERY_BEAT_SCHEDULE in
llmhub/settings/telemetry.py.

    celery -A llmhub worker -l INFO        # runs tasks
    celery -A llmhub beat -l INFO          # enqueues the schedule (exactly one beat process)
"""

import os

from celery import Celery
from celery.signals import worker_process_shutdown

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmhub.settings.local")

app = Celery("llmhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_shutdown.connect
def _flush_telemetry(**kwargs: object) -> None:
    """Pool processes leave through os._exit, which skips atexit: flush buffered telemetry."""
    from telemetry.buffer import process_buffer

    process_buffer.flush_all()
