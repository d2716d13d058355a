"""The flags API under load, beside a bare Django JsonResponse view measured in the same run.

    .venv/bin/python bench/api_bench.py [--seconds 10] [--connections 32]
    .venv/bin/python bench/api_bench.py --app llmhub.wsgi:application --app other.wsgi:app

Starts gunicorn (2 workers of bin/web's class, llmhub.web_worker.SyncWorker) under the
interpreter that runs this script, on a free port of 127.0.0.1, against PostgreSQL and Redis
(BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/llmhub_bench, created if
missing; BENCH_REDIS_URL, default redis://127.0.0.1:6379/11), seeds 20 flags and a token, and
runs wrk (`apt-get install -y wrk`) against:
- bare:     GET /api/bench/bare (a JsonResponse through the same middleware; LLMHUB_BENCH_VIEWS=1)
- evaluate: GET /api/v1/features/bench-07?user_id=<random> with a token (config included)
- ofrep:    POST /ofrep/v1/evaluate/flags (bulk, 20 flags) with a token
Printed side by side: requests/s, p50 and p99 latency, share of the bare view's rate, and
database transactions while warm (pg_stat_database), per request and per second: a handful per
second for every endpoint alike is telemetry's background flush, not a query per request.
Targets (issue 3): evaluate >= 75 % of bare, p99 < 15 ms at 32 connections, 0 queries warm.

With `--app` given twice or more, one gunicorn per WSGI application runs at once and wrk
alternates between them round by round (each endpoint on each application in turn), so two
versions are compared under the same load of a shared machine. `--old-tree PATH` adds the same
application served from another checkout (the code before a change, on the same database), as
`old:<app>`. `--app DIR@module:app` serves
the checkout in DIR (an older version, say) with the same interpreter.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import ensure_database, server_environment  # noqa: E402

DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
FLAGS = 20


def _environment() -> dict[str, str]:
    return server_environment(DATABASE_URL, REDIS_URL, LLMHUB_BENCH_VIEWS="1", LOG_LEVEL="WARNING")


def _create_database() -> None:
    ensure_database(DATABASE_URL, fresh=False)


def _seed() -> str:
    """Migrate, create the bench flags and a fresh token; returns the token."""
    os.environ.update(_environment())
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User
    from django.core.management import call_command
    from django.db import connection

    from flags import services
    from llmhub.actors import Actor
    from llmhub.api.tokens.services import token_create

    call_command("migrate", verbosity=0)
    # Each run starts from the same empty events table (the previous run's rows would make
    # telemetry's flush dearer from run to run).
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE telemetry_event")
    for index in range(FLAGS):
        services.flag_ensure(
            name=f"bench-{index:02}",
            defaults={"enabled": True, "rollout_percentage": (index * 5) % 101},
            actor=Actor.command("api_bench"),
            source="command",
        )
    user, _ = User.objects.get_or_create(username="bench")
    user.user_permissions.set(Permission.objects.filter(codename__endswith="_flag"))
    return token_create(
        username="bench", scope="read", label="api_bench", actor=Actor.system("bench")
    )[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# "web" is what bin/web runs; "sync" is gunicorn's stock worker, for comparison.
WORKER_CLASSES = {"web": "llmhub.web_worker.SyncWorker", "sync": "sync", "gthread": "gthread"}


def _start_gunicorn(
    port: int, worker_class: str, app: str, tree: Path = ROOT
) -> subprocess.Popen[bytes]:
    # The interpreter running the bench runs the server: its build is part of the figures.
    # "DIR@module:app": another checkout's code (`--chdir`), e.g. /work/main@llmhub.wsgi:application
    directory, _, app = app.rpartition("@")
    args = [sys.executable, "-m", "gunicorn", app, "--workers", "2"]
    if directory:
        args += ["--chdir", directory]
    args += ["--bind", f"127.0.0.1:{port}"]
    args += ["--worker-class", WORKER_CLASSES[worker_class]]
    if worker_class == "gthread":
        args += ["--threads", "4", "--keep-alive", "5"]
    process = subprocess.Popen(
        args, cwd=tree, env=_environment(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/api/bench/bare", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit("gunicorn did not answer within 30 s")


def _lua(token: str, directory: str) -> dict[str, str]:
    auth = f'wrk.headers["Authorization"] = "Bearer {token}"\n'
    scripts = {
        "bare": "",
        "evaluate": auth
        + "request = function()\n"
        + '  return wrk.format("GET", "/api/v1/features/bench-07?user_id=user-"'
        + " .. math.random(1, 1000000))\nend\n",
        "ofrep": auth
        + 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        + 'wrk.body = \'{"context": {"targetingKey": "user-42", "plan": "pro"}}\'\n',
    }
    paths = {}
    for name, text in scripts.items():
        paths[name] = os.path.join(directory, f"{name}.lua")
        Path(paths[name]).write_text(text)
    return paths


URLS = {
    "bare": "/api/bench/bare",
    "evaluate": "/api/v1/features/",
    "ofrep": "/ofrep/v1/evaluate/flags",
}


@dataclass
class Result:
    app: str
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    db_per_request: float
    db_per_second: float


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if match is None:
        raise SystemExit(f"cannot read wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def _transactions() -> int:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL, autocommit=True) as conn:
        row = conn.execute(
            "SELECT pg_stat_force_next_flush(), xact_commit + xact_rollback "
            "FROM pg_stat_database WHERE datname = %s",
            [name],
        ).fetchone()
    return int(row[1]) - 1 if row else 0  # minus this query's own transaction


def _wrk(app: str, port: int, name: str, script: str, seconds: int, connections: int) -> Result:
    base = [shutil.which("wrk") or "wrk", "-t2", f"-c{connections}", "--latency", "-s", script]
    url = f"http://127.0.0.1:{port}{URLS[name]}"
    subprocess.run([*base, "-d2s", url], check=True, capture_output=True)  # warm up
    time.sleep(1.0)
    before = _transactions()
    out = subprocess.run([*base, f"-d{seconds}s", url], check=True, capture_output=True, text=True)
    after = _transactions()
    text = out.stdout
    if "Requests/sec" not in text or "99%" not in text:
        raise SystemExit(f"wrk said:\n{text}\n{out.stderr}")
    total = int(re.search(r"(\d+) requests in", text).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    return Result(
        app=app,
        name=name,
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1)),
        p50_ms=_ms(re.search(r"^\s+50%\s+(\S+)", text, re.M).group(1)),
        p99_ms=_ms(re.search(r"^\s+99%\s+(\S+)", text, re.M).group(1)),
        errors=int(errors.group(1)) if errors else 0,
        db_per_request=(after - before) / max(total, 1),
        db_per_second=(after - before) / seconds,
    )


def _median(results: list[Result]) -> Result:
    """The round with the median rate (its latencies belong to it)."""
    return sorted(results, key=lambda r: r.rps)[len(results) // 2]


def _report(results: list[Result], args: argparse.Namespace) -> None:
    print(
        f"\ngunicorn 2 {args.worker_class} workers, wrk 2 threads, {args.connections} "
        f"connections, median of {args.rounds} interleaved rounds of {args.seconds} s"
    )
    interpreter = os.path.realpath(sys.executable)  # the build behind the virtualenv's link
    print(f"Python {platform.python_version()}: {sys.executable} -> {interpreter}")
    for app in args.app:
        mine = [r for r in results if r.app == app]
        bare = mine[0].rps
        print(
            f"\n{app}\n{'endpoint':<10} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'% bare':>7} "
            f"{'db tx/req':>10} {'db tx/s':>8} {'errors':>7}"
        )
        for r in mine:
            print(
                f"{r.name:<10} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} "
                f"{100 * r.rps / bare:>6.0f}% {r.db_per_request:>10.4f} "
                f"{r.db_per_second:>8.1f} {r.errors:>7}"
            )
        evaluate = next(r for r in mine if r.name == "evaluate")
        print(
            f"targets: evaluate >= 75% of bare: {100 * evaluate.rps / bare:.0f}%; p99 < 15 ms: "
            f"{evaluate.p99_ms:.2f} ms; no query warm: {evaluate.db_per_request:.4f}/req"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; medians")
    parser.add_argument("--worker-class", default="web", choices=sorted(WORKER_CLASSES))
    parser.add_argument(
        "--app", action="append", help="WSGI application (repeat to compare side by side)"
    )
    parser.add_argument("--old-tree", type=Path, help="also serve --app from this checkout")
    args = parser.parse_args()
    args.app = args.app or ["llmhub.wsgi:application"]
    trees = {app: ROOT for app in args.app}
    if args.old_tree:
        trees.update({f"old:{app}": args.old_tree.resolve() for app in args.app})
        args.app = list(trees)
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    _create_database()
    token = _seed()
    servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
    runs: dict[tuple[str, str], list[Result]] = {(a, n): [] for a in args.app for n in URLS}
    try:
        for app in args.app:
            port = _free_port()
            served = app.removeprefix("old:")
            servers[app] = (port, _start_gunicorn(port, args.worker_class, served, trees[app]))
        with tempfile.TemporaryDirectory() as directory:
            scripts = _lua(token, directory)
            for _ in range(args.rounds):  # interleaved, so a noisy neighbour hits all alike
                for name in URLS:
                    for app, (port, _process) in servers.items():
                        script = scripts[name]
                        result = _wrk(app, port, name, script, args.seconds, args.connections)
                        runs[app, name].append(result)
    finally:
        for _port, process in servers.values():
            process.terminate()
            process.wait(timeout=30)
    _report([_median(results) for results in runs.values()], args)


if __name__ == "__main__":
    main()
