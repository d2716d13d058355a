"""The normative evaluation order of DESIGN.md, rule by rule, on the pure engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from flags.evaluation import bucket, evaluate
from flags.types import EvaluationContext, FlagSnapshot, Reason

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
END = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


def _flag(**overrides: object) -> FlagSnapshot:
    base = FlagSnapshot(name="hub", enabled=True, rollout_percentage=50, rollout_group="hub")
    return replace(base, **overrides)


def _at(moment: datetime, subject: str | None = "alice") -> EvaluationContext:
    return EvaluationContext(subject=subject, now=moment.timestamp())


NOW = _at(START + timedelta(days=1))


def _in_rollout(percentage: int) -> str:
    return next(f"u{i}" for i in range(1000) if bucket("hub", f"u{i}") <= percentage)


def _out_of_rollout(percentage: int) -> str:
    return next(f"u{i}" for i in range(1000) if bucket("hub", f"u{i}") > percentage)


def test_unknown_flag__off_with_flag_not_found() -> None:
    result = evaluate(None, NOW, name="nope")
    assert (result.flag, result.enabled, result.reason) == ("nope", False, Reason.FLAG_NOT_FOUND)


def test_disabled__blocks_whitelisted_users_too() -> None:
    result = evaluate(_flag(enabled=False, whitelist_users=frozenset({"alice"})), NOW)
    assert (result.enabled, result.reason) == (False, Reason.DISABLED)


def test_blacklist__wins_over_whitelist_and_full_rollout() -> None:
    flag = _flag(
        rollout_percentage=100,
        whitelist_users=frozenset({"alice"}),
        blacklist_users=frozenset({"alice"}),
    )
    assert evaluate(flag, NOW).reason == Reason.BLACKLISTED
    assert evaluate(flag, NOW).enabled is False


def test_whitelist__on_before_the_window_opens() -> None:
    flag = _flag(
        rollout_percentage=0, whitelist_users=frozenset({"alice"}), starts_at=START, ends_at=END
    )
    result = evaluate(flag, _at(START - timedelta(days=3)))
    assert (result.enabled, result.reason) == (True, Reason.WHITELISTED)


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (START - timedelta(microseconds=1), Reason.OUTSIDE_WINDOW),
        (START, Reason.FULL_ROLLOUT),  # start inclusive
        (END - timedelta(microseconds=1), Reason.FULL_ROLLOUT),
        (END, Reason.OUTSIDE_WINDOW),  # end exclusive
    ],
)
def test_window__start_inclusive_end_exclusive(moment: datetime, expected: Reason) -> None:
    flag = _flag(rollout_percentage=100, starts_at=START, ends_at=END)
    assert evaluate(flag, _at(moment)).reason == expected


def test_window__open_ended_on_either_side() -> None:
    only_start = _flag(rollout_percentage=100, starts_at=START)
    only_end = _flag(rollout_percentage=100, ends_at=END)
    assert evaluate(only_start, _at(END + timedelta(days=365))).enabled is True
    assert evaluate(only_end, _at(START - timedelta(days=365))).enabled is True
    assert evaluate(only_end, _at(END)).reason == Reason.OUTSIDE_WINDOW


def test_full_rollout__on_even_without_subject() -> None:
    result = evaluate(_flag(rollout_percentage=100), _at(START, subject=None))
    assert (result.enabled, result.reason) == (True, Reason.FULL_ROLLOUT)


def test_zero_rollout__off_with_default() -> None:
    result = evaluate(_flag(rollout_percentage=0), NOW)
    assert (result.enabled, result.reason) == (False, Reason.DEFAULT)


@pytest.mark.parametrize("subject", [None, ""])
def test_partial_rollout__without_subject__no_subject(subject: str | None) -> None:
    result = evaluate(_flag(rollout_percentage=50), _at(START, subject=subject))
    assert (result.enabled, result.reason) == (False, Reason.NO_SUBJECT)


def test_partial_rollout__bucket_at_or_below_percentage__on() -> None:
    user = _in_rollout(30)
    result = evaluate(_flag(rollout_percentage=30), _at(START, subject=user))
    assert (result.enabled, result.reason) == (True, Reason.ROLLOUT)


def test_partial_rollout__bucket_above_percentage__default() -> None:
    user = _out_of_rollout(30)
    result = evaluate(_flag(rollout_percentage=30), _at(START, subject=user))
    assert (result.enabled, result.reason) == (False, Reason.DEFAULT)


def test_partial_rollout__bucket_equal_to_percentage__on() -> None:
    user = next(f"u{i}" for i in range(10_000) if bucket("hub", f"u{i}") == 30)
    assert evaluate(_flag(rollout_percentage=30), _at(START, subject=user)).enabled is True


def test_rollout_group__changing_it_reshuffles_the_cohort() -> None:
    users = [f"u{i}" for i in range(2000)]
    first = {u for u in users if evaluate(_flag(), _at(START, u)).enabled}
    second = {u for u in users if evaluate(_flag(rollout_group="hub-2"), _at(START, u)).enabled}
    assert first != second


def test_result__carries_flag_name_and_version() -> None:
    result = evaluate(_flag(version=7, rollout_percentage=100), NOW)
    assert (result.flag, result.version) == ("hub", 7)


def test_bucket__range_is_1_to_100() -> None:
    values = {bucket("g", str(i)) for i in range(20_000)}
    assert min(values) == 1 and max(values) == 100
