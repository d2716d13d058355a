"""Settings: production refuses to start without its secrets and passes `check --deploy`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.system.processes import manage_py

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION_ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "DJANGO_SETTINGS_MODULE": "llmhub.settings.production",
    "DJANGO_SECRET_KEY": "x" * 60 + "-Production-Secret-Key-For-Check-Only",
    "DJANGO_ALLOWED_HOSTS": "hub.example.com",
    "PROVIDER_KEY_ENCRYPTION_KEYS": "uXr0wYq5Zt0sP9kG1v3H6c8dJ2mN4bQ7eR5tY8uI0oA=",
}


def test_production__refuses_without_secret_key() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_SECRET_KEY"}
    done = manage_py("check", env=env)
    assert done.returncode != 0 and "DJANGO_SECRET_KEY" in done.stderr


def test_production__refuses_without_allowed_hosts() -> None:
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DJANGO_ALLOWED_HOSTS"}
    done = manage_py("check", env=env)
    assert done.returncode != 0 and "DJANGO_ALLOWED_HOSTS" in done.stderr


def test_production__passes_check_deploy() -> None:
    done = manage_py("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert done.returncode == 0, done.stdout + done.stderr


def test_embedded_default__sqlite_locmem_eager(tmp_path: Path) -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
        "s.CELERY_TASK_ALWAYS_EAGER)"
    )
    env = {"PATH": PRODUCTION_ENV["PATH"], "DJANGO_SETTINGS_MODULE": "llmhub.settings.local"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "True",
    ]
