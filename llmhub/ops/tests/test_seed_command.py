"""`manage.py seed_test_data` as a whole: every kind, idempotent, scaled, with a summary."""

from __future__ import annotations

import io
import time
from datetime import UTC, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Model
from django.test import override_settings
from django.utils import timezone

from flags.models import Flag
from llmhub.hub.models import LLMModel, Provider, Tier, TierRule
from llmhub.ops.seed_users import NAMED_USERS, REGULAR_PASSWORD
from telemetry.models import Event, EventSummary, FlagEvaluationCount
from telemetry.period import Period
from telemetry.selectors import dashboard_data

pytestmark = pytest.mark.django_db
KINDS: list[type[Model]] = [
    Provider,
    LLMModel,
    Tier,
    TierRule,
    get_user_model(),
    Flag,
    Event,
    FlagEvaluationCount,
]


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_test_data", *args, stdout=out)
    return out.getvalue()


def counts() -> list[int]:
    everything: list[type[Model]] = [*KINDS, EventSummary]
    return [model._default_manager.count() for model in everything]


def away_from_the_hour() -> None:
    """Seeded telemetry stops at the start of the current hour; don't straddle one."""
    now = timezone.now()
    if now.minute == 59 and now.second >= 50:
        time.sleep(61 - now.second)


def test_seed__defaults__make_every_kind_and_a_summary_table() -> None:
    away_from_the_hour()
    output = seed("--no-progress")
    assert all(count > 0 for count in counts())
    assert get_user_model().objects.count() == 23  # admin, staff, tester + 20
    assert 4_000 < Event.objects.count() <= 5_000
    table = output[output.index("kind ") :]
    for kind in ("providers", "models", "tier rules", "users", "flags", "telemetry events"):
        assert kind in table
    assert "\r" not in output


def test_seed__twice__same_counts_and_all_already_there() -> None:
    away_from_the_hour()
    seed("--no-progress", "--users", "5", "--events", "700")
    before = counts()
    output = seed("--no-progress", "--users", "5", "--events", "700")
    assert counts() == before
    rows = output[output.index("kind ") :].splitlines()[2:-1]
    assert rows and all(row.split()[-2] == "0" for row in rows), rows


def test_seed__users_and_events__scale_it_up_with_a_progress_bar() -> None:
    away_from_the_hour()
    output = seed("--users", "60", "--events", "14000", "--only", "users,telemetry")
    assert get_user_model().objects.count() == 63
    assert Event.objects.count() > 13_000
    assert "\rtelemetry events [" in output and "] 100%" in output
    assert len(set(Event.objects.values_list("user_id", flat=True))) > 55


@override_settings(DEBUG=False)
def test_seed__debug_off__prints_no_development_password() -> None:
    output = seed("--no-progress", "--only", "users", "--users", "3")
    for password in [u.dev_password for u in NAMED_USERS] + [REGULAR_PASSWORD]:
        assert password not in output


@override_settings(DEBUG=True)
def test_seed__debug_on__prints_the_development_logins() -> None:
    output = seed("--no-progress", "--only", "users", "--users", "3")
    assert "Development logins" in output and "llmhub-admin" in output


def test_seed__the_dashboard__has_data_at_once() -> None:
    away_from_the_hour()
    seed("--no-progress", "--events", "1400")
    today = timezone.now().astimezone(UTC).date()
    data = dashboard_data(Period(today - timedelta(days=6), today - timedelta(days=1)))
    for cohort in data["cohorts"].values():
        assert all(views > 0 for views in cohort["views"])
        assert all(p95 is not None for p95 in cohort["p95_ms"])
    assert {flag["flag"] for flag in data["flags"]} >= {"unified_llm_hub", "advanced_analytics"}
    assert data["api"] and data["api"][0]["calls"] > 0


@pytest.mark.parametrize("bad", ["-1", "many", "99999999999"])
def test_seed__bad_count__is_refused_before_anything_is_made(bad: str) -> None:
    with pytest.raises(CommandError, match="--users"):
        seed("--users", bad)
    assert counts() == [0] * (len(KINDS) + 1)
