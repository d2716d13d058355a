"""Errors the flag services raise; the admin, API and commands map them to their own shape."""

from __future__ import annotations


class FlagError(Exception):
    """Base class: a refused write. `code` is stable and machine-readable."""

    code = "flag_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class FlagValidationError(FlagError):
    code = "invalid"

    def __init__(self, fields: dict[str, list[str]]) -> None:
        self.fields = fields
        summary = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in fields.items())
        super().__init__(f"Invalid flag configuration: {summary}")


class FlagNotFound(FlagError):
    code = "not_found"

    def __init__(self, name: str) -> None:
        super().__init__(f"No flag named {name!r}.")


class FlagAlreadyExists(FlagError):
    code = "conflict"

    def __init__(self, name: str) -> None:
        super().__init__(f"A flag named {name!r} already exists.")


class StaleVersion(FlagError):
    code = "stale_version"

    def __init__(self, name: str, expected: int, current: int) -> None:
        self.expected = expected
        self.current = current
        super().__init__(
            f"Flag {name!r} changed since version {expected}: it is now at version {current}. "
            "Reload and apply your change again."
        )


class VersionNotFound(FlagError):
    code = "version_not_found"

    def __init__(self, name: str, version: int) -> None:
        super().__init__(f"Flag {name!r} has no recorded version {version}.")
