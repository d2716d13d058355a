"""Reads of what users said and did about a flag's new UI: the feedback prompt's answers and
the "back to the old pages" opt-outs, per flag, cohort, rollout step and time window.

The rollout's satisfaction gate reads these. Both event types are rare (one answer per user
and step at most), so they are counted from raw events through a partial index on
(flag, occurred_at) limited to these types: no scan of the high-volume events, and no
summary row (summaries have no dimension for the answer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from telemetry.models import Event, EventType


@dataclass(frozen=True)
class FeedbackCounts:
    """Distinct users who answered positive and negative in a window."""

    positive: int
    negative: int

    @property
    def answers(self) -> int:
        return self.positive + self.negative

    @property
    def positive_share(self) -> float | None:
        """Positive answers over all answers; None without any answer (no data, not 0 %)."""
        return self.positive / self.answers if self.answers else None


def _events(
    event_type: str,
    *,
    flag: str,
    since: datetime,
    until: datetime,
    cohort: str | None,
    step: str | None,
) -> QuerySet[Event]:
    # event_type and flag in the filter match the partial index's condition and columns.
    events = Event.objects.filter(
        event_type=event_type, flag=flag, occurred_at__gte=since, occurred_at__lt=until
    )
    if cohort is not None:
        events = events.filter(cohort=cohort)
    if step is not None:
        events = events.filter(properties__step=step)
    return events


def feedback_counts(
    *,
    flag: str,
    since: datetime,
    until: datetime,
    cohort: str | None = None,
    step: str | None = None,
) -> FeedbackCounts:
    """Users who answered the feedback prompt of `flag` in [since, until), positive and
    negative; only `cohort` ("new_hub", "old_pages") and `step` when given.

    Counted per distinct user, so a user is one voice however often a client retries.
    """
    answers = _events(
        EventType.FEEDBACK, flag=flag, since=since, until=until, cohort=cohort, step=step
    ).aggregate(
        positive=Count("user_id", distinct=True, filter=Q(action="positive")),
        negative=Count("user_id", distinct=True, filter=Q(action="negative")),
    )
    return FeedbackCounts(positive=answers["positive"], negative=answers["negative"])


def hub_opt_out_count(
    *,
    flag: str,
    since: datetime,
    until: datetime,
    step: str | None = None,
) -> int:
    """Distinct users who left the new UI of `flag` for the old pages in [since, until)."""
    events = _events(
        EventType.HUB_OPT_OUT, flag=flag, since=since, until=until, cohort=None, step=step
    )
    return int(events.aggregate(users=Count("user_id", distinct=True))["users"])
