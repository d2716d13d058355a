"""What `make run` prints before it serves: `bin/demo` (its setup) ends with the admin login
and the address as plain lines, not buried in JSON log lines."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COUNT_NEW_HUB_USERS = (
    "import flags; from flags.models import Flag; "
    "print(Flag.objects.get(name='unified_llm_hub').rollout_percentage, "
    "sum(flags.evaluate('unified_llm_hub', f'user{i:03d}').enabled for i in range(1, 21)))"
)


def _development_env(database: Path) -> dict[str, str]:
    """The environment `make run` gives its commands: .env.development over a clean shell."""
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHON": sys.executable,
    }
    for line in (ROOT / ".env.development").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key.strip()] = value.strip()
    return env


def test_demo_setup__ends_with_readable_login_and_address(tmp_path: Path) -> None:
    done = subprocess.run(
        ["bin/demo"],
        cwd=ROOT,
        env=_development_env(tmp_path / "db.sqlite3"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    lines = [line.strip() for line in done.stdout.splitlines() if line.strip()]
    # The seeding's JSON log lines (one per flag change) stay quiet at the commands.
    assert not [line for line in lines if line.startswith("{")], done.stdout[-3000:]
    assert lines[-4:] == [
        "LLM Hub (development): http://127.0.0.1:8000/",
        "Admin login: http://127.0.0.1:8000/admin/  user: admin  password: llmhub-admin",
        "The hub:     http://127.0.0.1:8000/admin/llm-management/",
        "Other logins: under 'Development logins' above (seed_test_data).",
    ]
    assert "Development logins" in done.stdout
    # The README's promise for these logins: at the seeded 25 % rollout some of user001..user020
    # get the new hub and the others the old pages (the flag comes from .env.development).
    count = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v0", "-c", COUNT_NEW_HUB_USERS],
        cwd=ROOT,
        env=_development_env(tmp_path / "db.sqlite3"),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    rollout, on = (int(value) for value in count.stdout.split())
    assert rollout == 25
    assert 0 < on < 20


def test_make_run__is_bin_demo_then_runserver() -> None:
    """The test above runs bin/demo: it is what `make run` runs, before runserver's banner."""
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: demo\n\t.*manage\.py runserver 127\.0\.0\.1:8000$", makefile, re.M)
    assert re.search(r"^demo: .*\n\t.*bin/demo$", makefile, re.M)
