"""Running a document's shell blocks exactly as written: what the docs tests share.

A doc test finds a fenced block by what it contains and runs it with bash (`-euo pipefail`)
in the checkout, against a live server, with the environment an operator would have: this
interpreter's bin first on PATH, the test database, `LLMHUB_URL` and, when given, a token.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from flags.tests.support.services import database_url

ROOT = Path(__file__).resolve().parents[1]


def blocks(path: Path, kind: str = "sh") -> list[str]:
    """The fenced blocks of `kind` in `path`, in order."""
    return re.findall(rf"```{kind}\n(.*?)```", path.read_text(), flags=re.S)


def block(path: Path, containing: str) -> str:
    """The first `sh` block of `path` that contains `containing`."""
    return next(found for found in blocks(path) if containing in found)


def run(script: str, env: dict[str, str], cwd: Path = ROOT, *, timeout: int = 300) -> str:
    """Run `script` as the docs show it; its stdout, or a failure showing what it printed."""
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, f"{script}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def operator_env(server_url: str, token: str | None = None) -> dict[str, str]:
    """The environment of an operator's shell beside the server the test started."""
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "DJANGO_SETTINGS_MODULE": "llmhub.settings.test",
        "DATABASE_URL": database_url(),
        "LLMHUB_URL": server_url,
    }
    if token is not None:
        env["LLMHUB_TOKEN"] = token
    return env
