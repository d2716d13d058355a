"""seed_test_data's flags: created through the service, never overwriting an existing flag."""

from __future__ import annotations

import io

import pytest

from flags.models import Flag, FlagChange
from flags.seed import SEED_FLAGS, seed_flags
from flags.tests.factories import FlagFactory
from llmhub.seeding import SeedRun

pytestmark = pytest.mark.django_db


def run_seed() -> tuple[int, int]:
    (tally,) = seed_flags(SeedRun(out=io.StringIO(), show_progress=False))
    return tally.created, tally.existing


def test_seed_flags__creates_the_three_flags_with_the_tester_whitelisted() -> None:
    assert run_seed() == (3, 0)
    assert set(Flag.objects.values_list("name", flat=True)) == set(SEED_FLAGS)
    hub = Flag.objects.get(name="unified_llm_hub")
    assert hub.whitelist_users == ["tester"] and hub.enabled
    changes = FlagChange.objects.filter(flag_name__in=SEED_FLAGS)
    assert changes.count() == 3
    assert set(changes.values_list("actor", flat=True)) == {"manage.py seed_test_data"}


def test_seed_flags__existing_flag__is_left_as_it_is() -> None:
    FlagFactory(name="unified_llm_hub", enabled=False, whitelist_users=["someone"])
    assert run_seed() == (2, 1)
    hub = Flag.objects.get(name="unified_llm_hub")
    assert (hub.enabled, hub.whitelist_users, hub.version) == (False, ["someone"], 1)


def test_seed_flags__twice__changes_nothing() -> None:
    run_seed()
    versions = dict(Flag.objects.values_list("name", "version"))
    assert run_seed() == (0, 3)
    assert dict(Flag.objects.values_list("name", "version")) == versions
