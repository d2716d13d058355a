"""The per-process snapshot: no query when warm, changes seen on commit, rollbacks never seen."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

import flags
from flags import services
from flags.store import REVISION_KEY, SnapshotStore
from flags.types import Reason
from llmhub.actors import Actor

ACTOR = Actor.system("tests")


def _create(name: str = "hub", **config: object) -> None:
    services.flag_create(name=name, actor=ACTOR, source="command", **config)


@pytest.mark.django_db
def test_warm_evaluation__makes_no_database_query(django_assert_num_queries) -> None:
    _create(enabled=True, rollout_percentage=50)
    flags.is_enabled("hub", "alice")  # warm up
    with django_assert_num_queries(0):
        for i in range(1000):
            flags.is_enabled("hub", f"user-{i}")
            flags.evaluate("missing-flag", f"user-{i}")


@pytest.mark.django_db
def test_warm_evaluation__revision_checks_need_no_query(settings, django_assert_num_queries):
    settings.FLAGS_REVISION_SOURCE = "cache"
    settings.FLAGS_REVISION_CHECK_SECONDS = 0.0  # ask the cache on every call
    _create(enabled=True, rollout_percentage=100)
    flags.is_enabled("hub", "alice")
    with django_assert_num_queries(0):
        for _ in range(50):
            assert flags.is_enabled("hub", "alice")


@pytest.mark.django_db
def test_unknown_flag__off_and_never_raises() -> None:
    result = flags.evaluate("does-not-exist", "alice")
    assert (result.enabled, result.reason) == (False, "FLAG_NOT_FOUND")
    assert result.flag == "does-not-exist"
    assert flags.is_enabled("does-not-exist") is False


@pytest.mark.django_db
def test_window_boundary__crossed_without_reload(django_assert_num_queries) -> None:
    opens = datetime.now(UTC) + timedelta(seconds=0.3)
    _create(enabled=True, rollout_percentage=100, starts_at=opens)
    assert flags.evaluate("hub", "alice").reason == Reason.OUTSIDE_WINDOW
    time.sleep(0.35)
    with django_assert_num_queries(0):
        assert flags.evaluate("hub", "alice").reason == Reason.FULL_ROLLOUT


@pytest.mark.django_db(transaction=True)
def test_committed_change__seen_by_this_process_at_once() -> None:
    _create(enabled=True, rollout_percentage=100)
    assert flags.is_enabled("hub", "alice")
    services.flag_disable(name="hub", actor=ACTOR, source="api")
    assert flags.evaluate("hub", "alice").reason == Reason.DISABLED


@pytest.mark.django_db
def test_no_shared_cache__at_most_one_revision_query_per_interval(settings) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.FLAGS_REVISION_SOURCE = "database"
    settings.FLAGS_REVISION_CHECK_SECONDS = 0.1
    _create(enabled=True, rollout_percentage=50)
    flags.is_enabled("hub", "alice")  # warm up
    evaluations = 0
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        while time.monotonic() - started < 0.55:
            flags.is_enabled("hub", f"user-{evaluations}")
            evaluations += 1
        elapsed = time.monotonic() - started
    # Nothing changed, so every query is a revision check (no reload), one per interval at most.
    assert all('"version"' in q["sql"] and "COUNT" in q["sql"].upper() for q in queries)
    assert 1 <= len(queries) <= elapsed / 0.1 + 1
    assert evaluations > 100 * len(queries)


@pytest.mark.parametrize("source", ["cache", "database"])
@pytest.mark.django_db(transaction=True)
def test_committed_change__seen_by_another_store_after_the_interval(settings, source) -> None:
    if source == "cache" and not settings.REDIS_URL:
        pytest.skip("a local-memory cache is not shared between processes")
    settings.FLAGS_REVISION_SOURCE = source
    settings.FLAGS_REVISION_CHECK_SECONDS = 0.2
    other = SnapshotStore()  # another process, sharing the cache and the database
    _create(enabled=True, rollout_percentage=100)
    assert other.get("hub").enabled is True
    services.flag_disable(name="hub", actor=ACTOR, source="api")
    deadline = time.monotonic() + 1.0
    while other.get("hub").enabled and time.monotonic() < deadline:
        time.sleep(0.01)
    assert other.get("hub").enabled is False


@pytest.mark.django_db(transaction=True)
def test_rolled_back_change__never_seen(settings) -> None:
    settings.FLAGS_REVISION_CHECK_SECONDS = 0.0
    other = SnapshotStore()
    _create(enabled=True, rollout_percentage=100)
    assert flags.is_enabled("hub", "alice") and other.get("hub").enabled

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        services.flag_disable(name="hub", actor=ACTOR, source="api")
        # Inside the transaction this process keeps serving the committed configuration.
        assert flags.is_enabled("hub", "alice")
        raise Abort
    assert flags.is_enabled("hub", "alice")
    assert other.get("hub").enabled is True


@pytest.mark.django_db(transaction=True)
def test_revision_evicted__reloads_from_database(settings) -> None:
    from django.core.cache import cache

    settings.FLAGS_REVISION_CHECK_SECONDS = 0.0
    other = SnapshotStore()
    _create(enabled=True, rollout_percentage=100)
    assert other.get("hub").enabled
    with transaction.atomic():
        services.flag_disable(name="hub", actor=ACTOR, source="api")
    cache.delete(REVISION_KEY)  # as if the cache restarted empty after the change
    assert other.get("hub").enabled is False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_database_down__warm_snapshot_keeps_serving() -> None:
    from django.db import connection

    _create(enabled=True, rollout_percentage=100)
    assert flags.is_enabled("hub", "alice")
    saved_port = connection.settings_dict["PORT"]
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there: a real connection failure
    try:
        flags.client.store.refresh(force=True)
        assert flags.evaluate("hub", "alice").reason == Reason.FULL_ROLLOUT
    finally:
        connection.close()
        connection.settings_dict["PORT"] = saved_port
