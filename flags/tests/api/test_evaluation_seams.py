"""Evaluation's seams (issue 12): one engine function, one client function per public verb,
the API's answer and configuration from one flag set, presenters that only shape."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from flags import client, evaluation, services
from flags.api import presenters, read_views
from flags.store import store
from flags.tests.api.conftest import Api, make_flag
from llmhub.actors import Actor
from tests.test_import_seams import imported, offenders

BASE = "/api/v1/features/"


def public_functions(module: ModuleType) -> set[str]:
    return {
        name
        for name, value in vars(module).items()
        if inspect.isfunction(value)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    }


def test_the_engine_exports_one_evaluation_function() -> None:
    """`bucket` is the cohort rule alone (tests, tools); deciding is `evaluate` only."""
    assert public_functions(evaluation) == {"evaluate", "bucket"}
    assert list(inspect.signature(evaluation.evaluate).parameters) == ["flag", "context", "name"]


def test_the_client_has_one_function_per_public_verb() -> None:
    """`subject_from_request` says who asks (the API's own subject); it decides nothing."""
    assert public_functions(client) == {"evaluate", "is_enabled", "subject_from_request"}


def test_presenters_read_nothing() -> None:
    """No store, no cache, no database, no selector: shaping what the views hand them."""
    reads = re.compile(
        r"^(flags\.(store|client|selectors|state_load)|django\.core\.cache|django\.db)(\.|$)"
    )
    assert offenders(iter([Path(presenters.__file__)]), reads) == []
    assert any(module == "flags.types" for _, module in imported(Path(presenters.__file__)))


@pytest.mark.django_db
def test_evaluate__flag_changes_meanwhile__answer_and_config_of_one_version(
    admin_api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change the store loads between the evaluation and the configuration read: the
    configuration sent (if any) is the evaluated version's, never the newer one's."""
    make_flag("hub", rollout_percentage=100)
    evaluate = client.evaluate

    def changed_meanwhile(*args: Any, **kwargs: Any) -> Any:
        result = evaluate(*args, **kwargs)
        services.flag_update(
            name="hub", actor=Actor.system("tests"), source="command", rollout_percentage=40
        )
        store.refresh(force=True)
        return result

    monkeypatch.setattr(read_views.client, "evaluate", changed_meanwhile)
    response = admin_api.get(f"{BASE}hub?user_id=bob")

    body = response.json()
    assert (response.status_code, body["version"], body["reason"]) == (200, 1, "FULL_ROLLOUT")
    assert body.get("config", {"version": 1})["version"] == 1
    assert response.headers.get("ETag", '"1"') == '"1"'


@pytest.mark.django_db
def test_evaluate__privileged__config_of_the_evaluated_snapshot_without_a_query(
    admin_api: Api, django_assert_num_queries: Any
) -> None:
    make_flag("hub", rollout_percentage=100, tags=["hub"])
    admin_api.get(f"{BASE}hub?user_id=bob")  # the token is checked and cached, the store loaded

    with django_assert_num_queries(0):
        response = admin_api.get(f"{BASE}hub?user_id=bob")

    body = response.json()
    assert (body["version"], body["config"]["version"], body["config"]["tags"]) == (1, 1, ["hub"])
    assert response.headers["ETag"] == '"1"'


@pytest.mark.django_db
def test_ofrep__context_key_spelled_as_an_argument__dropped_not_a_500(admin_api: Api) -> None:
    """`flags.evaluate` takes `snapshots` itself: an OFREP attribute of that name is no set."""
    make_flag("hub", rollout_percentage=100)
    context = {"targetingKey": "bob", "snapshots": {"hub": 1}, "request": 1, "name": "x"}

    single = admin_api.post("/ofrep/v1/evaluate/flags/hub", {"context": context})
    bulk = admin_api.post("/ofrep/v1/evaluate/flags", {"context": context})

    assert (single.status_code, single.json()["value"]) == (200, True)
    assert (bulk.status_code, bulk.json()["flags"][0]["value"]) == (200, True)
