"""A slow database with own instances: the real web server (bin/web, two gunicorn workers) on a
private PostgreSQL cluster whose events table another session keeps locked, as a long
migration, a vacuum full or an overloaded server would.

An ingestion request waits at most the web processes' statement timeout (bin/web sets it from
WEB_STATEMENT_TIMEOUT_MS), then answers 503 with Retry-After instead of holding a sync worker
until gunicorn kills it; once the lock is gone the same batch is stored.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import psycopg
import pytest

from tests.system.postgres import PrivatePostgres, port_for_faults, running_cluster
from tests.system.processes import Deployment, production_env
from tests.system.test_outage import _events, _token, call

pytestmark = [pytest.mark.postgres]
STATEMENT_TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def slow_cluster() -> Iterator[PrivatePostgres]:
    with running_cluster() as server:
        yield server


@pytest.fixture(scope="module")
def web(
    slow_cluster: PrivatePostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    logs = tmp_path_factory.mktemp("slow-db")
    port = port_for_faults()
    env = production_env(
        port=port,
        logs=logs,
        database_url=slow_cluster.url.rsplit("/", 1)[0] + "/llmhub",
        DJANGO_SUPERUSER_PASSWORD="slow-db-test-password",
        WEB_STATEMENT_TIMEOUT_MS=str(STATEMENT_TIMEOUT_MS),
        LOG_LEVEL="WARNING",
    )
    system = Deployment(env=env, base_url=f"http://127.0.0.1:{port}", logs=logs)
    system.manage("migrate", "--noinput", "-v0")
    system.manage("createsuperuser", "--noinput", "--username", "ops", "--email", "o@example.com")
    system.token = _token(system, "slow-db")
    try:
        system.start("web", "web")
        system.wait_healthy()
        yield system
    finally:
        system.stop_all()


def _hold_lock(url: str, locked: threading.Event, release: threading.Event) -> None:
    """SHARE mode: reads go on, every insert into the events table waits behind it."""
    with psycopg.connect(url) as conn:
        conn.execute("LOCK TABLE telemetry_event IN SHARE MODE")
        locked.set()
        release.wait(timeout=120)


def test_events_table_locked__ingestion_503_with_retry_after_in_bounded_time__stored_after(
    web: Deployment, slow_cluster: PrivatePostgres
) -> None:
    batch = {"events": _events(3)}
    ingest = ("POST", "/api/v1/telemetry/events")
    locked, release = threading.Event(), threading.Event()
    url = slow_cluster.url.rsplit("/", 1)[0] + "/llmhub"
    holder = threading.Thread(target=_hold_lock, args=(url, locked, release), daemon=True)
    holder.start()
    try:
        assert locked.wait(timeout=10)
        waits = []
        for _ in range(3):
            started = time.monotonic()
            status, headers, body = call(web.base_url, *ingest, token=web.token, body=batch)
            waits.append(time.monotonic() - started)
            assert status == 503, body
            assert body["error"]["code"] == "database_unavailable"
            assert int(headers["retry-after"]) >= 1
        # One statement timeout for the batch, at most one more for the request's own
        # telemetry: far from the 30 s after which gunicorn would kill the worker.
        print("ingestion waits under the lock (s):", [round(w, 2) for w in waits])
        assert max(waits) < 4 * STATEMENT_TIMEOUT_MS / 1000, waits
    finally:
        release.set()
        holder.join(timeout=10)

    status, _, body = call(web.base_url, *ingest, token=web.token, body=batch)
    assert status == 202 and body == {"stored": 3, "duplicates": 0}
