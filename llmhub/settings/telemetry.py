"""Settings of telemetry (imported by base.py, which adds TELEMETRY_APPS to INSTALLED_APPS and
puts TELEMETRY_MIDDLEWARE first in MIDDLEWARE)."""

TELEMETRY_APPS: list[str] = []
TELEMETRY_MIDDLEWARE: list[str] = []
