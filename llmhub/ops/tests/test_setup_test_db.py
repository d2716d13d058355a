"""`manage.py setup_test_db`, run as a real process against real databases.

Each test points DATABASE_URL at a database of its own (never the suite's), so the command's
drop-and-recreate can only ever touch what the test made.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.conf import settings
from psycopg import sql
from psycopg.conninfo import make_conninfo

ROOT = Path(__file__).resolve().parents[3]


def setup_test_db(database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": database_url}
    env["DJANGO_SETTINGS_MODULE"] = "llmhub.settings.test"
    return subprocess.run(
        [sys.executable, "manage.py", "setup_test_db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_setup_test_db__non_test_name__refused_at_step_1_and_nothing_changes(
    tmp_path: Path,
) -> None:
    database = tmp_path / "llmhub.sqlite3"
    database.write_bytes(b"precious data")
    result = setup_test_db(f"sqlite:///{database}")
    assert result.returncode != 0
    assert "step 1 (check the name) failed" in result.stderr
    assert "[2/5]" not in result.stdout
    assert database.read_bytes() == b"precious data"


def test_setup_test_db__nothing_listens__step_2_fails_and_says_so() -> None:
    result = setup_test_db(f"postgres://postgres@127.0.0.1:{free_port()}/llmhub_ops_test_nowhere")
    assert result.returncode != 0
    assert "step 2 (drop and recreate) failed" in result.stderr
    assert "[3/5]" not in result.stdout


def test_setup_test_db__sqlite__runs_every_step(tmp_path: Path) -> None:
    database = tmp_path / "llmhub_test.sqlite3"
    database.write_bytes(b"stale, to be replaced")
    result = setup_test_db(f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    for step in ("[1/5]", "[2/5]", "[3/5]", "[4/5]", "[5/5] check row counts"):
        assert step in result.stdout
    assert f"Test database ready: sqlite:///{database}" in result.stdout


# PostgreSQL: a database of the test's own, dropped at teardown.


def server_params() -> dict[str, Any]:
    default = settings.DATABASES["default"]
    return {
        "user": default.get("USER") or "postgres",
        "password": default.get("PASSWORD") or "",
        "host": default.get("HOST") or "127.0.0.1",
        "port": int(default.get("PORT") or 5432),
    }


def admin_connection() -> psycopg.Connection[Any]:
    params = {k: v for k, v in server_params().items() if v}
    return psycopg.connect(make_conninfo("", dbname="postgres", **params), autocommit=True)


@pytest.fixture
def own_database() -> Iterator[str]:
    name = f"llmhub_ops_test_{uuid.uuid4().hex[:10]}"
    yield name
    with admin_connection() as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def url_for(name: str, *, password: str) -> str:
    p = server_params()
    return f"postgres://{p['user']}:{password}@{p['host']}:{p['port']}/{name}"


@pytest.mark.postgres
def test_setup_test_db__postgres__runs_every_step_and_masks_the_password(
    own_database: str,
) -> None:
    # Trust auth ignores a password, so one is always in the URL; a real one when configured.
    password = server_params()["password"] or "hunter2-not-shown"
    result = setup_test_db(url_for(own_database, password=password))
    assert result.returncode == 0, result.stderr
    assert "[5/5] check row counts" in result.stdout
    p = server_params()
    masked = f"postgres://{p['user']}:****@{p['host']}:{p['port']}/{own_database}"
    assert f"Test database ready: {masked}" in result.stdout
    assert password not in result.stdout + result.stderr
    params = {k: v for k, v in server_params().items() if v}
    with psycopg.connect(make_conninfo("", dbname=own_database, **params)) as conn:
        events = conn.execute("SELECT count(*) FROM telemetry_event").fetchone()
        flags = conn.execute("SELECT count(*) FROM flags_flag").fetchone()
    assert events is not None and events[0] > 4_000
    assert flags is not None and flags[0] >= 3


@pytest.mark.postgres
def test_setup_test_db__postgres_non_test_name__refused_and_left_alone() -> None:
    name = f"llmhub_ops_keep_{uuid.uuid4().hex[:10]}"
    with admin_connection() as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        params = {k: v for k, v in server_params().items() if v}
        with psycopg.connect(make_conninfo("", dbname=name, **params), autocommit=True) as conn:
            conn.execute("CREATE TABLE precious (id int); INSERT INTO precious VALUES (42)")
        result = setup_test_db(url_for(name, password=server_params()["password"] or "x"))
        assert result.returncode != 0
        assert "step 1 (check the name) failed" in result.stderr
        with psycopg.connect(make_conninfo("", dbname=name, **params)) as conn:
            assert conn.execute("SELECT id FROM precious").fetchall() == [(42,)]
    finally:
        with admin_connection() as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
