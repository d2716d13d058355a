"""The Celery application. On the embedded default tasks run eagerly in-process."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmhub.settings.local")

app = Celery("llmhub")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
