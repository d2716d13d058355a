"""One HTTP attempt of a webhook delivery: POST the body, signed, and report what happened.

The standard library's client, with redirects refused (a redirected POST would become a GET
to an address nobody configured) and a timeout, so an attempt ends in bounded time.
"""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from dataclasses import dataclass

from django.conf import settings

from notifications.signing import HEADER, signature_header

USER_AGENT = "LLMHub-Webhooks/1"


@dataclass(frozen=True)
class AttemptOutcome:
    ok: bool
    response_code: int | None
    error: str
    duration_ms: float


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # the 3xx surfaces as an HTTPError: a failed attempt


_opener = urllib.request.build_opener(_NoRedirects)


def post_signed(
    *, url: str, secret: str, body: str, event: str, delivery_id: str
) -> AttemptOutcome:
    data = body.encode()
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-LLMHub-Event": event,
            "X-LLMHub-Delivery": delivery_id,
            HEADER: signature_header(secret, data),
        },
    )
    started = time.perf_counter()
    try:
        with _opener.open(request, timeout=settings.NOTIFICATIONS_WEBHOOK_TIMEOUT_SECONDS) as reply:
            code = reply.status
            error = ""
    except urllib.error.HTTPError as failure:
        code, error = failure.code, f"HTTP {failure.code} {failure.reason}"
    except (urllib.error.URLError, OSError, ValueError) as failure:
        code, error = None, _reason(failure)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    ok = code is not None and 200 <= code < 300
    return AttemptOutcome(ok=ok, response_code=code, error=error[:2000], duration_ms=duration_ms)


def _reason(failure: Exception) -> str:
    reason = getattr(failure, "reason", None) or failure
    return f"{type(failure).__name__}: {reason}"
