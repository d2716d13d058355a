"""Errors the hub's services and selectors raise; pages and the API map them to their shape."""

from __future__ import annotations


class HubError(Exception):
    """A refused operation. `code` is stable and machine-readable."""

    code = "hub_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class HubValidationError(HubError):
    code = "invalid"

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        summary = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in fields.items())
        super().__init__(f"Invalid input: {summary}")


class TierNotFound(HubError):
    code = "unknown_tier"

    def __init__(self, slug: str) -> None:
        self.slug = slug
        super().__init__(f"No tier named {slug!r}.")
