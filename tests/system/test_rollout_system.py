"""Issue 14 end to end: real gunicorn (2 workers), a Celery worker and beat (bin/ scripts),
PostgreSQL and a private Redis, driven over HTTP. A plan advances on healthy traffic; then an
injected failure rate in the new cohort makes the beat-driven decision kill the flag, and both
web workers answer "off" (the old pages) within a second of that decision.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from flags.tests.support.services import database_url, free_port, private_redis
from tests.system.processes import Deployment, Http, probes_by_worker, production_env
from tests.system.test_system import _database

pytestmark = [pytest.mark.postgres, pytest.mark.redis]
FLAG = "unified_llm_hub"
PLAN = f"/api/v1/features/{FLAG}/plan"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("rollout-system")
    db_name = f"llmhub_rollout_{uuid.uuid4().hex[:8]}"
    _database(db_name, create=True)
    port = free_port()
    with private_redis() as (redis_process, redis_url):
        system = Deployment(
            env=_environment(db_name, redis_url, port, logs),
            base_url=f"http://127.0.0.1:{port}",
            logs=logs,
        )
        system.manage("migrate", "--noinput", "-v0")
        system.manage(
            "createsuperuser", "--noinput", "--username", "sysadmin", "--email", "s@x.org"
        )
        created = system.manage(
            "tokens", "create", "--user", "sysadmin", "--scope", "write", "--label", "rollout"
        )
        system.token = created.strip().splitlines()[-1]
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
        DJANGO_SUPERUSER_PASSWORD="rollout-system-password",
        REDIS_URL=f"{base}/0",
        CELERY_BROKER_URL=f"{base}/1",
        CELERY_BEAT_SCHEDULE_FILE=str(logs / "beat-schedule"),
        FEATURE_UNIFIED_LLM_HUB="true",
        # A compressed clock: beat ticks every 2 s, a plan is decided at most every second.
        ROLLOUT_DECIDE_SECONDS="2",
        ROLLOUT_DECISION_SECONDS="1",
        TELEMETRY_AGGREGATE_SECONDS="3",
        TELEMETRY_AGGREGATION_DELAY_SECONDS="1",
    )


def _traffic(api: Http, cohort: str, requests: int, errors: int) -> None:
    """Page loads as the hub's browsers report them (status 500 for the failed ones)."""
    now = datetime.now(UTC).isoformat()
    events = [
        {
            "event_id": str(uuid.uuid4()),
            "type": "page_view",
            "occurred_at": now,
            "page": "llm-hub",
            "cohort": cohort,
            "duration_ms": 200.0,
            "status": 500 if i < errors else 200,
        }
        for i in range(requests)
    ]
    status, body = api.request("POST", "/api/v1/telemetry/events", {"events": events})
    assert status == 202, body


def _wait_for(api: Http, condition: Any, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, plan = api.request("GET", PLAN)
        assert status == 200, plan
        if condition(plan):
            return plan
        time.sleep(0.3)
    raise AssertionError(f"the plan never got there: {plan}")


def _enabled_user(api: Http) -> str:
    for n in range(200):
        status, body = api.request("GET", f"/api/v1/features/{FLAG}?user_id=user{n}")
        if status == 200 and body["enabled"]:
            return f"user{n}"
    raise AssertionError("no user in the 50 % cohort")


def test_plan__advances_on_health__then_kills_on_failures_and_every_worker_serves_old_pages(
    deployment: Deployment,
) -> None:
    api = Http(deployment.base_url, deployment.token)
    steps = [
        {"name": "team", "percentage": 0, "min_dwell_seconds": 0},
        {"name": "half", "percentage": 50, "min_dwell_seconds": 0},
        {"name": "everyone", "percentage": 100, "min_dwell_seconds": 0},
    ]
    body = {"steps": steps, "min_requests": 100, "min_answers": 0, "window_minutes": 5}
    status, plan = api.request("POST", PLAN, body)
    assert status == 201, plan

    # healthy cohorts: beat's tick advances the plan to 50 %
    _traffic(api, "new_hub", 150, 0)
    _traffic(api, "old_pages", 150, 0)
    plan = _wait_for(api, lambda p: p["position"] == 1)
    assert plan["last_decision"]["decision"] == "advance" and plan["state"] == "active"

    # then the new cohort fails one request in five: the next ticks kill the flag
    user = _enabled_user(api)
    _traffic(api, "new_hub", 150, 30)
    _traffic(api, "old_pages", 150, 1)
    answers: dict[str, tuple[float, bool]] = {}
    killed_seen: float | None = None
    probe = 0
    while killed_seen is None or time.time() - killed_seen < 1.5:
        probe += 1
        status, answer = api.request("GET", f"/api/v1/features/{FLAG}?user_id={user}&probe={probe}")
        assert status == 200, answer
        answers[str(probe)] = (time.time(), answer["enabled"])
        checking = killed_seen is None and probe % 10 == 0
        if checking and api.request("GET", PLAN)[1]["state"] == "killed":
            killed_seen = time.time()
        assert probe < 20_000, "the plan never killed the flag"

    # the decision: a FlagChange by the schedule, with the figures that justified it
    status, history = api.request("GET", f"/api/v1/features/{FLAG}/history")
    kill = next(c for c in history["results"] if c["action"] == "disable")
    assert kill["source"] == "schedule", kill
    decided = datetime.fromisoformat(kill["created_at"].replace("Z", "+00:00")).timestamp()
    # every worker answers off within 1 s of the decision, and never on after that
    by_worker = probes_by_worker(deployment.logs)
    assert len(by_worker) == 2, by_worker.keys()
    for pid, probes in by_worker.items():
        seen = [answers[p] for p in probes if p in answers]
        late_on = [at - decided for at, enabled in seen if enabled and at - decided >= 1.0]
        off = [at - decided for at, enabled in seen if not enabled]
        assert off and min(off) < 1.0, f"worker {pid} did not serve the old pages within 1 s"
        assert late_on == [], f"worker {pid} still served the new hub {late_on} s after"
    plan = _wait_for(api, lambda p: p["state"] == "killed")
    gates = {g["name"]: g for g in plan["last_decision"]["gates"]}
    assert gates["error_rate"]["status"] == "fail"
