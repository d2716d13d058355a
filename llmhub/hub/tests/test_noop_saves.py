"""A hub form saved as it was rendered says nothing changed, and records nothing."""

from __future__ import annotations

import pytest
from django.test import Client

from flags.testutils import override_flag
from llmhub.hub.models import TierRule
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.tests.factories import StaffUserFactory
from telemetry.models import Event
from tests.html_forms import post_forms

HUB = "/admin/llm-management/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff() -> Client:
    seed_catalog()
    seed_tiers()
    client = Client()
    client.force_login(StaffUserFactory.create(username="alice"))
    return client


@override_flag("unified_llm_hub", active=True)
def test_rule_saved_unchanged__says_nothing_changed(staff: Client) -> None:
    """The rules tab's edit form (the old routing page has none), submitted as rendered."""
    rule = TierRule.objects.get(tier__slug="free", pattern="groq/*")
    before = list(TierRule.objects.order_by("pk").values())
    url = f"{HUB}rules/?edit={rule.pk}"
    page = staff.get(url).content.decode()
    (form,) = (f for f in post_forms(page) if f.value("action") == "update")
    response = staff.post(form.url(url), form.filled(), follow=True)
    shown = response.content.decode()
    assert response.status_code == 200
    assert f"Rule groq/* → {rule.decision} for {rule.tier.name}: nothing changed." in shown
    assert "updated." not in shown
    assert list(TierRule.objects.order_by("pk").values()) == before
    assert not Event.objects.filter(event_type="user_action").exists()


@override_flag("unified_llm_hub", active=True)
def test_rule_saved_changed__says_updated(staff: Client) -> None:
    rule = TierRule.objects.get(tier__slug="free", pattern="groq/*")
    url = f"{HUB}rules/?edit={rule.pk}"
    (form,) = (
        f for f in post_forms(staff.get(url).content.decode()) if f.value("action") == "update"
    )
    response = staff.post(form.url(url), form.filled(priority="77"), follow=True)
    assert "updated." in response.content.decode()
    assert TierRule.objects.get(pk=rule.pk).priority == 77
    assert Event.objects.filter(event_type="user_action", action="rule_updated").exists()
