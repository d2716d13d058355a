"""The Python API other apps call: `LLMHubMonitor.log_*` and `record_metric`.

Each call writes one JSON log line and stores one event (buffered; see telemetry.buffer). The
user may be given as a Django user or an id; extra keyword arguments land in `properties`.
Nothing here raises: a telemetry failure is logged, never passed to the caller.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Mapping
from typing import Any

from telemetry import metrics
from telemetry.recording import record_event, user_id_of


def _context(context: object) -> dict[str, Any]:
    """The caller's context as properties; anything but a mapping is kept under "context"."""
    if context is None:
        return {}
    if isinstance(context, Mapping):
        return {str(key): value for key, value in context.items()}
    return {"context": context}


class LLMHubMonitor:
    @staticmethod
    def log_page_view(
        user_id: object,
        page: str,
        tab: str | None = None,
        referrer: str | None = None,
        *,
        cohort: str | None = None,
        duration_ms: float | None = None,
        **properties: Any,
    ) -> None:
        if referrer:
            properties["referrer"] = referrer
        record_event(
            "page_view",
            user_id=user_id_of(user_id),
            page=page,
            tab=tab,
            cohort=cohort,
            duration_ms=duration_ms,
            properties=properties,
        )

    @staticmethod
    def log_feature_usage(
        user_id: object,
        feature: str,
        action: str | None = None,
        *,
        page: str | None = None,
        tab: str | None = None,
        **properties: Any,
    ) -> None:
        record_event(
            "feature_usage",
            user_id=user_id_of(user_id),
            feature=feature,
            action=action,
            page=page,
            tab=tab,
            properties=properties,
        )

    @staticmethod
    def log_api_call(
        user_id: object,
        path: str,
        method: str,
        status: int,
        duration_ms: float,
        *,
        route: str | None = None,
        **properties: Any,
    ) -> None:
        """`route` is the URL pattern (bounded cardinality), stored as the page."""
        record_event(
            "api_call",
            user_id=user_id_of(user_id),
            path=path,
            method=method,
            status=status,
            duration_ms=duration_ms,
            page=route or path,
            properties=properties,
        )

    @staticmethod
    def log_error(
        user_id: object, error: BaseException | str, context: dict[str, Any] | None = None
    ) -> None:
        """Log an error; an exception's traceback goes to the log line and the properties."""
        properties = _context(context)
        exc_info = None
        if isinstance(error, BaseException):
            properties["error_class"] = type(error).__name__
            properties["error"] = str(error)[:2000]
            tb = traceback.format_exception(error)
            properties["traceback"] = "".join(tb)[-8000:]
            exc_info = (type(error), error, error.__traceback__)
        else:
            properties["error"] = str(error)[:2000]
        page = properties.pop("page", None)
        record_event(
            "error",
            level=logging.ERROR,
            exc_info=exc_info,
            user_id=user_id_of(user_id),
            page=page,
            properties=properties,
        )

    @staticmethod
    def log_warning(user_id: object, message: str, context: dict[str, Any] | None = None) -> None:
        properties = {**_context(context), "warning": message}
        page = properties.pop("page", None)
        record_event(
            "warning",
            level=logging.WARNING,
            user_id=user_id_of(user_id),
            page=page,
            properties=properties,
        )

    @staticmethod
    def log_security_event(
        user_id: object,
        event: str,
        severity: str = "warning",
        context: dict[str, Any] | None = None,
    ) -> None:
        """A security-relevant fact (denied access, throttling, a flag change): kept durably."""
        properties = {**_context(context), "severity": severity}
        level = logging.ERROR if severity in ("error", "critical") else logging.WARNING
        record_event(
            "security",
            level=level,
            user_id=user_id_of(user_id),
            action=event,
            path=properties.pop("path", None),
            method=properties.pop("method", None),
            status=properties.pop("status", None),
            flag=properties.pop("flag", None),
            properties=properties,
        )

    @staticmethod
    def log_performance_metric(
        user_id: object,
        metric: str,
        duration_ms: float,
        *,
        page: str | None = None,
        tab: str | None = None,
        **properties: Any,
    ) -> None:
        record_event(
            "performance",
            user_id=user_id_of(user_id),
            action=metric,
            duration_ms=duration_ms,
            page=page,
            tab=tab,
            properties=properties,
        )

    @staticmethod
    def log_user_action(
        user_id: object,
        action: str,
        *,
        page: str | None = None,
        tab: str | None = None,
        feature: str | None = None,
        **properties: Any,
    ) -> None:
        record_event(
            "user_action",
            user_id=user_id_of(user_id),
            action=action,
            page=page,
            tab=tab,
            feature=feature,
            properties=properties,
        )

    @staticmethod
    def log_feedback(
        user_id: object,
        *,
        flag: str,
        cohort: str,
        step: str,
        positive: bool,
        comment: str = "",
        page: str | None = None,
    ) -> None:
        """An answer to the hub's feedback prompt. `action` holds the answer too, so the
        satisfaction gate counts it from a plain column (telemetry.feedback)."""
        record_event(
            "feedback",
            user_id=user_id_of(user_id),
            flag=flag,
            cohort=cohort,
            page=page,
            action="positive" if positive else "negative",
            properties={"positive": positive, "comment": comment, "step": step},
        )

    @staticmethod
    def log_hub_opt_out(
        user_id: object,
        *,
        flag: str,
        cohort: str,
        step: str,
        page: str | None = None,
        tab: str | None = None,
    ) -> None:
        """A user who left the new hub for the old pages: a strong negative signal."""
        record_event(
            "hub_opt_out",
            user_id=user_id_of(user_id),
            flag=flag,
            cohort=cohort,
            page=page,
            tab=tab,
            action="back_to_old_pages",
            properties={"step": step},
        )


def record_metric(name: str, value: float, **labels: Any) -> None:
    """A named measurement: a `performance` event (action=name) and a Prometheus observation."""
    with contextlib.suppress(TypeError, ValueError):
        metrics.RECORDED.labels(str(name)[:100]).observe(float(value))
    record_event(
        "performance",
        action=name,
        duration_ms=value,
        properties={"metric": name, "value": value, "labels": labels},
    )
