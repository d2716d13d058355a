"""The seeding types every app's seeder shares: what a run is asked for (`SeedRun`), what a
seeder counts (`Tally`), its progress bar, and the seeders other areas add.

A seeder is a function taking the run's options that creates what is missing (idempotent:
never overwriting what exists) and returns what it counted, as `Tally` rows (or a one-line
summary). Each app offers its own (`llmhub.hub.seed.loaders`, `llmhub.ops.seed_users`,
`flags.seed`, `telemetry.seed`) and `manage.py seed_test_data` composes them; this module
sits below all of them and imports none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import TextIOBase
from typing import TextIO, TypeAlias, cast

from django.core.management.base import OutputWrapper
from django.utils import timezone

Output: TypeAlias = TextIO | TextIOBase  # a command's stdout (OutputWrapper) or any text stream

DEFAULT_USERS = 20
DEFAULT_EVENTS = 5_000


@dataclass(frozen=True)
class Tally:
    """Rows of one kind: how many this run created, how many were already there."""

    kind: str
    created: int
    existing: int

    def line(self) -> str:
        return f"{self.kind}: {self.created} created, {self.existing} already there"


@dataclass
class SeedRun:
    out: Output
    users: int = DEFAULT_USERS
    events: int = DEFAULT_EVENTS
    # Fixed for the whole run so every seeder sees the same "today".
    now: datetime = field(default_factory=timezone.now)
    show_progress: bool = True

    def __post_init__(self) -> None:
        self.now = self.now.astimezone(UTC)

    @property
    def regular_usernames(self) -> list[str]:
        """The regular users' names: the same for every run with the same `--users`."""
        return [f"user{i:03d}" for i in range(1, self.users + 1)]

    def say(self, text: str) -> None:
        write(self.out, text + "\n")

    def progress(self, label: str, total: int) -> Progress:
        return Progress(self.out if self.show_progress else None, label, total)


class Progress:
    """A one-line progress bar (`\\r[#####     ] 52%`) on the command's output."""

    WIDTH = 30

    def __init__(self, out: Output | None, label: str, total: int) -> None:
        self.out, self.label, self.total, self.done = out, label, max(total, 1), 0
        self._shown = -1

    def advance(self, amount: int) -> None:
        self.done = min(self.total, self.done + amount)
        percent = self.done * 100 // self.total
        if self.out is None or percent == self._shown:
            return
        self._shown = percent
        filled = self.WIDTH * self.done // self.total
        bar = "#" * filled + " " * (self.WIDTH - filled)
        write(self.out, f"\r{self.label} [{bar}] {percent:3d}%")

    def finish(self) -> None:
        self.advance(self.total)
        if self.out is not None:
            write(self.out, "\n")


def write(out: Output, text: str) -> None:
    """Write exactly `text` and flush. A command's OutputWrapper (nested when one command
    calls another) would add a newline, so write to the stream it wraps."""
    while isinstance(out, OutputWrapper):
        out = cast(Output, out._out)
    out.write(text)
    out.flush()


Seeder: TypeAlias = Callable[[SeedRun], "list[Tally] | str"]

# Seeders other areas add (name -> function), run after the defaults `seed_test_data` composes.
_registry: dict[str, Seeder] = {}


def register_seeder(name: str, seeder: Seeder) -> None:
    """Add a seeder, or replace a default one of that name (it then runs in that one's place)."""
    _registry[name] = seeder


def registered_seeders() -> dict[str, Seeder]:
    return dict(_registry)
