"""Flag evaluation cost against a floor measured in the same run.

    .venv/bin/python bench/eval_bench.py [--calls N] [--repeats R]

Floor: one dict lookup, one mmh3 hash of a prepared "group:subject" string and one set membership
test - the least work any percentage-rollout check does. Printed: median µs per call over R
repeats, and the ratio to the floor. Targets (issue 2): evaluate <= 5x, is_enabled (warm) <= 15x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _django(db_path: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "llmhub.settings.local"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_DEBUG"] = "false"  # DEBUG would record every query
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _median_us(fn: Callable[[int], None], calls: int, repeats: int) -> float:
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn(calls)
        samples.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _django(str(Path(tmp) / "bench.sqlite3"))
        run(args.calls, args.repeats)


def run(calls: int, repeats: int) -> None:
    import mmh3

    import flags
    from flags import services
    from flags.evaluation import evaluate
    from flags.types import EvaluationContext
    from llmhub.actors import Actor

    services.flag_create(
        name="hub",
        actor=Actor.system("bench"),
        source="command",
        enabled=True,
        rollout_percentage=50,
        whitelist_users=["amy", "bob"],
    )
    subjects = [f"user-{i}" for i in range(1024)]
    keys = [f"hub:{s}" for s in subjects]
    table = {"hub": object()}
    members = frozenset({"amy", "bob"})
    snapshot = flags.client.store.get("hub")
    contexts = [EvaluationContext(subject=s, now=time.time()) for s in subjects]

    def floor(n: int) -> None:
        for i in range(n):
            table["hub"]
            mmh3.hash(keys[i & 1023], 0, False)
            subjects[i & 1023] in members  # noqa: B015 - the membership test is the work

    def pure(n: int) -> None:
        for i in range(n):
            evaluate(snapshot, contexts[i & 1023])

    def warm(n: int) -> None:
        for i in range(n):
            flags.is_enabled("hub", subjects[i & 1023])

    flags.is_enabled("hub", "warm-up")
    measured = [("floor", floor), ("evaluate", pure), ("is_enabled", warm)]
    measured += _group_entries(calls)
    results = {name: _median_us(fn, calls, repeats) for name, fn in measured}
    base = results["floor"]
    print(f"{'what':38} {'µs/call':>8} {'x floor':>8} {'target':>7}")
    targets = {"floor": "", "evaluate": "<=5x", "is_enabled": "<=15x"}
    labels = {
        "floor": "floor (dict + mmh3 + set membership)",
        "evaluate": "flags.evaluation.evaluate (50% rollout)",
        "is_enabled": "flags.is_enabled (warm)",
        "request": "is_enabled(request=) no group entries",
        "request_groups": "is_enabled(request=) group:dev-team",
    }
    for name, value in results.items():
        print(f"{labels[name]:38} {value:8.3f} {value / base:8.2f} {targets.get(name, ''):>7}")
    print(f"({calls} calls x {repeats} repeats, median; Python {sys.version.split()[0]})")


def _group_entries(calls: int) -> list[tuple[str, Callable[[int], None]]]:
    """The hub's gate as a signed-in request asks it: a flag without group entries, and one
    whitelisting `group:dev-team` for a member (groups held by the process: warm)."""
    import flags
    from flags import services
    from llmhub.actors import Actor

    if not hasattr(flags.client, "user_groups"):  # a version without group entries
        return []
    from django.contrib.auth.models import Group, User
    from django.test import RequestFactory

    services.flag_create(
        name="hub_groups",
        actor=Actor.system("bench"),
        source="command",
        enabled=True,
        rollout_percentage=50,
        whitelist_users=["group:dev-team"],
    )
    member = User.objects.create_user("member")
    member.groups.add(Group.objects.create(name="dev-team"))
    request = RequestFactory().get("/")
    request.user = User.objects.get(pk=member.pk)
    flags.is_enabled("hub_groups", request=request)  # warm the process's groups

    def plain(n: int) -> None:
        for _ in range(n):
            flags.is_enabled("hub", request=request)

    def grouped(n: int) -> None:
        for _ in range(n):
            flags.is_enabled("hub_groups", request=request)

    return [("request", plain), ("request_groups", grouped)]


if __name__ == "__main__":
    main()
