"""`manage.py rotate_provider_keys`: re-encrypt every stored provider key with the first key of
PROVIDER_KEY_ENCRYPTION_KEYS.

Rotation: put the new key first (keep the old ones after it), deploy, run this command, then drop
the old keys from the setting.
"""

from __future__ import annotations

from typing import Any

from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems
from llmhub.crypto import SecretUnreadable, uses_derived_key
from llmhub.hub.services import provider_keys_reencrypt


class Command(BaseCommand):
    help = "Re-encrypt every stored provider API key with the newest encryption key."

    def handle(self, *args: Any, **options: Any) -> None:
        if uses_derived_key():
            self.stderr.write(
                "PROVIDER_KEY_ENCRYPTION_KEYS is empty: using the development key derived "
                "from SECRET_KEY."
            )
        try:
            count = provider_keys_reencrypt()
        except SecretUnreadable as exc:
            raise Problems(f"{exc} Nothing was changed.") from None
        self.stdout.write(self.style.SUCCESS(f"Re-encrypted {count} provider key(s)."))
