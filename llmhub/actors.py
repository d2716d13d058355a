"""Who made a change: recorded on every `FlagChange` and on every token created or revoked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Actor:
    label: str
    kind: str  # one of flags' FlagChange.ActorKind: user, token, command, system
    user: Any = None  # the Django user, when there is one

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(label=user.get_username(), kind="user", user=user)

    @classmethod
    def for_token(cls, user: Any, token_label: str) -> Actor:
        return cls(label=f"{user.get_username()} (token {token_label})", kind="token", user=user)

    @classmethod
    def command(cls, name: str) -> Actor:
        return cls(label=f"manage.py {name}", kind="command")

    @classmethod
    def system(cls, label: str) -> Actor:
        return cls(label=label, kind="system")

    @classmethod
    def trigger(cls, label: str) -> Actor:
        """An inbound trigger URL (Alertmanager, a pager): its own actor in the audit trail."""
        return cls(label=f"trigger {label}", kind="trigger")
