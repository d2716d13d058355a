"""Dropping, recreating and checking a test database, one named step at a time."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import psycopg
from django.apps import apps
from psycopg import sql
from psycopg.conninfo import make_conninfo

TEST_NAME = re.compile(r"(^|[_-])test([_-]|$)|^test|test$", re.IGNORECASE)

# Least row counts a seeded test database must have: (app label, model name) -> rows.
EXPECTED_ROWS: dict[tuple[str, str], int] = {
    ("hub", "provider"): 7,
    ("hub", "llmmodel"): 30,
    ("hub", "tier"): 5,
    ("hub", "tierrule"): 10,
    ("flags", "flag"): 3,
    ("auth", "user"): 4,
    # Telemetry, so the dashboards have something to show.
    ("telemetry", "event"): 1,
    ("telemetry", "eventsummary"): 1,
    ("telemetry", "flagevaluationcount"): 1,
}


class StepFailed(Exception):
    pass


def is_test_name(name: str) -> bool:
    """`llmhub_test`, `test_llmhub`, `test`: yes. `llmhub`, `contest`: no."""
    return bool(TEST_NAME.search(Path(name).stem if name.endswith(".sqlite3") else name))


def masked_url(params: dict[str, Any]) -> str:
    engine = params["ENGINE"]
    if engine.endswith("sqlite3"):
        return f"sqlite:///{params['NAME']}"
    password = ":****" if params.get("PASSWORD") else ""
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    return f"postgres://{params.get('USER') or ''}{password}@{host}:{port}/{params['NAME']}"


def recreate(params: dict[str, Any]) -> None:
    if params["ENGINE"].endswith("sqlite3"):
        Path(params["NAME"]).unlink(missing_ok=True)
        return
    if "postgresql" not in params["ENGINE"]:
        raise StepFailed(f"unsupported database engine {params['ENGINE']}")
    conninfo = {
        "dbname": "postgres",
        "user": params.get("USER") or None,
        "password": params.get("PASSWORD") or None,
        "host": params.get("HOST") or None,
        "port": params.get("PORT") or None,
    }
    name = sql.Identifier(params["NAME"])
    dsn = make_conninfo("", **{k: v for k, v in conninfo.items() if v})
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def row_count_problems() -> list[str]:
    problems = []
    for (label, model_name), least in EXPECTED_ROWS.items():
        count = apps.get_model(label, model_name).objects.count()
        if count < least:
            problems.append(f"{label}.{model_name}: {count} rows, expected at least {least}")
    return problems
