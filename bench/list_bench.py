"""The flag list at 10,000 flags: one page against the whole list of the old code (issue 16, 6).

    .venv/bin/python bench/list_bench.py --old-tree /path/to/old/checkout [--flags 10000] [--port N]

Fills PostgreSQL (BENCH_DATABASE_URL, default .../llmhub_scale_pages_bench, dropped and made
afresh; BENCH_REDIS_URL, default redis://127.0.0.1:6379/14) with `--flags` flags generated in SQL
(a description, 2 tags, 3 whitelisted users each), starts one gunicorn worker (bin/web's worker
class) for this checkout and, with `--old-tree`, one for that checkout on the same database, then
alternates requests between them round by round and prints the median time and the bytes of:
- old full list:   GET /api/v1/features/ on the old checkout (every flag in one response)
- first page:      GET /api/v1/features/ (default page size)
- largest page:    GET /api/v1/features/?page_size=200
- walk (new):      every page of 200 by following `next` (reading everything, paged)
The database is dropped at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, server_environment  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_scale_pages_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
FLAGS_SQL = """
INSERT INTO flags_tag (name) VALUES ('hub'), ('billing'), ('search'), ('mobile')
ON CONFLICT DO NOTHING;
INSERT INTO flags_flag (name, description, enabled, rollout_percentage, rollout_group,
    whitelist_users, blacklist_users, owner, version, created_at, updated_at)
SELECT 'flag-' || lpad(n::text, 6, '0'), 'Generated flag number ' || n || ' for the list bench.',
    n %% 3 <> 0, n %% 101, 'flag-' || lpad(n::text, 6, '0'),
    jsonb_build_array('user' || n, 'user' || (n + 1), 'tester'), '[]'::jsonb,
    'team-' || (n %% 17), 1, now(), now()
FROM generate_series(1, %(flags)s) AS n;
INSERT INTO flags_flag_tags (flag_id, tag_id)
SELECT f.id, t.id FROM flags_flag f JOIN flags_tag t
  ON t.name IN (CASE WHEN f.id %% 2 = 0 THEN 'hub' ELSE 'billing' END,
                CASE WHEN f.id %% 3 = 0 THEN 'search' ELSE 'mobile' END);
"""


def _seed(flags: int) -> str:
    """Migrate a fresh database, generate the flags in SQL, return a read token."""
    ensure_database(DATABASE_URL, fresh=True)
    os.environ.update(server_environment(DATABASE_URL, REDIS_URL))
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.management import call_command
    from django.db import connection

    from llmhub.actors import Actor
    from llmhub.api.tokens.services import token_create

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM flags_flag_tags; DELETE FROM flags_flag")
        cursor.execute(FLAGS_SQL, {"flags": flags})
    user = User.objects.create_user("bench", password="-")
    user.user_permissions.set(Permission.objects.filter(codename="view_flag"))
    connection.close()
    return token_create(
        username="bench", scope="read", label="list bench", actor=Actor.system("bench")
    )[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(tree: Path, port: int) -> subprocess.Popen[bytes]:
    env = server_environment(DATABASE_URL, REDIS_URL, LOG_LEVEL="WARNING")
    env["PYTHONPATH"] = str(tree)
    command = [sys.executable, "-m", "gunicorn", "llmhub.wsgi:application"]
    command += ["--worker-class", "llmhub.web_worker.SyncWorker", "--workers", "1"]
    command += ["--bind", f"127.0.0.1:{port}", "--timeout", "120", "--no-control-socket"]
    return subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL)


def _get(url: str, token: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=120) as answer:
        body = answer.read()
    return time.perf_counter() - started, body


def _walk(url: str, token: str) -> tuple[float, int, int]:
    """Seconds, bytes and flags of reading every page by following `next`."""
    seconds = 0.0
    size = flags = 0
    next_url: str | None = url
    while next_url:
        took, body = _get(next_url, token)
        page = json.loads(body)
        seconds, size, flags = seconds + took, size + len(body), flags + len(page["results"])
        next_url = page["next"]
    return seconds, size, flags


def _wait(base: str, token: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            _get(f"{base}/api/v1/features/?page_size=1", token)
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base} never answered")


def _measure(targets: dict[str, str], token: str, rounds: int) -> dict[str, list[tuple]]:
    samples: dict[str, list[tuple]] = {}
    for _ in range(rounds):  # one of each per round: a busy moment hits them all alike
        for name, url in targets.items():
            if name.startswith("walk"):
                samples.setdefault(name, []).append(_walk(url, token))
            else:
                took, body = _get(url, token)
                listed = json.loads(body)
                count = len(listed if isinstance(listed, list) else listed["results"])
                samples.setdefault(name, []).append((took, len(body), count))
    return samples


def _report(samples: dict[str, list[tuple]], flags: int, rounds: int) -> None:
    load = os.getloadavg()
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {flags} flags")
    print(f"{rounds} rounds alternating; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    reference = statistics.median(s[0] for s in samples.get("old full list", [(0.0,)]))
    print(f"{'':<16}{'median ms':>10}{'bytes':>11}{'flags':>7}{'vs old':>8}")
    for name, rows in samples.items():
        seconds = statistics.median(row[0] for row in rows)
        ratio = f"{seconds / reference:.3f}" if reference else "-"
        print(f"{name:<16}{seconds * 1000:>10.1f}{rows[0][1]:>11,}{rows[0][2]:>7}{ratio:>8}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-tree", type=Path, help="a checkout of the code before the change")
    parser.add_argument("--flags", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database")
    parser.add_argument("--port", type=int, default=0, help="this port and the next (else free)")
    args = parser.parse_args()
    token = _seed(args.flags)
    servers: list[subprocess.Popen[bytes]] = []
    try:
        ports = (args.port, args.port + 1) if args.port else (_free_port(), _free_port())
        new = f"http://127.0.0.1:{ports[0]}"
        servers.append(_start(ROOT, int(new.rsplit(":", 1)[1])))
        targets = {}
        if args.old_tree:
            old = f"http://127.0.0.1:{ports[1]}"
            servers.append(_start(args.old_tree.resolve(), int(old.rsplit(":", 1)[1])))
            _wait(old, token)
            targets["old full list"] = f"{old}/api/v1/features/"
        _wait(new, token)
        targets["first page"] = f"{new}/api/v1/features/"
        targets["largest page"] = f"{new}/api/v1/features/?page_size=200"
        targets["walk (new)"] = f"{new}/api/v1/features/?page_size=200"
        _measure(targets, token, 1)  # warm both workers
        _report(_measure(targets, token, args.rounds), args.flags, args.rounds)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)
        if not args.keep:
            from django.db import connections

            connections.close_all()
            _drop()


def _drop() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
