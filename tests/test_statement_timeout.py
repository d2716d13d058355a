"""DATABASE_STATEMENT_TIMEOUT_MS reaches PostgreSQL as the session's statement_timeout (bin/web
sets it for the web processes from WEB_STATEMENT_TIMEOUT_MS); unset, statements have none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from telemetry.tests.worker import database_url

ROOT = Path(__file__).resolve().parents[1]
SHOW = (
    "from django.db import connection\n"
    "with connection.cursor() as c:\n"
    "    c.execute('SHOW statement_timeout'); print(c.fetchone()[0])"
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _statement_timeout(**env: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SHOW],
        cwd=ROOT,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DJANGO_SETTINGS_MODULE": "llmhub.settings.local",
            "DATABASE_URL": database_url(),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_statement_timeout__set__is_the_sessions_statement_timeout() -> None:
    assert _statement_timeout(DATABASE_STATEMENT_TIMEOUT_MS="1500") == "1500ms"


def test_statement_timeout__unset__none() -> None:
    assert _statement_timeout() == "0"
