"""Every management command of the project, given bad input as a user types it: one clear line
per problem on stderr naming the bad value, a non-zero exit, no usage block, no traceback and no
internal name (`_count`, `CommandError`)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from tests.system.processes import manage_py

ROOT = Path(__file__).resolve().parents[1]
BAD_FLAG_FILE = """{"flags": [
  {"name": "Bad Name", "rollout_percentage": 150},
  {"name": "ok"},
  {"name": "ok", "enabled": "yes"}
]}"""

# (arguments, how many problems, what the lines must name)
CASES: list[tuple[list[str], int, list[str]]] = [
    (["aggregate_events", "--since", "yesterday"], 1, ["'yesterday'", "ISO 8601"]),
    (
        ["aggregate_events", "--since", "yesterday", "--until", "never"],
        2,
        ["--since 'yesterday'", "--until 'never'"],
    ),
    (["aggregate_events", "--until", "2026-11-01"], 1, ["--until needs --since"]),
    (["seed_test_data", "--users", "abc"], 1, ["--users", "'abc'", "whole number"]),
    (["seed_test_data", "--events", "-5"], 1, ["--events", "'-5'"]),
    (["seed_test_data", "--only", "catalog,nope"], 1, ["nope", "catalog, tiers"]),
    (["flags", "validate", "{bad_file}"], 4, ["flags[0].name", "flags[0].rollout_percentage"]),
    (["flags", "whitelist", "remove", "hub", "carol"], 1, ["carol", "not on the whitelist"]),
    (["flags", "whitelist", "add", "hub", "bad,user"], 1, ["'bad,user'", "comma"]),
    (["flags", "history", "ghost"], 1, ["'ghost'"]),
    (["flags", "history", "hub", "--limit", "-1"], 1, ["--limit", "'-1'"]),
    (["flags", "rollout", "hub", "150"], 1, ["percentage", "0..100", "'150'"]),
    (["flags", "rollback", "hub", "abc"], 1, ["version", "'abc'"]),
    (["flags", "frobnicate"], 1, ["'frobnicate'"]),
    (["flags", "list", "--tags", "Hub Pages"], 1, ["--tags 'Hub Pages'"]),
    (["flags", "import", "/nonexistent/flags.json"], 1, ["/nonexistent/flags.json", "cannot read"]),
    (["triggers", "create", "ghost", "--label", "pager"], 1, ["'ghost'"]),
    (["triggers", "create", "hub", "--label", " "], 1, ["--label", "1 to 100"]),
    (["triggers", "revoke", "ltr_nothere"], 1, ["'ltr_nothere'"]),
    (["webhooks", "frobnicate"], 1, ["'frobnicate'"]),
    (["tokens", "create", "--user", "ghost", "--scope", "write"], 1, ["'ghost'"]),
    (["tokens", "create", "--user", "admin", "--scope", "admin"], 1, ["--scope", "'admin'"]),
    (["tokens", "revoke", "lhk_nothere"], 1, ["'lhk_nothere'"]),
    (["load_demo", "--password", ""], 1, ["--password"]),
    (["rotate_provider_keys", "--all"], 1, ["--all"]),
    (["setup_test_db"], 1, ["step 1", "does not mark it as a test database"]),
    (["rollout", "show", "hub"], 1, ["'hub'", "no rollout plan"]),
    (["rollout", "pause", "ghost"], 1, ["'ghost'", "no rollout plan"]),
    (["rollout", "plan", "ghost"], 1, ["'ghost'"]),
    (["rollout", "simulate", "--new-error-rate", "3"], 1, ["'3'", "0 to 1"]),
    (["rollout", "simulate", "--new-error-rate", "abc"], 1, ["'abc'", "rate"]),
    (["rollout", "simulate", "--minutes", "0"], 1, ["--minutes", "'0'"]),
]


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated database with one flag, as a user's shell sees it."""
    directory = tmp_path_factory.mktemp("shell")
    (directory / "bad.json").write_text(BAD_FLAG_FILE)
    env = {
        "DATABASE_URL": f"sqlite:///{directory / 'llmhub.sqlite3'}",
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "BAD_FILE": str(directory / "bad.json"),
    }
    for args in (["migrate", "-v0"], ["flags", "create", "hub", "--enabled"]):
        manage_py(*args, env=env, check=True)
    return env


@pytest.mark.parametrize(("args", "problems", "named"), CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_input__one_clear_line_per_problem_and_nonzero_exit(
    shell: dict[str, str], args: list[str], problems: int, named: list[str]
) -> None:
    args = [arg.replace("{bad_file}", shell["BAD_FILE"]) for arg in args]
    done = manage_py(*args, env=shell)
    lines = done.stderr.strip().splitlines()
    assert done.returncode != 0, done.stdout
    assert len(lines) == problems, done.stderr
    assert all(line.startswith("Error: ") for line in lines), done.stderr
    for text in named:
        assert text in done.stderr, done.stderr
    for internal in ("Traceback", "usage:", "_count", "CommandError", "invalid int value"):
        assert internal not in done.stderr, done.stderr


def test_every_command_of_the_project_is_in_the_cases() -> None:
    """A new command gets its bad-input case here too."""
    commands = {
        path.stem
        for path in ROOT.glob("*/**/management/commands/*.py")
        if ".venv" not in path.parts and path.stem != "__init__"
    }
    assert commands == {case[0][0] for case in CASES}


def test_database_unreachable__one_line_not_a_traceback(shell: dict[str, str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**shell, "DATABASE_URL": f"postgres://postgres@127.0.0.1:{port}/llmhub"}
    done = manage_py("flags", "disable", "unified_llm_hub", env=env)
    assert done.returncode != 0
    assert done.stderr.startswith("Error: the database is unreachable: "), done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
