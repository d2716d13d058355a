"""Telemetry throughput: batch ingestion through gunicorn, and aggregating a million events.

    .venv/bin/python bench/telemetry_bench.py [--seconds 10] [--connections 8] [--events 1000000]

Needs PostgreSQL (BENCH_TELEMETRY_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_telemetry_bench, dropped and created afresh), Redis
(BENCH_TELEMETRY_REDIS_URL, default redis://127.0.0.1:6379/13) and wrk (`apt-get install -y wrk`).

1. Ingestion: gunicorn with 2 workers, sync and gthread (4 threads each); wrk posts
   batches of 100 new page_view events (unique ids generated in Lua) to
   POST /api/v1/telemetry/events with a session cookie and CSRF token, as a browser would.
   Events/s = rows stored / seconds. Target >= 5,000. Also the CPU time the gunicorn workers
   and the PostgreSQL backends spent per event (from /proc), which, unlike the rate, does not
   depend on what else the machine is running.
2. Aggregation: N events (default 1,000,000) generated in PostgreSQL with INSERT ... SELECT
   generate_series over 24 hours and 2 x 6 x 3 x 2 x 5 dimension values, then timed:
   the backfill service per bucket size (minute, hour) and the scheduled service's first run
   (which finds every bucket as new). Target < 20 s for all of it.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, server_environment  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_TELEMETRY_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_telemetry_bench"
)
REDIS_URL = os.environ.get("BENCH_TELEMETRY_REDIS_URL", "redis://127.0.0.1:6379/13")
URL = "/api/v1/telemetry/events"
# Both with 2 worker processes; threads let a worker parse the next batch while another
# waits for PostgreSQL's commit.
WORKER_CLASSES = {
    "sync": [],
    "gthread x4": ["--worker-class", "gthread", "--threads", "4"],
}


def _environment() -> dict[str, str]:
    return server_environment(
        DATABASE_URL, REDIS_URL, CELERY_TASK_ALWAYS_EAGER="true", TELEMETRY_BACKGROUND_FLUSH="true"
    )


def _fresh_database() -> None:
    ensure_database(DATABASE_URL, fresh=True)


def _setup() -> tuple[str, str]:
    """Migrate and sign a user in; returns (session key, CSRF secret)."""
    os.environ.update(_environment())
    import django

    django.setup()
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.models import User
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    user = User.objects.create_user("bench", password=secrets.token_urlsafe(16))
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    assert session.session_key is not None
    return session.session_key, secrets.token_hex(16)  # 32 characters: an unmasked secret


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LogReader:
    """Reads gunicorn's output through a pipe, as a log collector would, and counts the JSON
    lines of ingested events (one per event is the contract)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.event_lines = 0
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        for line in stream:
            if b'"event_type": "page_view"' in line:
                self.event_lines += 1


def _start_gunicorn(port: int, extra: list[str]) -> tuple[subprocess.Popen[bytes], LogReader]:
    # The interpreter running the bench runs the server, as in bench/api_bench.py.
    args = [sys.executable, "-m", "gunicorn", "llmhub.wsgi:application", "--workers", "2"]
    args += ["--bind", f"127.0.0.1:{port}", *extra]
    process = subprocess.Popen(
        args, cwd=ROOT, env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    assert process.stdout is not None
    reader = LogReader(process.stdout)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/admin/login/", timeout=1).read()
            return process, reader
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not answer within 30 s")


LUA = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = "sessionid=%(session)s; csrftoken=%(csrf)s"
wrk.headers["X-CSRFToken"] = "%(csrf)s"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
request = function()
  local parts = {}
  for i = 1, 100 do
    counter = counter + 1
    parts[i] = string.format(
      '{"event_id":"%(run)s-%%04x-4000-8000-%%012x","type":"page_view",' ..
      '"occurred_at":"%(at)s","page":"llm-hub","tab":"keys","cohort":"new_hub",' ..
      '"duration_ms":%%d,"properties":{"n":%%d}}', tid, counter, counter %% 900, i)
  end
  return wrk.format(nil, nil, nil, '{"events":[' .. table.concat(parts, ",") .. ']}')
end
"""


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """User + system CPU time of each process (from /proc), in seconds."""
    seconds = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        seconds[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return seconds


def _spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU spent between two readings; a process that appeared in between counts whole."""
    return sum(value - before.get(pid, 0.0) for pid, value in after.items())


def _workers(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def _backends() -> list[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        )
        return [row[0] for row in cursor.fetchall()]


def _stored_events() -> int:
    from telemetry.models import Event

    return Event.objects.filter(event_type="page_view").count()


def bench_ingestion(
    seconds: int, connections: int, session: str, csrf: str, extra: list[str]
) -> tuple[float, int, str, float, float]:
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        at = datetime.now(UTC).isoformat()
        scripts = []
        for name in ("warm-up", "timed"):  # a new id prefix each: no run re-sends another's ids
            scripts.append(Path(tmp) / f"{name}.lua")
            values = {"session": session, "csrf": csrf, "run": secrets.token_hex(4), "at": at}
            scripts[-1].write_text(LUA % values)
        server, log = _start_gunicorn(port, extra)
        try:
            wrk = [shutil.which("wrk") or "wrk", "-t2", f"-c{connections}"]
            url = f"http://127.0.0.1:{port}{URL}"
            at_start = _stored_events()
            warm_up = [*wrk, "-s", str(scripts[0]), "-d2s", url]
            subprocess.run(warm_up, check=True, capture_output=True)
            before = _stored_events()
            workers, backends = _workers(server.pid), _backends()
            cpu_before = _cpu_seconds(workers), _cpu_seconds(backends)
            started = time.monotonic()
            timed = [*wrk, "-s", str(scripts[1]), f"-d{seconds}s", url]
            out = subprocess.run(timed, check=True, capture_output=True, text=True)
            elapsed = time.monotonic() - started
            cpu_after = _cpu_seconds(workers), _cpu_seconds(sorted({*backends, *_backends()}))
            stored = _stored_events() - before
            time.sleep(0.5)  # the last lines still in the pipe
            lines, served = log.event_lines, _stored_events() - at_start
        finally:
            server.terminate()
            server.wait(timeout=30)
    bad = [line for line in out.stdout.splitlines() if "Non-2xx" in line]
    print(f"  (this server stored {served} events and wrote {lines} JSON log lines for them)")
    python_us = _spent(cpu_before[0], cpu_after[0]) / max(stored, 1) * 1e6
    postgres_us = _spent(cpu_before[1], cpu_after[1]) / max(stored, 1) * 1e6
    return stored / elapsed, stored, bad[0].strip() if bad else "all 202", python_us, postgres_us


GENERATE = """
INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, user_id,
    session_id, request_id, page, tab, feature, action, flag, cohort, duration_ms, status,
    path, method, properties)
SELECT gen_random_uuid(),
       (ARRAY['page_view','api_call','error','performance','feature_usage'])[1 + i %% 5],
       %(start)s + i * interval '86 milliseconds', %(start)s + i * interval '86 milliseconds',
       'user' || (i %% 5000), '', '',
       (ARRAY['hub','providers','keys','models','tiers','usage'])[1 + (i / 5) %% 6],
       (ARRAY['','keys','models'])[1 + (i / 30) %% 3], '', '',
       (ARRAY['','unified_llm_hub'])[1 + (i / 7) %% 2],
       (ARRAY['new_hub','old_pages'])[1 + (i / 3) %% 2],
       CASE WHEN i %% 4 = 0 THEN NULL ELSE random() * 1000 END,
       (ARRAY[200,200,200,404,500])[1 + (i / 11) %% 5], '', '', '{}'::jsonb
FROM generate_series(1, %(n)s) AS i
"""


def bench_aggregation(events: int) -> dict[str, float]:
    from django.db import connection

    from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
    from telemetry.models import AggregationState, Event, EventSummary

    Event.objects.all().delete()
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=26)
    with connection.cursor() as cursor:
        cursor.execute(GENERATE, {"start": start, "n": events})
        cursor.execute("ANALYZE telemetry_event")
    since, until = start, start + timedelta(hours=25)
    figures = {}
    for size in ("minute", "hour"):
        EventSummary.objects.all().delete()
        began = time.monotonic()
        summaries_rebuild(since=since, until=until, bucket_sizes=[size])
        figures[f"backfill by {size}"] = time.monotonic() - began
    EventSummary.objects.all().delete()
    AggregationState.objects.all().delete()
    began = time.monotonic()
    summaries_aggregate_closed()
    figures["scheduled run, both sizes"] = time.monotonic() - began
    total = sum(s.count for s in EventSummary.objects.filter(bucket_size="hour"))
    assert total == events, (total, events)
    figures["summary rows"] = EventSummary.objects.count()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["ingestion", "aggregation"])
    args = parser.parse_args()
    _fresh_database()
    session, csrf = _setup()
    if args.only != "aggregation":
        print(
            f"\nIngestion: gunicorn 2 workers, wrk {args.connections} connections, batches of 100"
        )
        print(
            f"{'workers':<11} {'events/s':>9} {'stored':>8} {'CPU us/event':>13}"
            f" {'PG us/event':>12} {'2 idle cores':>13}  responses"
        )
        for name, extra in WORKER_CLASSES.items():
            rate, stored, status, python_us, postgres_us = bench_ingestion(
                args.seconds, args.connections, session, csrf, extra
            )
            # CPU per event does not depend on what else runs on the machine; the rate does.
            capacity = 2e6 / (python_us + postgres_us)
            print(
                f"{name:<11} {rate:>9.0f} {stored:>8} {python_us:>13.0f} {postgres_us:>12.0f}"
                f" {capacity:>13,.0f}  {status}"
            )
        print("target: >= 5,000 events/s")
    if args.only == "ingestion":
        return
    figures = bench_aggregation(args.events)
    print(f"\nAggregation of {args.events:,} events (PostgreSQL, one INSERT ... SELECT per size)")
    for name, value in figures.items():
        unit = "" if name == "summary rows" else " s"
        print(f"{name:<28} {value:>10.2f}{unit}" if unit else f"{name:<28} {value:>10.0f}")
    scheduled = figures["scheduled run, both sizes"]
    print(f"\ntarget: {args.events:,} aggregated in < 20 s: {scheduled:.2f} s (scheduled run)")


if __name__ == "__main__":
    main()
