"""README.md cannot rot: its `sh` blocks run as written, all of them, in order, in one shell,
against a fresh `make run` (its setup `bin/demo` on a new SQLite file, then `manage.py
runserver`), and answer what the README says they answer.

Selection rule (stated in the README too): every ```sh block runs; blocks that start servers or
the test suite are ```console blocks and do not. The only thing the test sets is the address,
through `LLMHUB_URL`, which the README's first block reads.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from flags.tests.support.services import free_port
from tests.system.processes import wait_healthy
from tests.test_make_run import _development_env

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
MARK = "@@readme-block@@"


def sh_blocks() -> list[str]:
    return re.findall(r"^```sh\n(.*?)^```", README.read_text(), flags=re.S | re.M)


def _run_all(blocks: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Every block in one shell, so variables carry from one to the next, as in a terminal."""
    script = "".join(f"echo {MARK}\n{block}\n" for block in blocks) + f"echo {MARK}\n"
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def readme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A fresh `make run`, the README run against it, and what each block printed."""
    home = tmp_path_factory.mktemp("readme")
    database = home / "db.sqlite3"
    env = _development_env(database)
    subprocess.run(["bin/demo"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=300)
    url = f"http://127.0.0.1:{free_port()}"
    log = home / "runserver.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", url.removeprefix("http://"), "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_healthy(url, {"runserver": server}, {"runserver": log})
        # A user's checkout: manage.py and .venv (the one running these tests) where the README
        # expects them; files the examples write (flags.json) land here, not in the repository.
        work = home / "checkout"
        work.mkdir()
        (work / "manage.py").symlink_to(ROOT / "manage.py")
        (work / ".venv").symlink_to(Path(sys.prefix))
        blocks = sh_blocks()
        done = _run_all(blocks, {**env, "LLMHUB_URL": url}, work)
        outputs = done.stdout.split(MARK + "\n")[1:]
        yield {
            "done": done,
            "blocks": blocks,
            "outputs": outputs,
            "database": database,
            "work": work,
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def output_of(readme: dict[str, Any], containing: str) -> str:
    index = next(i for i, block in enumerate(readme["blocks"]) if containing in block)
    return str(readme["outputs"][index])


def documents(text: str) -> list[Any]:
    """The JSON documents in a block's output, in order (curl prints them back to back)."""
    decoder, found, at = json.JSONDecoder(), [], 0
    while match := re.compile(r"[{\[]").search(text, at):
        at = match.start()
        try:
            document, end = decoder.raw_decode(text, at)
        except ValueError:
            at += 1
            continue
        found.append(document)
        at = end
    return found


def statuses(text: str) -> list[int]:
    return [int(code) for code in re.findall(r"^HTTP/1\.[01] (\d{3})", text, flags=re.M)]


def test_readme__marks_what_does_not_run() -> None:
    text = README.read_text()
    assert len(sh_blocks()) >= 7
    assert re.search(r"^```console\nmake run", text, flags=re.M)
    assert not re.search(r"^```(bash|shell)\n", text, flags=re.M)  # sh or console, nothing else


def test_readme__every_sh_block_runs_in_order_and_exits_0(readme: dict[str, Any]) -> None:
    done = readme["done"]
    assert done.returncode == 0, f"block {len(readme['outputs'])} failed:\n{done.stdout[-4000:]}"
    assert len(readme["outputs"]) == len(readme["blocks"]) + 1
    everything = "".join(readme["outputs"])
    assert "Traceback" not in everything and '"error"' not in everything, everything[-4000:]


def test_readme__api_examples_answer_what_the_readme_says(readme: dict[str, Any]) -> None:
    first = output_of(readme, '"name": "new_checkout"')
    assert statuses(first) == [201]
    assert re.search(r"^Location: .*/api/v1/features/new_checkout", first, flags=re.M)
    assert re.search(r'^ETag: "1"', first, flags=re.M)
    listing, created, mine, alice, enabled = documents(first)
    assert "unified_llm_hub" in {flag["name"] for flag in listing["results"]}
    assert all({"hub", "billing"} & set(flag["tags"]) for flag in listing["results"])
    assert (listing["count"], listing["next"]) == (len(listing["results"]), None)
    assert (created["name"], created["version"]) == ("new_checkout", 1)
    assert {"flag", "enabled", "reason", "version", "config"} <= set(mine)
    assert alice["flag"] == "new_checkout" and enabled["user_id"] == "alice"

    writes = documents(output_of(readme, "-X PUT"))
    put, patch, disable, enable, rollout, history, rollback = writes
    assert (put["version"], put["rollout_percentage"], put["whitelist_users"]) == (2, 25, ["alice"])
    assert (patch["version"], patch["rollout_percentage"]) == (3, 50)
    assert (disable["enabled"], enable["enabled"], rollout["rollout_percentage"]) == (
        False,
        True,
        40,
    )
    assert [row["version"] for row in history["results"]][:3] == [6, 5, 4]
    assert (rollback["version"], rollback["rollout_percentage"]) == (7, 50)


def test_readme__ofrep_answers_as_the_readme_shows(readme: dict[str, Any]) -> None:
    block = next(b for b in readme["blocks"] if "/ofrep/v1/evaluate/flags/new_checkout" in b)
    shown = re.search(r"# -> (\{.*?\}\})\n(?!#)", block.replace("\n#     ", " "), flags=re.S)
    assert shown, "the OFREP example shows its answer"
    output = output_of(readme, "/ofrep/v1/evaluate/flags/new_checkout")
    assert documents(output)[0] == json.loads(shown.group(1))
    assert statuses(output) == [200, 304]


def test_readme__telemetry_event_is_accepted_and_stored(readme: dict[str, Any]) -> None:
    output = output_of(readme, "/api/v1/telemetry/events")
    access, ingested = documents(output)
    assert access["allowed"] is False  # the starter tier denies openai/gpt-4*
    assert ingested["stored"] == 1, ingested
    with sqlite3.connect(readme["database"]) as db:
        stored = db.execute(
            "SELECT COUNT(*) FROM telemetry_event WHERE event_type = 'performance'"
            " AND page = 'llm-hub' AND tab = 'keys' AND user_id = 'admin' AND duration_ms = 840.5"
        ).fetchone()[0]
    assert stored == 1


def test_readme__delete_comes_last_and_answers_204(readme: dict[str, Any]) -> None:
    assert statuses(output_of(readme, "-X DELETE")) == [204]
    api_blocks = [i for i, block in enumerate(readme["blocks"]) if "$B/" in block]
    assert "-X DELETE" in readme["blocks"][api_blocks[-1]]


def test_readme__shell_examples_change_the_flag_and_check_the_file(readme: dict[str, Any]) -> None:
    output = output_of(readme, "flags disable unified_llm_hub")
    assert "unified_llm_hub: disabled" in output
    assert "whitelist now" in output and "alice, bob" in output
    # the rollback undoes something (the whitelist added after version 3): a new version
    rolled_back = re.search(r"rolled back to version 3 \(version (\d+)\)", output)
    assert rolled_back and int(rolled_back.group(1)) > 3, output
    assert "unified_llm_hub: enabled" in output
    assert re.search(r"flags\.json: \d+ flags, valid\.", output)
    assert "Would create: -" in output  # the file is what is there: nothing to import
    assert (readme["work"] / "flags.json").exists()
