"""The system test: real gunicorn (2 workers), a Celery worker and beat, started with the same
bin/ scripts as the Docker image and `make serve`, against PostgreSQL and a private Redis, and
driven over HTTP only.
"""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from flags.tests.support.services import database_url, free_port, private_redis
from notifications.signing import verify
from notifications.tests.receiver import webhook_receiver
from tests.system.processes import (
    Deployment,
    Http,
    assert_every_worker_sees_the_change,
    production_env,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
FLAG = "system_flag"
PASSWORD = "system-test-password"


def _database(name: str, create: bool) -> None:
    with psycopg.connect(database_url("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("system")
    db_name = f"llmhub_system_{uuid.uuid4().hex[:8]}"
    _database(db_name, create=True)
    port = free_port()
    with private_redis() as (redis_process, redis_url):
        env = _environment(db_name, redis_url, port, logs)
        system = Deployment(env=env, base_url=f"http://127.0.0.1:{port}", logs=logs)
        system.manage("migrate", "--noinput", "-v0")
        system.manage(
            "createsuperuser",
            "--noinput",
            "--username",
            "sysadmin",
            "--email",
            "sysadmin@example.com",
        )
        system.token = (
            system.manage(
                "tokens",
                "create",
                "--user",
                "sysadmin",
                "--scope",
                "write",
                "--label",
                "system-test",
            )
            .strip()
            .splitlines()[-1]
        )
        system.redis = redis_process
        try:
            for name in ("web", "worker", "beat"):
                system.start(name, name)
            system.wait_healthy()
            yield system
        finally:
            system.stop_all()
    _database(db_name, create=False)


def _environment(db_name: str, redis_url: str, port: int, logs: Path) -> dict[str, str]:
    base = redis_url.rsplit("/", 1)[0]
    return production_env(
        port=port,
        logs=logs,
        database_url=database_url(db_name),
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        REDIS_URL=f"{base}/0",
        CELERY_BROKER_URL=f"{base}/1",
        CELERY_BEAT_SCHEDULE_FILE=str(logs / "beat-schedule"),
        TELEMETRY_AGGREGATE_SECONDS="3",
        TELEMETRY_AGGREGATION_DELAY_SECONDS="1",
        NOTIFICATIONS_WEBHOOK_BACKOFF_SECONDS="1",
    )


def test_flag__created_with_a_token_and_evaluated(deployment: Deployment) -> None:
    api = Http(deployment.base_url, deployment.token)
    status, body = api.request(
        "POST", "/api/v1/features/", {"name": FLAG, "enabled": True, "rollout_percentage": 100}
    )
    assert status == 201, body
    status, body = api.request("GET", f"/api/v1/features/{FLAG}?user_id=alice")
    assert (status, body["enabled"], body["reason"]) == (200, True, "FULL_ROLLOUT")


def test_telemetry__posted_then_aggregated_by_beat_and_worker(deployment: Deployment) -> None:
    api = Http(deployment.base_url, deployment.token)
    moment = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "page_view",
            "occurred_at": moment,
            "page": "llm-hub",
            "tab": "keys",
            "cohort": "new_hub",
        }
        for _ in range(25)
    ]
    status, body = api.request("POST", "/api/v1/telemetry/events", {"events": events})
    assert (status, body["stored"]) == (202, 25), body
    staff = api  # the token's user is a superuser: the dashboard's JSON answers it
    deadline = time.monotonic() + 60
    views = 0
    while time.monotonic() < deadline and views < 25:
        status, data = staff.request("GET", "/telemetry/data.json?days=1")
        assert status == 200, data
        views = sum(data["cohorts"]["new_hub"]["views"])
        time.sleep(1)
    assert views == 25


def test_flag_change__every_gunicorn_worker_answers_within_one_second(
    deployment: Deployment,
) -> None:
    api = Http(deployment.base_url, deployment.token)

    def disable() -> None:
        assert api.request("POST", f"/api/v1/features/{FLAG}/disable")[0] == 200

    assert_every_worker_sees_the_change(deployment, api, FLAG, disable, expect_enabled=False)


def test_trigger_url__disables_the_flag__webhook_retried_by_the_worker(
    deployment: Deployment,
) -> None:
    """A pager posts to a trigger URL through gunicorn; the Celery worker delivers the change
    to a webhook whose receiver fails once, retrying after the backoff through Redis."""
    api = Http(deployment.base_url, deployment.token)
    flag = "paged_flag"
    assert api.request("POST", "/api/v1/features/", {"name": flag, "enabled": True})[0] == 201
    secret = "whsec-system-0123456789abcdef"
    with webhook_receiver(500, 200) as receiver:
        deployment.manage(
            "shell",
            "-c",
            "from notifications.models import Webhook\n"
            f"hook = Webhook(name='pager', url='{receiver.url}', actions=['disable'])\n"
            f"hook.secret = '{secret}'\nhook.save()",
        )
        path = deployment.manage("triggers", "create", flag, "--label", "pager").splitlines()[-1]
        request = urllib.request.Request(f"{deployment.base_url}{path}", data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.loads(response.read())["changed"] is True
        first, second = receiver.wait_for(2, seconds=60)[:2]
    deadline = time.monotonic() + 5  # every process within the revision check interval
    while True:
        status, body = api.request("GET", f"/api/v1/features/{flag}?user_id=a")
        if body.get("reason") == "DISABLED" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert (status, body.get("reason")) == (200, "DISABLED"), body
    assert first.headers["x-llmhub-delivery"] == second.headers["x-llmhub-delivery"]
    assert second.at - first.at >= 1.0  # the backoff, carried by Celery's retry
    document = json.loads(second.body)
    assert (document["event"], document["actor_kind"]) == ("flag.disable", "trigger")
    assert verify(secret, second.headers["x-llmhub-signature"], second.body)


def test_redis_stopped__evaluations_keep_answering(deployment: Deployment) -> None:
    api = Http(deployment.base_url, deployment.token)
    deployment.redis.kill()
    deployment.redis.wait(timeout=10)
    for _ in range(20):
        status, body = api.request("GET", f"/api/v1/features/{FLAG}?user_id=alice")
        assert status == 200, body
        assert (body["enabled"], body["reason"]) == (False, "DISABLED")
