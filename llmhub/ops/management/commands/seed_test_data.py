"""`manage.py seed_test_data`: the data a developer or a test database needs (idempotent).

Catalog (providers, models), tiers and their rules, users, the hub's flags, and fourteen days
of telemetry, aggregated so the dashboards show it at once. Creates what is missing and never
overwrites existing rows, so running it twice changes nothing and an admin's edits survive.
`--users N --events N` scale it up; `--only catalog,tiers` runs some seeders only. Development
passwords are printed only when DEBUG is on.

Each app offers its seeder; this command composes them, in the order below, followed by those
another area registered with `llmhub.seeding.register_seeder`.
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import CommandParser

from flags.seed import seed_flags
from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems, whole_number
from llmhub.hub.seed.loaders import seed_catalog_run, seed_tiers_run
from llmhub.ops.seed_users import seed_users
from llmhub.seeding import (
    DEFAULT_EVENTS,
    DEFAULT_USERS,
    Seeder,
    SeedRun,
    Tally,
    registered_seeders,
)
from telemetry.seed import seed_telemetry

_count = whole_number(maximum=10_000_000)

# Run in this order (docs/TEST_DATA.md's table).
DEFAULT_SEEDERS: dict[str, Seeder] = {
    "catalog": seed_catalog_run,
    "tiers": seed_tiers_run,
    "users": seed_users,
    "flags": seed_flags,
    "telemetry": seed_telemetry,
}


def seeders() -> dict[str, Seeder]:
    """The defaults, then those other areas registered (one of a default's name replaces it)."""
    return {**DEFAULT_SEEDERS, **registered_seeders()}


class Command(BaseCommand):
    help = (
        "Load test data: catalog, tiers, users, flags and telemetry (creates only what is missing)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", default="", help="Comma-separated seeder names (default: all of them)."
        )
        parser.add_argument(
            "--users", type=_count, default=DEFAULT_USERS, help="Regular users to create."
        )
        parser.add_argument(
            "--events",
            type=_count,
            default=DEFAULT_EVENTS,
            help="Telemetry events over the last fourteen days.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, only: str, **options: Any) -> None:
        available = seeders()
        wanted = [name.strip() for name in only.split(",") if name.strip()] or list(available)
        unknown = [name for name in wanted if name not in available]
        if unknown:
            raise Problems(
                f"Unknown seeder(s) in --only: {', '.join(unknown)}; known: {', '.join(available)}."
            )
        run = SeedRun(
            out=self.stdout,
            users=options["users"],
            events=options["events"],
            show_progress=not options["no_progress"],
        )
        started = time.monotonic()
        tallies = [tally for name in wanted for tally in self._seed(name, available[name], run)]
        self.stdout.write(summary_table(tallies))
        self.stdout.write(
            self.style.SUCCESS(f"Test data loaded in {time.monotonic() - started:.1f} s.")
        )

    def _seed(self, name: str, seeder: Seeder, run: SeedRun) -> list[Tally]:
        """Run one seeder, print its line, and return its tallies (none for a plain message)."""
        try:
            result = seeder(run)
        except ImportError as exc:
            raise Problems(
                f"Seeder {name!r} needs the development requirements (requirements-dev.txt): {exc}"
            ) from None
        if isinstance(result, str):
            self.stdout.write(f"{name}: {result}")
            return []
        self.stdout.write(f"{name}: {'; '.join(t.line() for t in result)}")
        return list(result)


def summary_table(tallies: list[Tally]) -> str:
    width = max([len("kind"), *(len(t.kind) for t in tallies)])
    lines = [f"{'kind':<{width}}  {'created':>9}  {'already there':>13}"]
    lines.append("-" * len(lines[0]))
    lines += [f"{t.kind:<{width}}  {t.created:>9}  {t.existing:>13}" for t in tallies]
    return "\n".join(lines)
