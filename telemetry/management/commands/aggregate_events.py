"""`manage.py aggregate_events [--since T] [--until T]`: backfill summaries.

Without --since it brings the summaries up to date like the scheduled task. Times are ISO 8601
(a date alone means midnight UTC); naive times are read as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild


def _moment(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"Not an ISO 8601 time: {raw!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class Command(BaseCommand):
    help = "Aggregate raw telemetry events into minute and hour summaries (backfill a range)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", type=_moment, help="Start of the range (inclusive).")
        parser.add_argument("--until", type=_moment, help="End of the range (default: now).")

    def handle(self, *args: Any, **options: Any) -> None:
        since: datetime | None = options["since"]
        until: datetime = options["until"] or timezone.now()
        if since is None and options["until"] is not None:
            raise CommandError("--until needs --since: which range should be rebuilt?")
        if since is None:
            results = summaries_aggregate_closed()
        elif since >= until:
            raise CommandError("--since must be before --until.")
        else:
            results = summaries_rebuild(since=since, until=until)
        for result in results:
            self.stdout.write(f"{result.bucket_size}: {result.buckets} buckets aggregated")
