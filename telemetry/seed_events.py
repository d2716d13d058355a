"""Deterministic telemetry for `seed_test_data`: fourteen days of a rollout of the new hub.

Event `i` of a day has its own random generator and the id uuid5(day, i), both seeded by the
date and `i`: the same command stores the same events, a rerun stores nothing new (the unique
event id dedups), and a larger `--events` keeps the first events and adds to them. The new
hub's share grows day by day (users are assigned by a stable hash, as a rollout does), so the
adoption chart rises; the old pages are a little slower and fail a little more often.
"""

from __future__ import annotations

import math
import random
import uuid
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from telemetry.cohorts import NEW_HUB, OLD_PAGES

NAMESPACE = uuid.UUID("6f1c9a52-3e0b-4f57-9d8e-2b7a41c0e5d1")
HUB_TABS = ("keys", "models", "rules", "usage")
OLD_PAGES_NAMES = ("old_providers", "old_models", "old_routing", "old_usage")
API_ROUTES = (  # (route pattern as the middleware records it, method, concrete path)
    ("/api/v1/hub/access", "POST", "/api/v1/hub/access"),
    ("/api/v1/features/", "GET", "/api/v1/features/"),
    ("/api/v1/features/<str:name>", "GET", "/api/v1/features/unified_llm_hub"),
    ("/api/v1/features/user/<str:user_id>/enabled", "GET", "/api/v1/features/user/tester/enabled"),
    ("/ofrep/v1/evaluate/flags/<str:key>", "POST", "/ofrep/v1/evaluate/flags/unified_llm_hub"),
    ("/api/v1/telemetry/events", "POST", "/api/v1/telemetry/events"),
)
TYPES = ("page_view", "api_call", "feature_usage", "performance", "user_action", "error", "warning")
TYPE_WEIGHTS = (38, 30, 12, 10, 5, 3, 2)
ACTIONS = ("key_added", "model_toggled", "rule_changed")


def seed_days(today: date, days: int) -> list[date]:
    return [today - timedelta(days=days - 1 - i) for i in range(days)]


def new_hub_share(day_index: int, days: int) -> float:
    """10% of users on the first day, 60% on the last."""
    return 0.10 + 0.50 * day_index / max(days - 1, 1)


def cohort_of(user: str, share: float) -> str:
    return NEW_HUB if zlib.crc32(user.encode()) % 1000 < share * 1000 else OLD_PAGES


def day_events(
    day: date, *, count: int, share: float, users: list[str], cutoff: datetime
) -> Iterator[dict[str, Any]]:
    """The day's first `count` events, without those at or after `cutoff` (not happened yet)."""
    midnight = datetime.combine(day, time.min, tzinfo=UTC)
    for i in range(count):
        # A generator per event: event i is the same whatever `count`, the users or the cutoff.
        rng = random.Random(f"llmhub-seed-telemetry:{day.isoformat()}:{i}")
        occurred = midnight + timedelta(seconds=rng.randrange(86_400))
        user = users[rng.randrange(len(users))]
        kind = rng.choices(TYPES, TYPE_WEIGHTS)[0]
        fields = _fields(rng, kind, cohort_of(user, share))
        if occurred >= cutoff:
            continue
        yield {
            "event_id": uuid.uuid5(NAMESPACE, f"{day.isoformat()}:{i}"),
            "event_type": kind,
            "occurred_at": occurred,
            "received_at": occurred + timedelta(milliseconds=rng.randrange(2_000)),
            "user_id": user,
            "session_id": f"seed-{zlib.crc32(f'{user}:{day}'.encode()):08x}",
            "properties": {"seeded": True},
            **fields,
        }


def _latency(rng: random.Random, median_ms: float) -> float:
    return round(rng.lognormvariate(math.log(median_ms), 0.6), 1)


def _fields(rng: random.Random, kind: str, cohort: str) -> dict[str, Any]:
    new = cohort == NEW_HUB
    page, tab = ("hub", rng.choice(HUB_TABS)) if new else (rng.choice(OLD_PAGES_NAMES), "")
    common = {"cohort": cohort, "page": page, "tab": tab}
    if kind == "page_view":
        return {**common, "duration_ms": _latency(rng, 320 if new else 540)}
    if kind == "performance":
        return {
            **common,
            "action": "page_load",
            "duration_ms": _latency(rng, 700 if new else 1_100),
        }
    if kind == "api_call":
        return _api_call(rng, cohort)
    if kind == "feature_usage":
        action = "allowed" if rng.random() < 0.85 else "denied"
        return {**common, "feature": "llm_access_check", "action": action}
    if kind == "user_action":
        return {**common, "feature": "llm_hub", "action": rng.choice(ACTIONS)}
    message = "Provider timed out" if kind == "error" else "Slow provider response"
    return {**common, "action": message, "properties": {"seeded": True, "message": message}}


def _api_call(rng: random.Random, cohort: str) -> dict[str, Any]:
    route, method, path = API_ROUTES[rng.randrange(len(API_ROUTES))]
    roll = rng.random()
    server_errors = 0.012 if cohort == NEW_HUB else 0.025
    status = 503 if roll < server_errors else 404 if roll < server_errors + 0.03 else 200
    return {
        "cohort": cohort,
        "page": route,
        "path": path,
        "method": method,
        "status": status,
        "duration_ms": _latency(rng, 45 if status == 200 else 180),
    }
