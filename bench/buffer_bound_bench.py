"""Memory of a web process's telemetry buffer while its flush is blocked by a slow database.

    .venv/bin/python bench/buffer_bound_bench.py [--seconds 15] [--rate 20000] [--old REV]

Needs PostgreSQL (BENCH_BUFFER_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_buffer_bench, created and migrated when missing).
Another session holds a SHARE lock on the events table, so the background flush's COPY waits
in PostgreSQL, as behind a slow disk, a long migration or an overloaded server. Meanwhile the
process records `api_call` rows at `--rate` per second for `--seconds` (a busy worker), then
the lock is released. Each variant runs in its own process, alternately: the buffer at `--old`
(git revision, the unbounded one) and the current one. Printed per variant: rows recorded,
rows held at the end of the blocked time, the growth of the process's resident memory, and
for the current buffer the drops counted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DATABASE_URL = os.environ.get(
    "BENCH_BUFFER_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_buffer_bench"
)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def hold_lock(locked: threading.Event, release: threading.Event) -> None:
    import psycopg

    with psycopg.connect(DATABASE_URL) as conn:
        conn.execute("LOCK TABLE telemetry_event IN SHARE MODE")
        locked.set()
        release.wait(timeout=600)


def run_variant(buffer_file: str, seconds: float, rate: int) -> dict[str, Any]:
    """In a child process: load the buffer module from `buffer_file` and record under a lock."""
    import importlib.util

    import django

    django.setup()
    from django.utils import timezone

    from telemetry.ids import uuid7

    spec = importlib.util.spec_from_file_location("bench_buffer", buffer_file)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    buffer = module.ProcessBuffer()
    locked, release = threading.Event(), threading.Event()
    threading.Thread(target=hold_lock, args=(locked, release), daemon=True).start()
    locked.wait(timeout=10)
    buffer.start()
    before, recorded, started = rss_bytes(), 0, time.monotonic()
    while (elapsed := time.monotonic() - started) < seconds:
        for _ in range(rate // 100):
            now = timezone.now()
            path = f"/api/v1/features/flag_{recorded % 1000}"
            buffer.add(
                {"event_id": uuid7(), "event_type": "api_call", "occurred_at": now}
                | {"received_at": now, "request_id": f"{recorded:032x}", "session_id": ""}
                | {"user_id": "svc", "cohort": "", "page": path, "tab": "", "feature": ""}
                | {"action": "", "flag": "", "path": path, "method": "GET"}
                | {"duration_ms": 1.25, "status": 200, "properties": {}}
            )
            recorded += 1
        time.sleep(max(0.0, recorded / rate - elapsed))
    grown = rss_bytes() - before
    held = buffer.size()[0] if hasattr(buffer, "size") else len(buffer._rows)
    release.set()
    dropped = sum(buffer._dropped.values()) if hasattr(buffer, "_dropped") else 0
    buffer.stop()
    return {"recorded": recorded, "held": held, "rss_growth_mib": round(grown / 2**20, 1)} | {
        "dropped_counted": dropped
    }


def child(variant: str, buffer_file: str, seconds: float, rate: int) -> dict[str, Any]:
    env = dict(
        os.environ, DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="llmhub.settings.local"
    )
    env["TELEMETRY_BACKGROUND_FLUSH"] = "true"
    code = (
        "import json, sys; sys.path.insert(0, '.')\n"
        "from bench.buffer_bound_bench import run_variant\n"
        f"print(json.dumps(run_variant({buffer_file!r}, {seconds}, {rate})))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return {"variant": variant} | json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--old", default="aa43440", help="git revision of the unbounded buffer")
    args = parser.parse_args()
    from bench.common import ensure_database

    ensure_database(DATABASE_URL, fresh=False)
    env = dict(
        os.environ, DATABASE_URL=DATABASE_URL, DJANGO_SETTINGS_MODULE="llmhub.settings.local"
    )
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    old = subprocess.run(
        ["git", "show", f"{args.old}:telemetry/buffer.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(old)
    variants = {"old": handle.name, "bounded": str(ROOT / "telemetry" / "buffer.py")}
    for _ in range(args.rounds):
        for name, path in variants.items():
            print(json.dumps(child(name, path, args.seconds, args.rate)), flush=True)
    os.unlink(handle.name)


if __name__ == "__main__":
    main()
