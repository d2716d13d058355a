"""Why a sign-in was refused: each reason is a page a person can act on, never a 500."""

from __future__ import annotations


class SignInRefused(Exception):
    """A sign-in that must stop here; `status` is the page's HTTP status.

    401: the provider's answer did not prove who this is (bad state, token, secret, claims);
    403: it did, but this person may not enter (deactivated, unknown);
    503: the provider cannot be reached (try again later).
    """

    def __init__(self, message: str, *, status: int = 401, reason: str = "refused") -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.reason = reason


class ProviderUnavailable(SignInRefused):
    def __init__(self, what: str) -> None:
        super().__init__(
            f"The company sign-in service cannot be reached ({what}). Try again in a minute; "
            "if it keeps failing, tell the platform team.",
            status=503,
            reason="provider_unavailable",
        )
