"""`manage.py flags ...`: every subcommand, and bad input exits non-zero changing nothing."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from flags.models import Flag, FlagChange

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> str:
    out = StringIO()
    call_command("flags", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def hub() -> None:
    run("create", "hub", "--rollout", "10", "--tags", "hub,beta", "--enabled")


def test_create_and_show(hub) -> None:
    shown = json.loads(run("show", "hub"))
    assert shown["rollout_percentage"] == 10 and shown["tags"] == ["beta", "hub"]
    assert FlagChange.objects.get(flag_name="hub").source == "command"


def test_list__filters_by_tag(hub) -> None:
    run("create", "other")
    assert "hub" in run("list", "--tags", "beta") and "other" not in run("list", "--tags", "beta")


def test_enable_disable_rollout(hub) -> None:
    run("disable", "hub")
    assert Flag.objects.get(name="hub").enabled is False
    run("enable", "hub")
    run("rollout", "hub", "75")
    flag = Flag.objects.get(name="hub")
    assert (flag.enabled, flag.rollout_percentage, flag.version) == (True, 75, 4)


def test_whitelist_and_blacklist_add_remove(hub) -> None:
    run("whitelist", "add", "hub", "amy", "bob")
    run("whitelist", "remove", "hub", "amy")
    run("blacklist", "add", "hub", "eve")
    flag = Flag.objects.get(name="hub")
    assert (flag.whitelist_users, flag.blacklist_users) == (["bob"], ["eve"])


def test_history_and_rollback(hub) -> None:
    run("rollout", "hub", "90", "--comment", "ramp up")
    assert "ramp up" in run("history", "hub")
    run("rollback", "hub", "1")
    assert Flag.objects.get(name="hub").rollout_percentage == 10


def test_export_validate_import_roundtrip(hub, tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(run("export"))
    assert "1 flags, valid" in run("validate", str(path))
    document = json.loads(path.read_text())
    document["flags"][0]["rollout_percentage"] = 55
    document["flags"].append({"name": "fresh", "enabled": True})
    path.write_text(json.dumps(document))
    dry = run("import", str(path), "--dry-run")
    assert "Would create: fresh" in dry and "Would update: hub" in dry
    assert not Flag.objects.filter(name="fresh").exists()
    run("import", str(path))
    assert Flag.objects.get(name="hub").rollout_percentage == 55
    assert Flag.objects.filter(name="fresh").exists()


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"flags": {}}',
        '{"flags": [{"name": "x", "rollout_percentage": 150}]}',
        '{"flags": [{"name": "x"}, {"name": "x"}]}',
        '{"flags": [{"name": "ok"}, {"name": "Bad Name"}]}',
    ],
)
def test_import__invalid_file_changes_nothing(content: str, tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(content)
    with pytest.raises(CommandError):
        run("validate", str(path))
    with pytest.raises(CommandError):
        run("import", str(path))
    assert Flag.objects.count() == 0


@pytest.mark.parametrize(
    "args",
    [
        ("rollout", "hub", "150"),
        ("enable", "ghost"),
        ("show", "ghost"),
        ("rollback", "hub", "99"),
        ("create", "hub"),
        ("disable", "hub", "--expected-version", "7"),
    ],
)
def test_bad_input__command_error_and_nothing_changes(hub, args: tuple[str, ...]) -> None:
    before = FlagChange.objects.count()
    with pytest.raises(CommandError):
        run(*args)
    assert FlagChange.objects.count() == before


def test_bad_input__one_line_on_stderr_and_nonzero_exit(tmp_path: Path) -> None:
    env_db = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    base = [sys.executable, "manage.py", "flags"]
    env = {"DATABASE_URL": env_db, "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    for args in (["rollout", "hub", "abc"], ["frobnicate"], ["enable", "ghost"]):
        done = subprocess.run(base + args, cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode != 0
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_routine_change_from_the_shell__logs_info_never_a_warning(
    hub, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks
) -> None:
    caplog.set_level(logging.DEBUG, logger="telemetry.events")
    with django_capture_on_commit_callbacks(execute=True):
        run("rollout", "hub", "30", "--comment", "ramp up")
    events = [r for r in caplog.records if r.name == "telemetry.events"]
    assert {(r.getMessage(), r.levelname) for r in events} == {
        ("flag_change", "INFO"),
        ("security", "INFO"),
    }


def test_whitelist_remove__absent_user__refused_naming_them_and_nothing_changes(hub) -> None:
    run("whitelist", "add", "hub", "amy")
    before = FlagChange.objects.count()
    with pytest.raises(CommandError, match="not on the whitelist: carol") as refused:
        run("whitelist", "remove", "hub", "amy", "carol")
    assert "amy" in str(refused.value)  # what the list holds, to spot the typo
    assert Flag.objects.get(name="hub").whitelist_users == ["amy"]
    assert FlagChange.objects.count() == before


def test_validate__reports_every_problem_of_the_file_at_once(tmp_path: Path) -> None:
    path = tmp_path / "flags.json"
    path.write_text(
        json.dumps(
            {
                "flags": [
                    {"name": "Bad Name", "rollout_percentage": 150, "tags": "x"},
                    {"name": "fine"},
                    7,
                    {"name": "fine", "enabled": "yes"},
                ]
            }
        )
    )
    with pytest.raises(CommandError) as refused:
        run("validate", str(path))
    lines = str(refused.value).splitlines()
    assert [re.search(r"flags\[\d\][.\w]*", line).group() for line in lines] == [
        "flags[0].name",
        "flags[0].rollout_percentage",
        "flags[0].tags",
        "flags[2]",
        "flags[3].enabled",
        "flags[3]",
    ]


def test_validate__duplicate_of_an_invalid_entry__reported_too(tmp_path: Path) -> None:
    # the first "twin" is invalid on its own; the second still repeats its name
    path = tmp_path / "flags.json"
    path.write_text(
        json.dumps({"flags": [{"name": "twin", "rollout_percentage": 150}, {"name": "twin"}]})
    )
    with pytest.raises(CommandError) as refused:
        run("validate", str(path))
    lines = str(refused.value).splitlines()
    assert len(lines) == 2, lines
    assert "flags[0].rollout_percentage" in lines[0]
    assert "flags[1]: Duplicate flag name 'twin'." in lines[1]


def test_history__unknown_name__refused_instead_of_printing_nothing() -> None:
    with pytest.raises(CommandError, match="'ghost'"):
        run("history", "ghost")
