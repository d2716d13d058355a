"""manage.py triggers create|list|revoke: flag trigger URLs from a shell.

`triggers create unified_llm_hub --label alertmanager` prints the URL's path alone on its last
line (prefix it with the site's address); its secret is never shown again.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.urls import reverse

from flags.models import Flag
from llmhub.commands import Command as BaseCommand
from llmhub.commands import Problems
from notifications.models import FlagTrigger
from notifications.services import trigger_create, trigger_revoke


class Command(BaseCommand):
    help = "Create, list and revoke trigger URLs that disable a flag."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a trigger and print its URL once.")
        create.add_argument("flag", help="The flag it disables.")
        create.add_argument("--label", required=True, help="Who calls it, e.g. alertmanager.")
        actions.add_parser("list", help="List triggers (prefix only, never the secret).")
        revoke = actions.add_parser("revoke", help="Revoke a trigger by its prefix.")
        revoke.add_argument("prefix", help="The prefix (ltr_xxxxxxxx) `list` shows.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "create":
            self._create(options["flag"], options["label"])
        elif options["action"] == "list":
            for trigger in FlagTrigger.objects.select_related("flag"):
                state = (
                    f"revoked {trigger.revoked_at:%Y-%m-%d %H:%M}"
                    if trigger.revoked_at
                    else "active"
                )
                self.stdout.write(
                    f"{trigger.prefix}  {trigger.flag.name}  {trigger.label}  {state}"
                )
        else:
            self._revoke(options["prefix"])

    def _create(self, name: str, label: str) -> None:
        label = label.strip()
        if not label or len(label) > 100:
            raise Problems(f"--label must have 1 to 100 characters, got {len(label)}.")
        flag = Flag.objects.filter(name=name).first()
        if flag is None:
            raise Problems(f"No flag named {name!r}.")
        trigger, raw = trigger_create(flag=flag, label=label)
        self.stderr.write(
            f"Created trigger {trigger.prefix} ({label}) disabling {name}. POST to this path "
            "on the site's address; copy it now, it is not stored and will not be shown again:"
        )
        self.stdout.write(reverse("notifications:trigger", args=[raw]))

    def _revoke(self, prefix: str) -> None:
        trigger = FlagTrigger.objects.filter(prefix=prefix).first()
        if trigger is None:
            raise Problems(f"No trigger with prefix {prefix!r} (see `triggers list`).")
        if trigger_revoke(trigger=trigger):
            self.stdout.write(f"Revoked trigger {prefix}.")
        else:
            self.stdout.write(f"Trigger {prefix} was already revoked.")
