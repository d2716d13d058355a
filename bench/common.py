"""Pieces the gunicorn benchmarks share: the servers' environment and their database."""

from __future__ import annotations

import os

# Throttling stays on (its cost is measured) with its limits out of reach.
HIGH_RATE = "100000000/min"


def server_environment(database_url: str, redis_url: str, **extra: str) -> dict[str, str]:
    """The environment of a benchmarked gunicorn: production-like, DEBUG off, limits high."""
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="llmhub.settings.local",
        DJANGO_DEBUG="false",  # DEBUG would record every query
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        **extra,
    )
    for scope in ("TOKEN", "USER", "ADDRESS"):
        for kind in ("READ", "WRITE"):
            env[f"API_RATE_{scope}_{kind}"] = HIGH_RATE
    return env


def ensure_database(database_url: str, *, fresh: bool) -> None:
    """Create the benchmark's PostgreSQL database (dropping it first when `fresh`)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    admin = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists is None:
            conn.execute(f'CREATE DATABASE "{name}"')
