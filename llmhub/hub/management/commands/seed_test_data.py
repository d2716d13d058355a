"""`manage.py seed_test_data`: providers, models, tiers and tier rules (idempotent).

Creates what is missing and never overwrites existing rows, so running it twice changes nothing
and an admin's edits survive. `--only catalog,tiers` runs some seeders only.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmhub.hub.seed import seeders


class Command(BaseCommand):
    help = "Load test data: providers, models, tiers and tier rules (creates only what is missing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--only", default="", help="Comma-separated seeder names (default: all of them)."
        )

    def handle(self, *args: Any, only: str, **options: Any) -> None:
        available = seeders()
        wanted = [name.strip() for name in only.split(",") if name.strip()] or list(available)
        unknown = [name for name in wanted if name not in available]
        if unknown:
            raise CommandError(
                f"Unknown seeder(s): {', '.join(unknown)}. Known: {', '.join(available)}."
            )
        for name in wanted:
            self.stdout.write(f"{name}: {available[name]()}")
        self.stdout.write(self.style.SUCCESS("Test data loaded."))
