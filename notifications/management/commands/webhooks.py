"""manage.py webhooks send-due|rotate-secrets.

`send-due`: send the webhook attempts that are due, now, in this process. Beat's sweep does
this every minute where a worker runs; without a broker (the embedded default, where a
delivery's first attempt runs in the request that changed the flag), this is how the retries
go out.

`rotate-secrets`: re-encrypt every stored signing secret with the newest of
PROVIDER_KEY_ENCRYPTION_KEYS (run it with `rotate_provider_keys`, before dropping an old key).
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems
from llmhub.crypto import SecretUnreadable
from notifications.services import deliveries_due, delivery_attempt, webhook_secrets_rotate


class Command(BaseCommand):
    help = "Send due webhook deliveries; re-encrypt webhook secrets with the newest key."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        actions.add_parser("send-due", help="Attempt every due delivery once.")
        actions.add_parser("rotate-secrets", help="Re-encrypt signing secrets with the newest key.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "rotate-secrets":
            try:
                count = webhook_secrets_rotate()
            except SecretUnreadable as error:
                raise Problems(f"{error} Nothing was changed.") from None
            self.stdout.write(f"Re-encrypted {count} webhook secret(s) with the newest key.")
            return
        results = [delivery_attempt(delivery_id=pk).status for pk in deliveries_due()]
        summary = {status: results.count(status) for status in sorted(set(results))}
        self.stdout.write(f"Attempted {len(results)} deliveries: {summary or 'none due'}.")
