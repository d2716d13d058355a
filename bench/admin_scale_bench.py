"""Django admin pages at the sizes of issue 16: time, bytes, queries and Python memory per page.

    .venv/bin/python bench/admin_scale_bench.py [--events 5000000] [--rounds 3] [--compare REF]
    .venv/bin/python bench/admin_scale_bench.py --reuse      # the data of the previous run
    .venv/bin/python bench/admin_scale_bench.py --drop       # drop the benchmark database

Builds, in SQL on PostgreSQL (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/llmhub_admin_scale_bench, dropped and created afresh):
10,000 flags with 50 tags, 200,000 history rows (one flag, `busy-flag`, with 50,000 versions;
the others 15 each), 10,000 API tokens, `--events` raw events over 29 days, their hourly
summaries (and minute summaries for the last 3 days), and 240,000 evaluation counts. Then it
opens each admin page as a signed-in superuser through Django's test client (in a child
process, DEBUG off, Redis at BENCH_REDIS_URL) and prints the median time, the response's bytes,
the number of queries and the peak of Python allocations (tracemalloc, one extra request).

`--compare REF` also measures the code of git REF (exported with `git archive`), round by round
after the current code, on the same data: pages that take over 20 s under REF are measured
once. The list-edit figures (issue 16, point 8) are printed last.

Targets: every page under 2 s and 1 MB.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/llmhub_admin_scale_bench"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
FLAGS, BUSY_VERSIONS, VERSIONS_EACH, TOKENS = 10_000, 50_000, 15, 10_000
SLOW_SECONDS = 20.0
PAGE_LIMIT_SECONDS, PAGE_LIMIT_BYTES = 2.0, 1_000_000

CONFIG_SQL = """jsonb_build_object(
    'description', 'Guards ' || {name}, 'enabled', true, 'rollout_percentage', {pct},
    'rollout_group', {name}, 'whitelist_users', '{whitelist}'::jsonb,
    'blacklist_users', '[]'::jsonb,
    'starts_at', null, 'ends_at', null, 'tags', '["tag-01", "tag-02"]'::jsonb, 'owner', 'team-3')"""
WHITELIST = json.dumps([f"tester-{n:02d}" for n in range(20)])


def _config(name: str, pct: str) -> str:
    return CONFIG_SQL.format(name=name, pct=pct, whitelist=WHITELIST)


def _build_sql(events: int) -> list[str]:
    flag_config = _config("f.name", "(v % 101)")
    busy_after = _config("'busy-flag'", "(v % 101)")
    busy_before = _config("'busy-flag'", "((v - 1) % 101)")
    return [
        "INSERT INTO flags_tag (name) "
        "SELECT 'tag-' || lpad(g::text, 2, '0') FROM generate_series(0, 49) g",
        f"""INSERT INTO flags_flag (name, description, enabled, rollout_percentage, rollout_group,
            whitelist_users, blacklist_users, owner, version, created_at, updated_at)
            SELECT CASE WHEN g = 0 THEN 'busy-flag' ELSE 'flag-' || lpad(g::text, 5, '0') END,
                   'A flag', g % 2 = 0, g % 101,
                   CASE WHEN g = 0 THEN 'busy-flag' ELSE 'flag-' || lpad(g::text, 5, '0') END,
                   '{WHITELIST}'::jsonb, '[]'::jsonb, 'team-' || (g % 20),
                   CASE WHEN g = 0 THEN {BUSY_VERSIONS} ELSE {VERSIONS_EACH} END, now(), now()
            FROM generate_series(0, {FLAGS - 1}) g""",
        """INSERT INTO flags_flag_tags (flag_id, tag_id)
            SELECT f.id, t.id FROM flags_flag f JOIN flags_tag t
              ON t.name IN ('tag-' || lpad((f.id % 50)::text, 2, '0'),
                            'tag-' || lpad(((f.id + 7) % 50)::text, 2, '0'))""",
        f"""INSERT INTO flags_flagchange (flag_id, flag_name, version, action, actor, actor_kind,
              source, before, after, comment, created_at)
            SELECT f.id, f.name, v, CASE WHEN v = 1 THEN 'create' ELSE 'rollout' END, 'admin',
                   'user', 'admin', CASE WHEN v = 1 THEN NULL ELSE {flag_config} END,
                   {flag_config}, '', now() - ((f.id * {VERSIONS_EACH} + v) * interval '17 s')
            FROM flags_flag f, generate_series(1, {VERSIONS_EACH}) v WHERE f.name <> 'busy-flag'""",
        f"""INSERT INTO flags_flagchange (flag_id, flag_name, version, action, actor, actor_kind,
              source, before, after, comment, created_at)
            SELECT f.id, f.name, v, CASE WHEN v = 1 THEN 'create' ELSE 'rollout' END, 'deployer',
                   'token', 'api', CASE WHEN v = 1 THEN NULL ELSE {busy_before} END,
                   {busy_after}, '', now() - (({BUSY_VERSIONS} - v) * interval '30 s')
            FROM flags_flag f, generate_series(1, {BUSY_VERSIONS}) v WHERE f.name = 'busy-flag'""",
        """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email,
              is_staff, is_active, date_joined)
            SELECT '!', false, 'svc-' || g, '', '', '', false, true, now()
            FROM generate_series(1, 100) g""",
        f"""INSERT INTO flags_apitoken (user_id, label, prefix, key_hash, scope, created_at)
            SELECT u.id, 'service ' || g, substr(md5(g::text), 1, 8),
                   md5(g::text) || md5('x' || g), CASE WHEN g % 3 = 0 THEN 'write' ELSE 'read' END,
                   now() - g * interval '1 min'
            FROM generate_series(1, {TOKENS}) g
            JOIN auth_user u ON u.username = 'svc-' || (1 + g % 100)""",
        f"""INSERT INTO telemetry_event (event_id, event_type, occurred_at, received_at, user_id,
              session_id, request_id, page, tab, feature, action, flag, cohort, duration_ms,
              status, path, method, properties)
            SELECT gen_random_uuid(),
                   (ARRAY['api_call', 'page_view', 'flag_evaluation', 'error'])[1 + g % 4],
                   now() - g * interval '500 ms', now() - g * interval '500 ms',
                   'user-' || (g % 5000), '', '', 'page-' || (g % 8), '', '', '',
                   'flag-' || lpad((g % 20)::text, 5, '0'),
                   CASE WHEN g % 2 = 0 THEN 'new_hub' ELSE 'old_pages' END,
                   (g % 300)::float, 200, '/api/v1/features/', 'GET', '{{}}'::jsonb
            FROM generate_series(1, {events}) g""",
        _summaries_sql("hour", "1 hour", 24 * 29),
        _summaries_sql("minute", "1 minute", 60 * 24 * 3),
        f"""INSERT INTO telemetry_flagevaluationcount (bucket_start, flag, reason, enabled, count)
            SELECT date_trunc('minute', now()) - m * interval '1 min', f.name, 'DEFAULT', false, 7
            FROM flags_flag f, generate_series(1, {240_000 // FLAGS}) m""",
        "ANALYZE",
    ]


def _summaries_sql(size: str, step: str, buckets: int) -> str:
    return f"""INSERT INTO telemetry_eventsummary (bucket_size, bucket_start, event_type, page, tab,
          flag, cohort, count, users, errors, client_errors, p50_ms, p95_ms, max_ms, updated_at)
        SELECT '{size}', date_trunc('{size}', now()) - b * interval '{step}', t, 'page-' || p, '',
               'flag-' || lpad(p::text, 5, '0'), c, 100, 20, 1, 0, 40, 200, 290, now()
        FROM generate_series(1, {buckets}) b,
             unnest(ARRAY['api_call', 'page_view', 'flag_evaluation', 'error']) t,
             generate_series(0, 7) p, unnest(ARRAY['new_hub', 'old_pages']) c"""


# --- the child process: Django on the benchmark database -------------------------------------


def _django(code: Path) -> None:
    sys.path.insert(0, str(code))
    os.chdir(code)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="llmhub.settings.local",
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="testserver,127.0.0.1",
        DATABASE_URL=DATABASE_URL,
        REDIS_URL=REDIS_URL,
        LOG_LEVEL="WARNING",
    )
    import django

    django.setup()


def build(events: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    for statement in _build_sql(events):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(statement)
        label = " ".join(statement.split()[:3])
        print(f"  {label:<40} {time.perf_counter() - started:6.1f} s", flush=True)


def _pages() -> list[tuple[str, str, dict[str, Any] | None]]:
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    from flags.models import Flag, FlagChange, Tag

    busy = Flag.objects.get(name="busy-flag")
    other = Flag.objects.get(name="flag-05000")
    tag = Tag.objects.get(name="tag-07")
    change = FlagChange.objects.filter(flag_name="busy-flag").order_by("-version").first()
    assert change is not None
    roll_back = {"action": "roll_back", ACTION_CHECKBOX_NAME: [str(busy.pk)]}
    return [
        ("admin index", "/admin/", None),
        ("flag list", "/admin/flags/flag/", None),
        ("flag list, last page", "/admin/flags/flag/?p=99", None),
        ("flag list, search", "/admin/flags/flag/?q=flag-0500", None),
        ("flag list, by tag", f"/admin/flags/flag/?tags__id__exact={tag.pk}", None),
        ("flag page (50,000 versions)", f"/admin/flags/flag/{busy.pk}/change/", None),
        ("flag page (15 versions)", f"/admin/flags/flag/{other.pk}/change/", None),
        ("roll back action (50,000)", "/admin/flags/flag/", roll_back),
        ("history list", "/admin/flags/flagchange/", None),
        ("history of busy-flag", "/admin/flags/flagchange/?flag_name=busy-flag", None),
        ("history of busy-flag, p 400", "/admin/flags/flagchange/?flag_name=busy-flag&p=400", None),
        ("history row", f"/admin/flags/flagchange/{change.pk}/change/", None),
        ("token list", "/admin/tokens/apitoken/", None),
        ("event list", "/admin/telemetry/event/", None),
        ("event list, by type", "/admin/telemetry/event/?event_type__exact=page_view", None),
        ("summary list", "/admin/telemetry/eventsummary/", None),
        ("evaluation counts", "/admin/telemetry/flagevaluationcount/", None),
        ("aggregation state", "/admin/telemetry/aggregationstate/", None),
    ]


def _request(client: Any, url: str, data: dict[str, Any] | None) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, data) if data else client.get(url)
        elapsed = time.perf_counter() - started
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, len(response.content), len(queries.captured_queries)


def _peak_mb(client: Any, url: str, data: dict[str, Any] | None) -> float:
    import tracemalloc

    tracemalloc.start()
    client.post(url, data) if data else client.get(url)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def measure(skip_slow: set[str]) -> None:
    """One request per page (plus one for memory), printed as JSON lines for the parent."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = Client()
    client.force_login(user)
    client.get("/admin/")  # warm: templates, the session
    for label, url, data in _pages():
        if label in skip_slow:
            continue
        seconds, size, queries = _request(client, url, data)
        peak = _peak_mb(client, url, data) if seconds < SLOW_SECONDS else None
        print(json.dumps({"page": label, "s": seconds, "bytes": size, "q": queries, "mb": peak}))
        sys.stdout.flush()


def list_edits() -> None:
    """Issue 16, point 8: a 50,000-id edit refused, a 10,000-id edit applied, and the old
    merge beside the new one."""
    from flags import services
    from flags.errors import FlagValidationError
    from llmhub.actors import Actor

    actor, ids = Actor.system("bench"), [f"user-{n}" for n in range(50_000)]
    started = time.perf_counter()
    with contextlib.suppress(FlagValidationError):
        services.flag_edit_lists(name="flag-00001", actor=actor, source="api", whitelist_add=ids)
    refused = time.perf_counter() - started
    started = time.perf_counter()
    services.flag_edit_lists(
        name="flag-00002", actor=actor, source="api", whitelist_add=ids[:9_980]
    )
    applied = time.perf_counter() - started
    print(f"50,000-id edit refused in {refused * 1000:.1f} ms (no query, no lock)")
    print(f"9,980 ids added to a 20-id list (10,000 in all) in {applied * 1000:.1f} ms")
    for count in (10_000, 20_000):
        current, add = ids[:20], ids[20 : 20 + count]
        new_s = _timed(services.edited_user_ids, current, add)
        old_s = _timed(_old_edited, current, add)
        print(f"merge of {count:,} ids: new {new_s * 1000:.1f} ms, old {old_s * 1000:.0f} ms")


def _timed(merge: Any, current: list[str], add: list[str]) -> float:
    started = time.perf_counter()
    merge(current, add, [])
    return time.perf_counter() - started


def _old_edited(current: list[str], add: list[str], remove: list[str]) -> list[str]:
    """The merge as it was before issue 16 (a list lookup per id), for the comparison."""
    removed = set(remove)
    result = [user for user in current if user not in removed]
    result.extend(user for user in add if user not in result)
    return result


# --- the parent: data, rounds, the table -----------------------------------------------------


def _child(code: Path, *args: str) -> list[dict[str, Any]]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", str(code), *args]
    out = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _export(ref: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="admin-bench-"))
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _table(results: dict[str, dict[str, list[dict[str, Any]]]]) -> None:
    names = list(results)
    print(f"{'page':<30}" + "".join(f"{n:>34}" for n in names))
    print(f"{'':<30}" + "".join(f"{'median s  bytes  queries  peak MB':>34}" for _ in names))
    for page in results[names[0]]:
        row = f"{page:<30}"
        for name in names:
            rows = results[name].get(page, [])
            row += f"{_cell(rows):>34}"
        print(row)


def _cell(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "-"
    seconds = statistics.median(r["s"] for r in rows)
    peaks = [r["mb"] for r in rows if r["mb"] is not None]
    peak = f"{max(peaks):.1f}" if peaks else "-"
    flag = "" if seconds < PAGE_LIMIT_SECONDS and rows[0]["bytes"] < PAGE_LIMIT_BYTES else " !"
    return f"{seconds:.3f} {rows[0]['bytes']:>8} {rows[0]['q']:>4} {peak:>6}{flag}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--compare", metavar="REF")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--drop", action="store_true")
    parser.add_argument("--child", metavar="CODE")
    parser.add_argument("--do", choices=["build", "measure", "lists"])
    parser.add_argument("--skip", action="append", default=[])
    args = parser.parse_args()
    if args.child:
        _django(Path(args.child))
        {"build": lambda: build(args.events), "measure": lambda: measure(set(args.skip))}.get(
            args.do, list_edits
        )()
        return
    sys.path.insert(0, str(ROOT))
    from bench.common import ensure_database

    if args.drop:
        _drop()
        return
    if not args.reuse:
        ensure_database(DATABASE_URL, fresh=True)
        print(f"building {FLAGS:,} flags, 200,000 history rows, {args.events:,} events ...")
        child = [sys.executable, __file__, "--child", str(ROOT), "--do", "build"]
        subprocess.run([*child, "--events", str(args.events)], check=True)
    _rounds(args)


def _rounds(args: argparse.Namespace) -> None:
    codes = {"now": ROOT}
    if args.compare:
        codes[args.compare] = _export(args.compare)
    results: dict[str, dict[str, list[dict[str, Any]]]] = {name: {} for name in codes}
    for round_number in range(args.rounds):
        for name, code in codes.items():
            slow = [p for p, rows in results[name].items() if rows[0]["s"] >= SLOW_SECONDS]
            skips = [a for page in slow for a in ("--skip", page)]
            for row in _child(code, "--do", "measure", *skips):
                results[name].setdefault(row["page"], []).append(row)
        print(f"round {round_number + 1} done", flush=True)
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores")
    _table(results)
    print()
    subprocess.run([sys.executable, __file__, "--child", str(ROOT), "--do", "lists"], check=True)


def _drop() -> None:
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"dropped {name}")


if __name__ == "__main__":
    main()
