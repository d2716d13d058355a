"""The period a dashboard shows: `?days=N` (the last N days, today included) or
`?since=YYYY-MM-DD&until=YYYY-MM-DD` (both days included)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.http import QueryDict
from django.utils import timezone

DEFAULT_DAYS = 7
MAX_DAYS = 90


class PeriodError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Period:
    first_day: date
    last_day: date

    @property
    def since(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=UTC)

    @property
    def until(self) -> datetime:
        return datetime.combine(self.last_day + timedelta(days=1), time.min, tzinfo=UTC)

    @property
    def days(self) -> list[date]:
        count = (self.last_day - self.first_day).days + 1
        return [self.first_day + timedelta(days=i) for i in range(count)]


def _day(query: QueryDict, field: str) -> date:
    try:
        return date.fromisoformat(str(query.get(field, "")))
    except ValueError:
        raise PeriodError(field, "Use a date as YYYY-MM-DD.") from None


def period_from_query(query: QueryDict) -> Period:
    today = timezone.now().astimezone(UTC).date()
    if "since" in query or "until" in query:
        first = _day(query, "since") if "since" in query else today - timedelta(DEFAULT_DAYS - 1)
        last = _day(query, "until") if "until" in query else today
        if first > last:
            raise PeriodError("since", "`since` must not be after `until`.")
        if (last - first).days + 1 > MAX_DAYS:
            raise PeriodError("since", f"A period may span at most {MAX_DAYS} days.")
        return Period(first, last)
    raw = query.get("days", str(DEFAULT_DAYS))
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_DAYS:
        raise PeriodError("days", f"`days` must be a whole number from 1 to {MAX_DAYS}.")
    return Period(today - timedelta(days=int(raw) - 1), today)
