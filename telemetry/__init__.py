"""Telemetry: JSON logs, stored events, aggregation, metrics and dashboards.

Public API (stable; the hub calls it):

    from telemetry import LLMHubMonitor, record_metric, set_cohort

Imported lazily: `telemetry` is an installed app, so this module must not load models (or
anything that does) when Django imports it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telemetry.context import set_cohort
    from telemetry.monitor import LLMHubMonitor, record_metric

__all__ = ["LLMHubMonitor", "record_metric", "set_cohort"]


def __getattr__(name: str) -> Any:
    if name in ("LLMHubMonitor", "record_metric"):
        from telemetry import monitor

        return getattr(monitor, name)
    if name == "set_cohort":
        from telemetry.context import set_cohort

        return set_cohort
    raise AttributeError(f"module 'telemetry' has no attribute {name!r}")
