"""Seeders run by `manage.py seed_test_data`, in registration order.

A seeder is a function taking the run's options (`SeedRun`) that creates what is missing
(idempotent: never overwriting what exists) and returns what it counted, as `Tally` rows (or a
one-line summary). The defaults run in the order catalog, tiers, users, flags, telemetry; each
lives in the app that owns its data and is imported only when it runs. Another area adds its
own with `register_seeder("name", fn)`; it runs after those registered before it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from django.utils.module_loading import import_string

from llmhub.hub.seed.run import SeedRun, Tally

Seeder: TypeAlias = Callable[[SeedRun], "list[Tally] | str"]

# name -> dotted path of the seeder (imported when it runs, so the apps stay independent).
DEFAULT_SEEDERS: list[tuple[str, str]] = [
    ("catalog", "llmhub.hub.seed.loaders.seed_catalog_run"),
    ("tiers", "llmhub.hub.seed.loaders.seed_tiers_run"),
    ("users", "llmhub.ops.seed_users.seed_users"),
    ("flags", "flags.seed.seed_flags"),
    ("telemetry", "telemetry.seed.seed_telemetry"),
]

_registry: dict[str, Seeder | str] = dict(DEFAULT_SEEDERS)


def register_seeder(name: str, seeder: Seeder | str) -> None:
    """Add (or replace) a seeder (a function or its dotted path)."""
    _registry[name] = seeder


def seeders() -> dict[str, Seeder | str]:
    return dict(_registry)


def resolve(seeder: Seeder | str) -> Seeder:
    return import_string(seeder) if isinstance(seeder, str) else seeder


__all__ = ["DEFAULT_SEEDERS", "SeedRun", "Seeder", "Tally", "register_seeder", "resolve", "seeders"]
