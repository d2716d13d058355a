"""Seeders run by `manage.py seed_test_data`, in registration order.

A seeder is a function taking no arguments that creates what is missing (idempotent) and
returns a one-line summary. Another area adds its own with `register_seeder("users", fn)`
(from its AppConfig.ready(), or by appending to DEFAULT_SEEDERS below).
"""

from __future__ import annotations

from collections.abc import Callable

from llmhub.hub.seed.loaders import seed_catalog, seed_tiers

Seeder = Callable[[], str]

DEFAULT_SEEDERS: list[tuple[str, Seeder]] = [
    ("catalog", seed_catalog),
    ("tiers", seed_tiers),
]

_registry: dict[str, Seeder] = dict(DEFAULT_SEEDERS)


def register_seeder(name: str, seeder: Seeder) -> None:
    """Add (or replace) a seeder; it runs after those registered before it."""
    _registry[name] = seeder


def seeders() -> dict[str, Seeder]:
    return dict(_registry)
