"""The hub's telemetry, in one place: page views with their cohort, actions, access checks.

Inside a request, telemetry commits these events with the response (one bulk insert), and a
telemetry failure never reaches the caller.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from llmhub.hub.access import AccessDecision
from llmhub.hub.usage import ACCESS_CHECK_FEATURE, HUB_FEATURE
from telemetry import LLMHubMonitor, set_cohort


def served(cohort: str) -> None:
    """Tag this request's events with the UI it serves (a cohort of telemetry.cohorts)."""
    set_cohort(cohort)


def page_view(request: HttpRequest, *, page: str, tab: str | None, cohort: str) -> None:
    set_cohort(cohort)
    LLMHubMonitor.log_page_view(
        request.user, page, tab, request.headers.get("Referer"), cohort=cohort
    )


def user_action(
    request: HttpRequest, *, action: str, page: str, tab: str | None, details: dict[str, Any]
) -> None:
    """A write someone made on a page (key added, model toggled, rule changed)."""
    LLMHubMonitor.log_user_action(
        request.user, action, page=page, tab=tab, feature=HUB_FEATURE, **details
    )


def access_check(user: Any, decision: AccessDecision, *, source: str) -> None:
    """An access check (the API's, or the hub's checker), counted on the Usage tab."""
    LLMHubMonitor.log_feature_usage(
        user,
        ACCESS_CHECK_FEATURE,
        "allowed" if decision.allowed else "denied",
        tier=decision.tier,
        model=decision.model,
        pattern=decision.rule.pattern if decision.rule else None,
        source=source,
    )
