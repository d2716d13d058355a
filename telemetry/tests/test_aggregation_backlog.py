"""A backlog bigger than one run: chunks, each committed with the fill state, converge to
exactly what a full rebuild computes (issue 16, point 2)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings

from telemetry.aggregation import services
from telemetry.aggregation.services import summaries_aggregate_closed, summaries_rebuild
from telemetry.models import AggregationState
from telemetry.tasks import aggregate_closed_buckets
from telemetry.tests.test_aggregation import NOW, _assert_same, _expected, _seed, _stored

pytestmark = pytest.mark.django_db
# A backlog of 30 hours; a run may do one chunk of 100 events per bucket size.
CUTOFF = NOW - timedelta(seconds=15)  # TELEMETRY_AGGREGATION_DELAY_SECONDS
SMALL_RUN = {"TELEMETRY_AGGREGATION_CHUNK_EVENTS": 100, "TELEMETRY_AGGREGATION_RUN_SECONDS": 0}


def _fill_state() -> dict[str, datetime | None]:
    return dict(AggregationState.objects.values_list("bucket_size", "received_until"))


@override_settings(**SMALL_RUN)
def test_aggregate__backlog_bigger_than_a_run__converges_to_a_full_rebuild() -> None:
    # given 1,200 events waiting, 30 hours of them, and runs limited to one small chunk
    _seed(1200, start=NOW - timedelta(hours=31), spread_minutes=30 * 60)
    # when the scheduled task runs again and again
    states: list[dict[str, datetime | None]] = []
    for _ in range(40):
        aggregate_closed_buckets.apply()
        states.append(_fill_state())
        if states[-1]["minute"] == states[-1]["hour"] == CUTOFF:
            break
    # then no single run caught up, the fill state moved forward with each run...
    assert len(states) >= 10
    assert states[0]["minute"] is not None and states[0]["minute"] < CUTOFF
    minutes = [s["minute"] or CUTOFF - timedelta(days=99) for s in states]
    assert all(a < b for a, b in itertools.pairwise(minutes))
    # ...and the summaries are exact: what a full rebuild writes changes nothing
    stored = _stored("minute"), _stored("hour")
    _assert_same(stored[0], _expected("minute"))
    _assert_same(stored[1], _expected("hour"))
    summaries_rebuild(since=NOW - timedelta(hours=32), until=NOW)
    assert (_stored("minute"), _stored("hour")) == stored


@pytest.fixture(autouse=True)
def _frozen_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """The task reads the clock: the aggregation's clock reads NOW, so the cutoff is known."""
    monkeypatch.setattr(services, "timezone", SimpleNamespace(now=lambda: NOW))


def test_aggregate__killed_mid_chunk__keeps_earlier_chunks_and_redoes_only_that_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # given a backlog of many chunks, and a worker killed during the fifth chunk's upsert
    _seed(900, start=NOW - timedelta(hours=20), spread_minutes=18 * 60)
    real_upsert, calls = services._upsert, []

    def upsert_killed_at_fifth(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        real_upsert(*args, **kwargs)
        if len(calls) == 5:
            raise RuntimeError("worker killed")

    monkeypatch.setattr(services, "_upsert", upsert_killed_at_fifth)
    with pytest.raises(RuntimeError):
        summaries_aggregate_closed(now=NOW, chunk_events=100, budget_seconds=60)
    # then the chunks committed before stay, the fill state where they left it
    kept = _fill_state()
    assert kept["minute"] is not None and kept["minute"] < CUTOFF
    done = {
        k: v
        for k, v in _expected("minute").items()
        if k[0] + timedelta(minutes=1) <= kept["minute"]
    }
    assert done and all(_stored("minute")[k] == v for k, v in done.items())
    # when the next run goes on, it starts from that fill state: the killed chunk only
    monkeypatch.setattr(services, "_upsert", real_upsert)
    windows: list[datetime | None] = []
    real_chunk_end = services._chunk_end

    def chunk_end(*args: Any, **kwargs: Any) -> datetime:
        windows.append(kwargs["since"])
        return real_chunk_end(*args, **kwargs)

    monkeypatch.setattr(services, "_chunk_end", chunk_end)
    results = summaries_aggregate_closed(now=NOW, chunk_events=100, budget_seconds=60)
    # then it resumed where the committed chunks ended and ends exact
    assert windows[0] == kept["minute"]
    assert all(r.caught_up for r in results)
    _assert_same(_stored("minute"), _expected("minute"))
    _assert_same(_stored("hour"), _expected("hour"))


def test_aggregate__many_events_at_one_instant__one_chunk_still_moves_on() -> None:
    # given more events stored at one same instant than a chunk holds (one bulk flush)
    at = NOW - timedelta(hours=2)
    _seed(50, start=at, spread_minutes=0)
    _seed(30, start=NOW - timedelta(hours=1), spread_minutes=10, seed=3)
    # when runs of chunks of 10 events go on
    for _ in range(10):
        summaries_aggregate_closed(now=NOW, chunk_events=10, budget_seconds=0)
    # then the instant was taken whole and the backlog cleared
    assert set(_fill_state().values()) == {CUTOFF}
    _assert_same(_stored("minute"), _expected("minute"))


@override_settings(**SMALL_RUN)
def test_aggregate_events_command__backlog_left__says_so(capsys: pytest.CaptureFixture) -> None:
    _seed(300, start=NOW - timedelta(hours=5), spread_minutes=240)
    call_command("aggregate_events")
    assert "minute:" in (out := capsys.readouterr().out) and "a backlog is left" in out
    for _ in range(10):
        call_command("aggregate_events")
    assert "backlog" not in capsys.readouterr().out.splitlines()[-1]
