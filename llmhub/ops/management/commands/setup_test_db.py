"""`manage.py setup_test_db`: drop and recreate the configured test database, migrate, seed,
check the row counts and print its connection string (password masked).

Refuses a database whose name does not mark it as a test one (`llmhub_test`, `test_llmhub`).
Exits non-zero at the first failed step, saying which.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandParser
from django.db import connections

from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems
from llmhub.ops.testdb import StepFailed, is_test_name, masked_url, recreate, row_count_problems


class Command(BaseCommand):
    help = "Drop, recreate, migrate and seed the test database named by DATABASE_URL."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-seed", action="store_true", help="Migrate only.")

    def handle(self, *args: Any, no_seed: bool, **options: Any) -> None:
        params = connections["default"].settings_dict
        steps: list[tuple[str, Callable[[], object]]] = [
            ("check the name", lambda: self._check_name(params["NAME"])),
            ("drop and recreate", lambda: self._recreate(params)),
            ("migrate", lambda: call_command("migrate", interactive=False, verbosity=0)),
        ]
        if not no_seed:
            steps += [
                ("seed", lambda: call_command("seed_test_data", stdout=self.stdout)),
                ("check row counts", self._check_rows),
            ]
        for number, (title, step) in enumerate(steps, start=1):
            self.stdout.write(f"[{number}/{len(steps)}] {title}")
            try:
                step()
            except (StepFailed, Exception) as exc:  # noqa: BLE001 - report any failure by step
                raise Problems(f"step {number} ({title}) failed: {_first_line(exc)}") from None
        self.stdout.write(self.style.SUCCESS(f"Test database ready: {masked_url(params)}"))

    @staticmethod
    def _check_name(name: str) -> None:
        if not is_test_name(str(name)):
            raise StepFailed(
                f"refusing {name!r}: its name does not mark it as a test database "
                "(use e.g. llmhub_test)"
            )

    @staticmethod
    def _recreate(params: dict[str, Any]) -> None:
        connections["default"].close()
        recreate(params)

    @staticmethod
    def _check_rows() -> None:
        problems = row_count_problems()
        if problems:
            raise StepFailed("; ".join(problems))


def _first_line(exc: BaseException) -> str:
    """A driver's message can run to several lines (hints, context): the first says what."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
