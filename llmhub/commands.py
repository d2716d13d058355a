"""What every management command of the project shares: how it refuses bad input.

One clear line per problem on stderr (`Error: ...`, naming the bad value and what is
expected), a non-zero exit, and no usage block or traceback: an operator in an incident reads
one line, not forty. `Command` is the base class of every command here; `Problems` carries
several problems at once (every mistake in a file, not only the first).
"""

from __future__ import annotations

import sys
from argparse import ArgumentParser, ArgumentTypeError, _SubParsersAction
from collections.abc import Callable
from typing import Any, NoReturn

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    SystemCheckError,
)
from django.db import OperationalError

__all__ = ["ArgumentTypeError", "Command", "Problems", "whole_number"]


class Problems(CommandError):
    """Refused input, one problem a line. Django prints a refused command as
    `<class name>: <message>`, hence the class's plain name shows as `Error:`."""

    def __init__(self, *problems: str, returncode: int = 1) -> None:
        self.problems = [problem for problem in problems if problem] or ["refused"]
        # Django writes "Error: " before the first line; the others carry their own.
        super().__init__("\nError: ".join(self.problems), returncode=returncode)


Problems.__name__ = Problems.__qualname__ = "Error"


class _OneLineParser(CommandParser):
    """Usage mistakes print one line and exit 2, instead of a usage block."""

    def error(self, message: str) -> NoReturn:
        if not self.called_from_command_line:
            raise CommandError(f"Error: {message}")
        sys.stderr.write(f"Error: {self.prog}: {message} (see {self.prog} --help)\n")
        sys.exit(2)


def _one_line_errors(parser: ArgumentParser) -> None:
    """Django builds plain CommandParsers (subcommands' included, inside `create_parser`), so
    the class of each is swapped afterwards: the only change is `error`."""
    parser.__class__ = _OneLineParser
    for action in parser._actions:
        if isinstance(action, _SubParsersAction):
            for subparser in action.choices.values():
                _one_line_errors(subparser)


class Command(BaseCommand):
    """A management command that refuses bad input in one line per problem."""

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        _one_line_errors(parser)
        return parser

    def execute(self, *args: Any, **options: Any) -> Any:
        try:
            return super().execute(*args, **options)
        except (Problems, SystemCheckError):  # the system checks format their own report
            raise
        except CommandError as exc:
            raise Problems(*str(exc).splitlines(), returncode=exc.returncode) from None
        except OperationalError as exc:
            first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise Problems(f"the database is unreachable: {first_line}") from None


def whole_number(*, minimum: int = 0, maximum: int = 10_000_000) -> Callable[[str], int]:
    """An argparse `type=`: an integer in range, refused with a message that says so."""

    def parse(text: str) -> int:
        try:
            number = int(text) if text.strip().lstrip("-").isascii() else None
        except ValueError:
            number = None
        if number is None or not minimum <= number <= maximum:
            # argparse prefixes "argument <name>: ".
            raise ArgumentTypeError(f"must be a whole number {minimum}..{maximum}, got {text!r}")
        return number

    return parse
