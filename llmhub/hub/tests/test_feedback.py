"""The new hub's feedback prompt, "back to the old pages" and "Try the new hub", through the
pages and the feedback endpoint as a browser calls them (session, CSRF token)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from flags.services import flag_disable, flag_set_rollout
from llmhub.actors import Actor
from llmhub.hub.models import HubOptOut
from llmhub.hub.tests.factories import StaffUserFactory, seed_hub
from telemetry.feedback import feedback_counts, hub_opt_out_count
from telemetry.models import Event

pytestmark = pytest.mark.django_db
HUB = "/admin/llm-management/"
FEEDBACK = "/api/v1/hub/feedback"
ACTOR = Actor.system("test")


@pytest.fixture
def tester() -> Client:
    """A staff user the flag lets in (whitelisted at 10 %), signed in, CSRF enforced."""
    seed_hub(rollout_percentage=10, whitelist_users=["tess"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffUserFactory.create(username="tess"))
    return client


def _csrf(client: Client, url: str = HUB) -> str:
    page = client.get(url, follow=True).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def _answer(client: Client, answer: str, comment: str = "") -> Any:
    return client.post(
        FEEDBACK,
        {"answer": answer, "comment": comment},
        content_type="application/json",
        headers={"X-CSRFToken": _csrf(client)},
    )


def _prompt_shown(client: Client) -> bool:
    return 'id="feedback-prompt"' in client.get(HUB).content.decode()


def test_prompt__offered_in_the_new_hub__answered_once_per_step(tester: Client) -> None:
    # given a user served the new hub: the prompt is offered
    assert _prompt_shown(tester)
    # when they answer
    response = _answer(tester, "positive", "Much faster.")
    # then the answer is a feedback event of the new hub's cohort, for the step
    assert (response.status_code, response.json()) == (201, {"answer": "positive", "step": "10%"})
    event = Event.objects.get(event_type="feedback")
    assert (event.user_id, event.flag, event.cohort, event.action) == (
        "tess",
        "unified_llm_hub",
        "new_hub",
        "positive",
    )
    assert event.properties == {"positive": True, "comment": "Much faster.", "step": "10%"}
    # and it is not offered again, nor accepted twice, at this step
    assert not _prompt_shown(tester)
    again = _answer(tester, "negative")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_answered"
    assert Event.objects.filter(event_type="feedback").count() == 1


def test_prompt__rollout_moves__asked_again(
    tester: Client, django_capture_on_commit_callbacks: Any
) -> None:
    assert _answer(tester, "negative").status_code == 201
    assert not _prompt_shown(tester)
    # when the rollout moves on (committed: every process sees the change)
    with django_capture_on_commit_callbacks(execute=True):
        flag_set_rollout(name="unified_llm_hub", percentage=25, actor=ACTOR, source="command")
    # then the prompt comes back, and the answer counts for the new step
    assert _prompt_shown(tester)
    assert _answer(tester, "positive").json()["step"] == "25%"


def test_prompt__dismissed__not_shown_again_and_not_counted(tester: Client) -> None:
    assert _answer(tester, "dismissed").status_code == 201
    assert not _prompt_shown(tester)
    assert not Event.objects.filter(event_type="feedback").exists()
    assert Event.objects.filter(event_type="user_action", action="feedback_dismissed").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"answer": "meh"}, "answer"),
        ({}, "answer"),
        ({"answer": "positive", "comment": "x" * 1001}, "comment"),
        ({"answer": "positive", "comment": ["list"]}, "comment"),
    ],
)
def test_feedback__bad_input__400_naming_the_field(tester: Client, body: dict, field: str) -> None:
    response = tester.post(
        FEEDBACK, body, content_type="application/json", headers={"X-CSRFToken": _csrf(tester)}
    )
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not Event.objects.filter(event_type="feedback").exists()


def test_feedback__without_csrf_token__refused(tester: Client) -> None:
    response = tester.post(FEEDBACK, {"answer": "positive"}, content_type="application/json")
    assert response.status_code == 403
    assert not Event.objects.filter(event_type="feedback").exists()


def test_feedback__anonymous__401(client: Client) -> None:
    assert client.post(
        FEEDBACK, {"answer": "positive"}, content_type="application/json"
    ).status_code in (401, 403)


def test_feedback__user_on_the_old_pages__409_nothing_recorded(
    tester: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        flag_disable(name="unified_llm_hub", actor=ACTOR, source="command")
    assert not _prompt_shown(tester)
    response = _answer(tester, "positive")
    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_in_new_hub")
    assert not Event.objects.filter(event_type="feedback").exists()


def test_back_to_old_pages__counted_remembered_and_undone_by_try_the_new_hub(
    tester: Client,
) -> None:
    # when the user leaves the new hub from its Models tab
    response = tester.post(
        f"{HUB}back-to-old-pages/", {"tab": "models", "csrfmiddlewaretoken": _csrf(tester)}
    )
    # then they land on the old page of that tab, and it is counted as an opt-out
    assert (response.status_code, response["Location"]) == (302, f"{HUB}old/models/")
    event = Event.objects.get(event_type="hub_opt_out")
    assert (event.user_id, event.flag, event.cohort, event.tab) == (
        "tess",
        "unified_llm_hub",
        "new_hub",
        "models",
    )
    # and the hub's root serves them the old pages, offering the way back
    page = tester.get(HUB).content.decode()
    assert 'role="tablist"' not in page and 'id="try-new-hub"' in page
    assert tester.get(f"{HUB}rules/")["Location"] == f"{HUB}old/routing/"
    # when they choose "Try the new hub": the new hub again
    back = tester.post(f"{HUB}try-new-hub/", {"csrfmiddlewaretoken": _csrf(tester)})
    assert back["Location"] == HUB
    assert "data-tablist" in tester.get(HUB).content.decode()
    assert not HubOptOut.objects.exists()


def test_try_the_new_hub__user_outside_the_rollout__not_offered_and_not_honoured() -> None:
    seed_hub(rollout_percentage=0)
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffUserFactory.create(username="oliver"))
    page = client.get(HUB).content.decode()
    assert 'id="try-new-hub"' not in page
    # posting the form anyway lets nobody past the flag
    response = client.post(
        f"{HUB}try-new-hub/", {"csrfmiddlewaretoken": _csrf(client)}, follow=True
    )
    page = response.content.decode()
    assert "data-tablist" not in page and "not open to your account" in page


def test_selectors__count_answers_and_opt_outs_per_flag_cohort_step_and_window(
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given answers of five users at two steps and an opt-out
    seed_hub(rollout_percentage=10, whitelist_users=[f"u{i}" for i in range(5)])
    for i, outcome in enumerate(["positive", "positive", "negative", "positive", "negative"]):
        client = Client()
        client.force_login(StaffUserFactory.create(username=f"u{i}"))
        if i == 3:
            with django_capture_on_commit_callbacks(execute=True):
                flag_set_rollout(
                    name="unified_llm_hub", percentage=25, actor=ACTOR, source="command"
                )
        assert (
            client.post(FEEDBACK, {"answer": outcome}, content_type="application/json").status_code
            == 201
        )
    client.post(f"{HUB}back-to-old-pages/", {"tab": "keys"})
    now = timezone.now()
    window = {"since": now - timedelta(hours=1), "until": now + timedelta(seconds=1)}
    # then the selectors count them per step, cohort and window
    counts = feedback_counts(flag="unified_llm_hub", **window)
    assert (counts.positive, counts.negative, counts.answers) == (3, 2, 5)
    assert counts.positive_share == pytest.approx(0.6)
    step = feedback_counts(flag="unified_llm_hub", step="10%", cohort="new_hub", **window)
    assert (step.positive, step.negative) == (2, 1)
    assert feedback_counts(flag="unified_llm_hub", cohort="old_pages", **window).answers == 0
    assert feedback_counts(flag="other", **window).positive_share is None
    earlier = {"since": now - timedelta(hours=2), "until": now - timedelta(hours=1)}
    assert feedback_counts(flag="unified_llm_hub", **earlier).answers == 0
    assert hub_opt_out_count(flag="unified_llm_hub", **window) == 1
    assert hub_opt_out_count(flag="unified_llm_hub", step="10%", **window) == 0
    assert hub_opt_out_count(flag="unified_llm_hub", step="25%", **window) == 1
