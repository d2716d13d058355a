"""The new hub asks how it is, and lets users go back to the old pages.

- The prompt ("How is the new LLM hub?") is offered to a user served the new hub until they
  answer or dismiss it, then not again at the same rollout step: it asks again once the
  rollout has moved. An answer is a telemetry `feedback` event (the satisfaction gate reads
  it through `telemetry.feedback`); a dismissal only silences the prompt for the step.
- "Back to the old pages" records a `hub_opt_out` event (a strong negative signal) and serves
  the user the old pages from then on, although the flag lets them in, until they choose
  "Try the new hub" there. Nobody can opt *in* past the flag: "Try the new hub" is offered
  and honoured only when the flag (its whitelist or rollout) already lets the user in, so the
  cohorts stay the flag's and the kill switch stays absolute. To let a tester in early, an
  admin adds them to the whitelist, which is an audited flag change.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from flags.store import store
from llmhub.hub.gate import HUB_FLAG
from llmhub.hub.models import FeedbackPromptReply, HubOptOut
from llmhub.hub.usage import HUB_FEATURE
from telemetry import LLMHubMonitor
from telemetry.cohorts import NEW_HUB

Outcome = FeedbackPromptReply.Outcome
MAX_COMMENT_LENGTH = 1000
HUB_PAGE = "hub"


class FeedbackAlreadyGiven(Exception):
    """The user already answered or dismissed the prompt at this step."""


def rollout_step(flag_name: str = HUB_FLAG) -> str:
    """The key of the rollout step the prompt is asked once per.

    The flag's rollout percentage ("25%"): the prompt asks again after the rollout moves,
    not after unrelated edits (a whitelist change bumps the version too). Rollout plans,
    where they exist, key it on the plan's step instead.
    """
    flag = store.snapshots().get(flag_name)  # the process's snapshot: no query warm
    return f"{flag.rollout_percentage}%" if flag is not None else "unknown"


def feedback_prompt_due(*, user: Any, step: str) -> bool:
    return not FeedbackPromptReply.objects.filter(user=user, flag=HUB_FLAG, step=step).exists()


def feedback_reply(*, user: Any, outcome: str, comment: str, step: str) -> FeedbackPromptReply:
    """Record an answer (positive or negative, with an optional comment) or a dismissal.

    Once per user and step: a second reply raises FeedbackAlreadyGiven and records nothing,
    so retries and double clicks never count twice.
    """
    try:
        with transaction.atomic():
            reply = FeedbackPromptReply.objects.create(
                user=user, flag=HUB_FLAG, step=step, outcome=outcome
            )
    except IntegrityError:
        raise FeedbackAlreadyGiven from None
    if outcome == Outcome.DISMISSED:
        LLMHubMonitor.log_user_action(
            user, "feedback_dismissed", page=HUB_PAGE, feature=HUB_FEATURE, step=step
        )
    else:
        LLMHubMonitor.log_feedback(
            user,
            flag=HUB_FLAG,
            cohort=NEW_HUB,
            step=step,
            positive=outcome == Outcome.POSITIVE,
            comment=comment,
            page=HUB_PAGE,
        )
    return reply


def hub_opted_out(user: Any) -> bool:
    return HubOptOut.objects.filter(user=user).exists()


def hub_opt_out(*, user: Any, step: str, tab: str | None) -> None:
    """The user leaves the new hub for the old pages: counted, and remembered."""
    HubOptOut.objects.update_or_create(user=user, defaults={"step": step})
    LLMHubMonitor.log_hub_opt_out(
        user, flag=HUB_FLAG, cohort=NEW_HUB, step=step, page=HUB_PAGE, tab=tab
    )


def hub_opt_in(*, user: Any) -> None:
    """Back from the old pages (the caller has checked that the flag lets the user in)."""
    HubOptOut.objects.filter(user=user).delete()
    LLMHubMonitor.log_user_action(user, "hub_opt_in", page=HUB_PAGE, feature=HUB_FEATURE)
