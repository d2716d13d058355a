"""The webhook signature, as Stripe signs: a timestamp and an HMAC-SHA256 over both.

    X-LLMHub-Signature: t=1767225600,v1=5257a869e7ec...(64 hex digits)

`v1` is the hex HMAC-SHA256, keyed with the webhook's secret, of `f"{t}.{body}"` (the raw
request body bytes). A receiver recomputes it, compares in constant time, and refuses a `t`
older than its tolerance (five minutes here): a captured request cannot be replayed later,
and the timestamp cannot be changed without breaking the signature.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-LLMHub-Signature"
TOLERANCE_SECONDS = 300


def signature(secret: str, timestamp: int, body: bytes) -> str:
    signed = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, now: float | None = None) -> str:
    timestamp = int(time.time() if now is None else now)
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    tolerance: int = TOLERANCE_SECONDS,
    now: float | None = None,
) -> bool:
    """True when `header` signs `body` with `secret` and is at most `tolerance` seconds old."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts.get("t", ""))
    except ValueError:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
