"""Test helpers for code that depends on flags.

with override_flag("unified_llm_hub", active=True): ...

@override_flag("unified_llm_hub", active=False)
def test_old_pages(): ...
"""

from __future__ import annotations

from contextlib import ContextDecorator
from types import TracebackType

from flags import client


class override_flag(ContextDecorator):  # noqa: N801 - reads like the Django helpers it mirrors
    """Force a flag on or off for everyone in this process while active; restores on exit."""

    def __init__(self, name: str, active: bool = True) -> None:
        self.name = name
        self.active = active
        self._previous: list[bool | None] = []

    def __enter__(self) -> override_flag:
        self._previous.append(client.overrides.get(self.name))
        client.overrides[self.name] = self.active
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        previous = self._previous.pop()
        if previous is None:
            client.overrides.pop(self.name, None)
        else:
            client.overrides[self.name] = previous
