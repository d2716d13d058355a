"""Tier rules saved from Django admin go through the hub's services, as the tier page's forms do:
the rule's own screen and the rule rows of a tier's screen, submitted as a browser would."""

from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from llmhub.hub import services
from llmhub.hub.models import Tier, TierRule
from tests.html_forms import open_admin_form, post_as_browser

pytestmark = pytest.mark.django_db


@pytest.fixture
def tier() -> Tier:
    tier = Tier.objects.create(slug="starter", name="Starter", order=3)
    for priority, pattern in ((10, "groq/*"), (0, "*")):
        services.tier_rule_create(
            tier=tier, actor=None, pattern=pattern, decision="allow", priority=priority
        )
    return tier


def _service_log(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """(what, pattern, actor) of every tier rule write the services logged."""
    return [
        (
            record.getMessage().removeprefix("hub: tier rule "),
            record.__dict__["pattern"],
            record.__dict__["actor"],
        )
        for record in caplog.records
        if record.name == "llmhub.hub" and record.getMessage().startswith("hub: tier rule ")
    ]


def _saved(client: Client, url: str, pairs: list[tuple[str, str]]) -> None:
    response = post_as_browser(client, url, pairs)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_rule_screen__add_change_delete__through_the_services(
    admin_client: Client, tier: Tier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llmhub.hub")
    add_url = reverse("admin:hub_tierrule_add")
    form = open_admin_form(admin_client, add_url)
    form.fill({"tier": str(tier.pk), "pattern": "ollama/*", "decision": "allow", "priority": "7"})
    _saved(admin_client, add_url, form.submission())
    rule = TierRule.objects.get(pattern="ollama/*")
    change_url = reverse("admin:hub_tierrule_change", args=[rule.pk])
    form = open_admin_form(admin_client, change_url)
    _saved(admin_client, change_url, form.submission())  # unchanged: nothing written
    form.fill({"priority": "8"})
    _saved(admin_client, change_url, form.submission())
    delete_url = reverse("admin:hub_tierrule_delete", args=[rule.pk])
    confirm = open_admin_form(admin_client, delete_url)
    _saved(admin_client, delete_url, confirm.submission(button=None))

    assert _service_log(caplog) == [
        ("created", "ollama/*", "admin"),
        ("updated", "ollama/*", "admin"),
        ("deleted", "ollama/*", "admin"),
    ]
    assert not TierRule.objects.filter(pattern="ollama/*").exists()


def test_tier_screen__rule_rows__changed_and_deleted_through_the_services(
    admin_client: Client, tier: Tier, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llmhub.hub")
    url = reverse("admin:hub_tier_change", args=[tier.pk])
    rows = {rule.pattern: index for index, rule in enumerate(tier.rules.all())}
    form = open_admin_form(admin_client, url)
    _saved(admin_client, url, form.submission())  # unchanged: nothing written
    form.fill({f"rules-{rows['groq/*']}-priority": "12", f"rules-{rows['*']}-DELETE": True})
    _saved(admin_client, url, form.submission())

    assert _service_log(caplog) == [("deleted", "*", "admin"), ("updated", "groq/*", "admin")]
    assert list(tier.rules.values_list("pattern", "priority")) == [("groq/*", 12)]
