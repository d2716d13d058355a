"""manage.py tokens create|list|revoke: API tokens from a shell.

`tokens create --user alice --scope write --label deploy-bot` prints the token alone on its last
line (so `TOKEN=$(manage.py tokens create ... | tail -n1)` works); it is never shown again.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model

from llmhub.actors import Actor
from llmhub.api.tokens.models import ApiToken
from llmhub.api.tokens.services import token_create, token_list, token_revoke
from llmhub.commands import ArgumentTypeError, Problems
from llmhub.commands import Command as BaseCommand

LABEL_MAX = ApiToken._meta.get_field("label").max_length or 100


def _label(text: str) -> str:
    if len(text) > LABEL_MAX or "\x00" in text:
        raise ArgumentTypeError(f"at most {LABEL_MAX} characters, got {len(text)}")
    return text.strip()


class Command(BaseCommand):
    help = "Create, list and revoke API tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--user", required=True, help="Username the token acts as.")
        create.add_argument("--scope", required=True, choices=ApiToken.Scope.values)
        create.add_argument("--label", type=_label, default="", help="What uses it (default: cli).")
        actions.add_parser("list", help="List tokens (prefix only, never the secret).")
        revoke = actions.add_parser("revoke", help="Revoke a token by its prefix or id.")
        revoke.add_argument("token", help="The prefix (lhk_xxxxxxxx) or numeric id.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "create":
            self._create(options["user"], options["scope"], options["label"] or "cli")
        elif action == "list":
            self._list()
        else:
            self._revoke(options["token"])

    def _create(self, username: str, scope: str, label: str) -> None:
        try:
            token, raw = token_create(
                username=username, scope=scope, label=label, actor=Actor.command("tokens")
            )
        except get_user_model().DoesNotExist:
            raise Problems(f"No user named {username!r} (--user).") from None
        self.stderr.write(
            f"Created {scope} token {token.prefix} ({label}) for {username}. "
            "Copy it now; it is not stored and will not be shown again:"
        )
        self.stdout.write(raw)

    def _list(self) -> None:
        for token in token_list():
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at else "active"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}\t{token.prefix}\t{token.user.get_username()}\t{token.scope}\t"
                f"{token.label}\t{state}\tlast used {used}"
            )

    def _revoke(self, ident: str) -> None:
        # An id beyond a database integer matches nothing (PostgreSQL would refuse the query).
        by_id = ident.isascii() and ident.isdigit() and int(ident) < 2**63
        found = list(
            token_list().filter(pk=int(ident)) if by_id else token_list().filter(prefix=ident)
        )
        if not found:
            raise Problems(
                f"No token {ident!r}: give its prefix (lhk_...) or its id, as `tokens list` shows."
            )
        for token in found:
            done = token_revoke(token=token, actor=Actor.command("tokens"))
            self.stdout.write(f"{token.prefix}: {'revoked' if done else 'already revoked'}")
