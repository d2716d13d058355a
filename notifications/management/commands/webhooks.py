"""manage.py webhooks send-due: send the webhook attempts that are due, now, in this process.

Beat's sweep does this every minute where a worker runs; without a broker (the embedded
default, where a delivery's first attempt runs in the request that changed the flag), this
is how the retries go out.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from llmhub.commands import Command as BaseCommand
from notifications.services import deliveries_due, delivery_attempt


class Command(BaseCommand):
    help = "Send the webhook deliveries whose next attempt is due."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("send-due", help="Attempt every due delivery once.")

    def handle(self, *args: Any, **options: Any) -> None:
        results = [delivery_attempt(delivery_id=pk).status for pk in deliveries_due()]
        summary = {status: results.count(status) for status in sorted(set(results))}
        self.stdout.write(f"Attempted {len(results)} deliveries: {summary or 'none due'}.")
