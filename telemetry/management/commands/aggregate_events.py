"""`manage.py aggregate_events [--since T] [--until T]`: backfill summaries.

Without --since it brings the summaries up to date like the scheduled task. Times are ISO 8601
(a date alone means midnight UTC); naive times are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import CommandParser
from django.utils import timezone

from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems
from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild

EXPECTED = "an ISO 8601 date or time, e.g. 2026-11-01 or 2026-11-01T09:00:00Z"


def _moment(option: str, raw: str | None, problems: list[str]) -> datetime | None:
    """`raw` read as a moment in UTC, or None with the problem appended to `problems`."""
    if raw is None:
        return None
    try:
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        problems.append(f"{option} {raw!r} is not {EXPECTED}.")
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    # Bucket arithmetic around year 1 or 9999 leaves Python's range; nothing is stored there.
    if not 1970 <= moment.astimezone(UTC).year <= 9998:
        problems.append(f"{option} {raw!r} must be between 1970 and 9998.")
        return None
    return moment


class Command(BaseCommand):
    help = "Aggregate raw telemetry events into minute and hour summaries (backfill a range)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help=f"Start of the range (inclusive): {EXPECTED}.")
        parser.add_argument("--until", help="End of the range (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        problems: list[str] = []
        since = _moment("--since", options["since"], problems)
        until = _moment("--until", options["until"], problems)
        if options["since"] is None and options["until"] is not None:
            problems.append("--until needs --since: which range should be rebuilt?")
        if since is not None and since >= (until or timezone.now()):
            problems.append(f"--since ({options['since']}) must be before --until (default: now).")
        if problems:
            raise Problems(*problems)
        if since is None:
            results = summaries_aggregate_closed()
        else:
            results = summaries_rebuild(since=since, until=until or timezone.now())
        for result in results:
            left = "" if result.caught_up else " (a backlog is left: run it again)"
            self.stdout.write(f"{result.bucket_size}: {result.buckets} buckets aggregated{left}")
