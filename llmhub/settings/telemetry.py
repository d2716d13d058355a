"""Settings of telemetry: logging fields, buffering, Celery beat, metrics (imported by base.py)."""
