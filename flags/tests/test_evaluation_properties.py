"""Properties of percentage rollout (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flags.evaluation import bucket, evaluate
from flags.types import EvaluationContext, FlagSnapshot

subjects = st.text(min_size=1, max_size=40)
groups = st.text(min_size=1, max_size=40)
percentages = st.integers(min_value=0, max_value=100)


def _flag(percentage: int, group: str = "g") -> FlagSnapshot:
    return FlagSnapshot(name="f", enabled=True, rollout_percentage=percentage, rollout_group=group)


def _on(flag: FlagSnapshot, subject: str) -> bool:
    return evaluate(flag, EvaluationContext(subject=subject, now=0.0)).enabled


@given(subject=subjects, group=groups, percentage=percentages)
def test_evaluation__same_answer_every_call(subject: str, group: str, percentage: int) -> None:
    flag = _flag(percentage, group)
    assert len({_on(flag, subject) for _ in range(3)}) == 1


@given(subject=subjects, group=groups, low=percentages, high=percentages)
def test_rollout__percentage_raised__keeps_enabled_users(
    subject: str, group: str, low: int, high: int
) -> None:
    low, high = min(low, high), max(low, high)
    if _on(_flag(low, group), subject):
        assert _on(_flag(high, group), subject)


@given(subject=subjects, group=groups)
def test_rollout__zero_and_hundred_are_exact(subject: str, group: str) -> None:
    assert _on(_flag(0, group), subject) is False
    assert _on(_flag(100, group), subject) is True


@pytest.mark.parametrize("percentage", [10, 50, 90])
def test_rollout__share_of_100k_users_within_one_point(percentage: int) -> None:
    flag = _flag(percentage, "share")
    enabled = sum(_on(flag, f"user-{i}") for i in range(100_000))
    assert abs(enabled / 1000 - percentage) <= 1.0


def test_rollout__two_flags_bucket_independently() -> None:
    users = [f"user-{i}" for i in range(100_000)]
    a = {u for u in users if bucket("flag-a", u) <= 50}
    b = {u for u in users if bucket("flag-b", u) <= 50}
    both = len(a & b) / len(users)
    # Independent 50% cohorts overlap on about a quarter of users (not half, not zero).
    assert abs(both - 0.25) <= 0.01
