"""`manage.py flags` asked for the state a flag is already in says nothing changed.

Before, `flags rollout hub 25` on a flag at 25 % printed "rollout 25% (version 13)" and a
rollback to the current configuration "rolled back to version 3 (version 3)", as if something
had been done.
"""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from flags.models import Flag, FlagChange

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command("flags", *args, stdout=out)
    return out.getvalue().strip()


@pytest.fixture
def hub() -> None:
    run("create", "hub", "--rollout", "25", "--enabled")
    run("whitelist", "add", "hub", "alice")
    run("blacklist", "add", "hub", "mallory")


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("rollout", "hub", "25"), "hub: rollout already 25%; nothing changed (version 3)."),
        (("enable", "hub"), "hub: already enabled; nothing changed (version 3)."),
        (
            ("rollback", "hub", "3"),
            "hub: the configuration of version 3 is the current one; nothing changed (version 3).",
        ),
        (
            ("whitelist", "add", "hub", "alice"),
            "hub: already on the whitelist: alice; nothing changed (version 3).",
        ),
        (
            ("blacklist", "add", "hub", "mallory"),
            "hub: already on the blacklist: mallory; nothing changed (version 3).",
        ),
    ],
)
def test_no_op__says_nothing_changed_and_records_nothing(
    hub, args: tuple[str, ...], said: str
) -> None:
    before = FlagChange.objects.count()
    assert run(*args) == said
    assert FlagChange.objects.count() == before and Flag.objects.get().version == 3


def test_disable_twice__second_says_already_disabled(hub) -> None:
    assert run("disable", "hub") == "hub: disabled (version 4)"
    assert run("disable", "hub") == "hub: already disabled; nothing changed (version 4)."


def test_real_changes__still_reported_as_done(hub) -> None:
    assert run("rollout", "hub", "30") == "hub: rollout 30% (version 4)"
    assert run("rollback", "hub", "3") == "hub: rolled back to version 3 (version 5)"
    assert (
        run("whitelist", "add", "hub", "alice", "bob")
        == "hub: whitelist now alice, bob (version 6)"
    )


def test_no_op_rollout__as_run_from_a_shell(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    base = [sys.executable, "manage.py", "flags"]
    for args in (["create", "x", "--rollout", "25"], ["rollout", "x", "25"]):
        done = subprocess.run(base + args, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "x: rollout already 25%; nothing changed (version 1)."
