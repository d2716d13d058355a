"""In Chromium against a live server: the feedback prompt and the way back to the old pages."""

from __future__ import annotations

from typing import Any

import pytest

from flags.services import flag_set_rollout
from llmhub.actors import Actor
from llmhub.hub.tests.factories import seed_hub
from llmhub.hub.tests.test_browser import HUB, eventually, log_in, settle
from telemetry.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_feedback_prompt__answered__gone_for_the_step__back_after_the_rollout_moves__dismissed(
    live_server: Any, browser_page: Any
) -> None:
    page, base = browser_page, live_server.url
    seed_hub(rollout_percentage=10, whitelist_users=["fiona"])
    # given a user the flag lets in: the prompt is shown, not in the way of the tabs
    log_in(page, base, "fiona")
    prompt = page.locator("#feedback-prompt")
    assert prompt.is_visible()
    assert "How is the new LLM hub?" in prompt.inner_text()
    page.click("#tab-models")  # the hub works around it
    assert page.locator("#panel-models").is_visible()

    # when they answer with a comment: thanked, the prompt goes, the answer is stored
    page.fill("#feedback-comment", "Tabs are quicker.")
    page.click("#feedback-positive")
    page.wait_for_function(
        "document.querySelector('.feedback-status').textContent === 'Thank you for your feedback.'"
    )
    prompt.wait_for(state="hidden")
    answer = eventually(lambda: Event.objects.filter(event_type="feedback").first())
    assert (answer.user_id, answer.cohort, answer.action) == ("fiona", "new_hub", "positive")
    assert answer.properties == {"positive": True, "comment": "Tabs are quicker.", "step": "10%"}

    # then it is not shown again at this step
    page.reload()
    settle(page)
    assert page.locator("#feedback-prompt").count() == 0

    # when the rollout moves a step: asked again; dismissed, it goes and counts as no answer
    flag_set_rollout(
        name="unified_llm_hub", percentage=25, actor=Actor.system("t"), source="command"
    )
    page.reload()
    assert page.locator("#feedback-prompt").is_visible()
    page.click("#feedback-dismiss")
    page.locator("#feedback-prompt").wait_for(state="hidden")
    settle(page)
    page.reload()
    settle(page)
    assert page.locator("#feedback-prompt").count() == 0
    assert Event.objects.filter(event_type="feedback").count() == 1
    assert Event.objects.filter(event_type="user_action", action="feedback_dismissed").exists()


def test_back_to_the_old_pages__counted__stays__try_the_new_hub_returns(
    live_server: Any, browser_page: Any
) -> None:
    page, base = browser_page, live_server.url
    seed_hub(rollout_percentage=0, whitelist_users=["otto"])
    log_in(page, base, "otto")
    # when the user, on the Tier rules tab, goes back to the old pages
    page.click("#tab-rules")
    page.click("#back-to-old-pages")
    # then they are on the old Routing page (the same data), and it was counted
    page.wait_for_url(f"{base}{HUB}old/routing/")
    assert page.locator("h1").inner_text() == "Routing"
    assert page.locator('[role="tablist"]').count() == 0
    settle(page)
    opt_out = Event.objects.get(event_type="hub_opt_out")
    assert (opt_out.user_id, opt_out.cohort, opt_out.tab) == ("otto", "new_hub", "rules")
    # and the hub's address keeps serving them the old pages
    page.goto(f"{base}{HUB}")
    assert page.locator('[role="tablist"]').count() == 0
    settle(page)
    # when they choose "Try the new hub": the new hub again
    page.click("#try-new-hub")
    page.wait_for_url(f"{base}{HUB}")
    assert page.locator('[role="tablist"]').is_visible()
    settle(page)
