"""Our evaluation results in OpenFeature's terms, and the bulk ETag.

Reasons (OFREP allows STATIC, TARGETING_MATCH, SPLIT, DISABLED, UNKNOWN):
- DISABLED -> DISABLED.
- WHITELISTED, BLACKLISTED -> TARGETING_MATCH (a rule about this subject decided).
- OUTSIDE_WINDOW -> TARGETING_MATCH: the date window is a rule evaluated against the request's
  time, so the answer is dynamic; STATIC would tell a caching client it can never change.
- ROLLOUT -> SPLIT; DEFAULT after bucketing a partial rollout (the subject fell outside the
  percentage) -> SPLIT too: the pseudorandom split decided "off".
- FULL_ROLLOUT (100 %), DEFAULT at 0 %, OVERRIDE (tests) -> STATIC: the same for everyone.
- NO_SUBJECT cannot happen (targetingKey is required) -> UNKNOWN.
OpenFeature's DEFAULT is not in OFREP's enum, so it is never sent. Our own reason and the flag
version travel in `metadata`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Mapping
from typing import Any

from flags import client
from flags.types import EvaluationResult, FlagSnapshot, Reason

_TARGETING = {Reason.WHITELISTED, Reason.BLACKLISTED, Reason.OUTSIDE_WINDOW}


def ofrep_reason(result: EvaluationResult, snapshot: FlagSnapshot | None) -> str:
    reason = result.reason
    if reason == Reason.DISABLED:
        return "DISABLED"
    if reason in _TARGETING:
        return "TARGETING_MATCH"
    if reason == Reason.ROLLOUT:
        return "SPLIT"
    if reason == Reason.DEFAULT and snapshot is not None:
        return "SPLIT" if 0 < snapshot.rollout_percentage < 100 else "STATIC"
    if reason in (Reason.FULL_ROLLOUT, Reason.OVERRIDE):
        return "STATIC"
    return "UNKNOWN"


def ofrep_success(result: EvaluationResult, snapshot: FlagSnapshot | None) -> dict[str, Any]:
    return {
        "key": result.flag,
        "value": result.enabled,
        "reason": ofrep_reason(result, snapshot),
        "variant": "on" if result.enabled else "off",
        "metadata": {"reason": str(result.reason), "version": result.version},
    }


class _Fingerprints:
    """A digest of every flag's (name, version), computed once per loaded snapshot."""

    def __init__(self) -> None:
        self._for: Mapping[str, FlagSnapshot] | None = None
        self._digest = b""
        self._windowed: tuple[FlagSnapshot, ...] = ()
        self._lock = threading.Lock()

    def get(self, snapshots: Mapping[str, FlagSnapshot]) -> tuple[bytes, tuple[FlagSnapshot, ...]]:
        if snapshots is not self._for:
            pairs = sorted((name, snap.version) for name, snap in snapshots.items())
            digest = hashlib.sha256(json.dumps(pairs).encode()).digest()
            windowed = tuple(s for s in snapshots.values() if s.starts_ts or s.ends_ts)
            with self._lock:
                self._for, self._digest, self._windowed = snapshots, digest, windowed
            return digest, windowed
        return self._digest, self._windowed


_fingerprints = _Fingerprints()


def bulk_etag(snapshots: Mapping[str, FlagSnapshot], context: Mapping[str, Any]) -> str:
    """Everything a bulk answer depends on, hashed before evaluating anything.

    The flag set and versions, the context, test overrides, and for flags with a date window
    which side of each boundary `now` is on (so the ETag changes when a window opens or closes).
    """
    digest, windowed = _fingerprints.get(snapshots)
    now = time.time()
    phases = [
        (
            s.name,
            s.starts_ts is not None and now < s.starts_ts,
            s.ends_ts is not None and now >= s.ends_ts,
        )
        for s in windowed
    ]
    hasher = hashlib.sha256(digest)
    hasher.update(json.dumps(context, sort_keys=True, separators=(",", ":")).encode())
    hasher.update(json.dumps([phases, sorted(client.overrides.items())]).encode())
    return f'"{hasher.hexdigest()[:32]}"'


def etag_matches(header: str | None, current: str) -> bool:
    """If-None-Match uses weak comparison: W/ prefixes are ignored; `*` matches anything."""
    if not header:
        return False
    tags = [tag.strip() for tag in header.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == current for tag in tags)
