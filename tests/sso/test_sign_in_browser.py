"""Company sign-in end to end, in Chromium, against a real OpenID provider (oidc-provider).

The hub's flag whitelists `group:dev-team` (phase 1's recipe): alice, in dev-team at the
provider, lands in the new hub; bob, in sales, in the old pages. Logout ends both sessions.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User

from flags.services import flag_create
from llmhub.actors import Actor
from llmhub.hub.permissions import HUB_USERS_GROUP
from tests.sso.provider import ACCOUNTS, Provider

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
HUB = "/admin/llm-management/"
COHORT = re.compile(r'data-cohort="([a-z_]+)"')


@pytest.fixture
def hub_flag() -> None:
    flag_create(
        name="unified_llm_hub",
        actor=Actor.system("test"),
        source="settings",
        enabled=True,
        rollout_percentage=0,
        whitelist_users=["group:dev-team"],
    )


def _sign_in(page: Any, site: str, username: str) -> None:
    page.goto(f"{site}{HUB}")
    assert "/admin/login/" in page.url  # not signed in: the login page, with the company button
    page.click("text=Sign in with your company account")
    page.wait_for_selector("text=Test provider sign-in")  # the provider's own login page
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", ACCOUNTS[username]["password"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{site}{HUB}**")


def _cohort(page: Any) -> str:
    match = COHORT.search(page.content())
    assert match, page.content()[:1000]
    return match.group(1)


def test_sign_in__group_member_lands_in_the_hub__groups_arrive__logout_ends_both(
    site: str, provider: Provider, hub_flag: None, browser_page: Any
) -> None:
    page = browser_page
    _sign_in(page, site, "alice")
    assert _cohort(page) == "new_hub"

    alice = User.objects.get(username="alice")
    assert (alice.email, alice.first_name, alice.last_name) == (
        "alice@example.com",
        "Alice",
        "Liddell",
    )
    assert alice.is_staff and not alice.is_superuser and not alice.has_usable_password()
    groups = set(alice.groups.values_list("name", flat=True))
    assert groups == {"dev-team", "platform/admins", HUB_USERS_GROUP}

    page.click("text=Log out")  # the hub's own logout button
    page.wait_for_selector("button:has-text('Yes, sign me out')")  # the provider's end-session
    page.click("button:has-text('Yes, sign me out')")
    page.wait_for_url(f"{site}/admin/login/**")

    page.goto(f"{site}{HUB}")
    assert "/admin/login/" in page.url  # the local session is gone
    page.click("text=Sign in with your company account")
    # ...and so is the provider's: it asks for the password again.
    page.wait_for_selector("input[name=password]")


def test_sign_in__member_of_another_group__old_pages(
    site: str, hub_flag: None, browser_page: Any
) -> None:
    _sign_in(browser_page, site, "bob")
    assert _cohort(browser_page) == "old_pages"
    assert set(User.objects.get(username="bob").groups.values_list("name", flat=True)) == {
        "sales",
        HUB_USERS_GROUP,
    }
