"""Settings of the REST API, OFREP and API security (imported by base.py)."""
