"""The hub's pages side by side: the unified hub (all four panels) against the old pages,
and check_access against its floor (the rule list already in memory).

Runs on its own SQLite file with the seeded data (DEBUG off, local-memory cache), through
Django's test client, so the figures are the server's work per request without the network.

    .venv/bin/python bench/hub_pages_bench.py [--requests 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = Path(tempfile.gettempdir()) / "llmhub_hub_bench.sqlite3"
os.environ.update(
    {
        "DJANGO_SETTINGS_MODULE": "llmhub.settings.local",
        "DJANGO_DEBUG": "false",
        "DATABASE_URL": f"sqlite:///{DB}",
        "LOG_LEVEL": "ERROR",
        "DJANGO_ALLOWED_HOSTS": "testserver",
    }
)
os.environ.pop("REDIS_URL", None)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from flags.testutils import override_flag  # noqa: E402
from llmhub.hub.access import decide_access  # noqa: E402
from llmhub.hub.permissions import hub_users_group_ensure  # noqa: E402
from llmhub.hub.selectors import access_rules, check_access, tier_get  # noqa: E402

PAGES = [
    ("hub (root, all 4 panels)", "/admin/llm-management/", True),
    ("hub rules tab", "/admin/llm-management/rules/", True),
    (
        "hub rules + checker",
        "/admin/llm-management/rules/?check-tier=starter&check-model=openai/gpt-4o",
        True,
    ),
    ("old providers (root)", "/admin/llm-management/", False),
    ("old models", "/admin/llm-management/old/models/", False),
    ("old routing", "/admin/llm-management/old/routing/", False),
    ("old usage", "/admin/llm-management/old/usage/", False),
]


def setup() -> Client:
    DB.unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    call_command("seed_test_data", stdout=open(os.devnull, "w"))  # noqa: SIM115
    user = get_user_model().objects.create_user("bench", password="x", is_staff=True)
    user.groups.add(hub_users_group_ensure())  # the hub's pages need its permissions
    client = Client()
    client.force_login(user)
    return client


def time_page(client: Client, url: str, hub: bool, requests: int) -> tuple[float, float, int]:
    with override_flag("unified_llm_hub", active=hub):
        client.get(url)
        queries: list[str] = []

        def count(execute: Any, sql: str, *args: Any) -> Any:
            queries.append(sql)
            return execute(sql, *args)

        with connection.execute_wrapper(count):
            client.get(url)
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            client.get(url)
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], len(queries)


def time_call(fn: object, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        fn()  # type: ignore[operator]
    return (time.perf_counter() - started) / repeat * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    args = parser.parse_args()
    client = setup()
    print(f"{'page':34} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, url, hub in PAGES:
        median, p95, queries = time_page(client, url, hub, args.requests)
        print(f"{label:34} {median:10.1f} {p95:8.1f} {queries:8d}")
    rules = access_rules(tier=tier_get(slug="starter"))
    pure = time_call(lambda: decide_access("starter", "openai/gpt-4o", rules), 20_000)
    full = time_call(lambda: check_access("starter", "openai/gpt-4o"), 2_000)
    print(f"\n{'check_access':34} {'µs/call':>10}")
    print(f"{'decide_access (rules in memory)':34} {pure:10.1f}")
    print(f"{'check_access (2 queries)':34} {full:10.1f}")
    DB.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
