"""Settings of the REST API, OFREP and API security (imported by base.py, which adds
API_APPS to INSTALLED_APPS and API_MIDDLEWARE at the end of MIDDLEWARE)."""

API_APPS: list[str] = []
API_MIDDLEWARE: list[str] = []
