# LLM Hub: one image for web (gunicorn), worker and beat. The same bin/ scripts run here as in
# `make serve` and the system test (tests/system), which proves them on PostgreSQL and Redis.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=llmhub.settings.production \
    BIND=0.0.0.0:8000 \
    WEB_CONCURRENCY=2 \
    PROMETHEUS_MULTIPROC_DIR=/tmp/llmhub-metrics \
    CELERY_BEAT_SCHEDULE_FILE=/tmp/celerybeat-schedule

WORKDIR /app
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=app:app . .
# Static files are collected at build time; placeholder secrets exist only for this step.
RUN DJANGO_SECRET_KEY=build-only DJANGO_ALLOWED_HOSTS=build \
    PROVIDER_KEY_ENCRYPTION_KEYS=YnVpbGQtb25seS1wbGFjZWhvbGRlci1rZXktMzJieXQ= \
    python manage.py collectstatic --noinput -v0

# The beat schedule's volume mount point, writable by the app user.
RUN mkdir -p /var/lib/llmhub-beat && chown app:app /var/lib/llmhub-beat
USER app
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["bin/healthcheck"]
CMD ["bin/web"]
