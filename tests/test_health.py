"""Liveness and readiness checks."""

from __future__ import annotations

import pytest
from django.test import Client

from flags.tests.support.services import private_redis


def test_healthz__public_and_ok(client: Client) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@pytest.mark.django_db
def test_readyz__checks_database_cache_broker_with_timings(client: Client) -> None:
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "cache", "broker"}
    assert all(check["ok"] and check["ms"] >= 0 for check in body["checks"].values())


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz__cache_down__503_naming_it(client: Client, settings) -> None:
    with private_redis() as (process, url):
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "OPTIONS": {"socket_connect_timeout": 0.2},
            }
        }
        assert client.get("/readyz").status_code == 200
        process.kill()
        process.wait()
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"]["ok"] is False
    assert response.json()["checks"]["database"]["ok"] is True


@pytest.mark.redis
@pytest.mark.django_db
def test_readyz__broker_down__503_within_seconds(client: Client, settings) -> None:
    import time

    from llmhub.celery import app

    with private_redis() as (process, url):
        process.kill()
        process.wait()
        settings.CELERY_TASK_ALWAYS_EAGER = False
        previous = app.conf.broker_url
        app.conf.broker_url = url
        try:
            started = time.monotonic()
            response = client.get("/readyz")
            elapsed = time.monotonic() - started
        finally:
            app.conf.broker_url = previous
    assert response.status_code == 503
    assert response.json()["checks"]["broker"]["ok"] is False
    assert elapsed < 5
