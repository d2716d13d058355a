"""Logging in as people do: the login form as rendered, submitted with its CSRF token.

The seeded demo users may use the hub and split by the rollout; an account that may not enter
is told so instead of having its (right) password blamed.
"""

from __future__ import annotations

import io
from html import escape
from typing import Any

import pytest
from django.test import Client, override_settings

from flags.evaluation import bucket
from flags.seed import SEED_FLAGS, seed_flags
from llmhub.hub.login import NO_ACCESS_MESSAGE
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.tests.factories import PASSWORD, StaffUserFactory
from llmhub.ops.seed_users import REGULAR_PASSWORD, seed_users
from llmhub.seeding import SeedRun
from tests.html_forms import forms_in

pytestmark = pytest.mark.django_db
HUB = "/admin/llm-management/"
WRONG_PASSWORD = "Please enter the correct username and password"


def log_in(username: str, password: str, *, address: str = "127.0.0.1") -> tuple[Client, Any]:
    """Open the login form the hub sends visitors to, type, submit; a fresh browser each."""
    browser = Client(enforce_csrf_checks=True, REMOTE_ADDR=address)
    login_page = browser.get(HUB, follow=True)
    (form,) = [form for form in forms_in(login_page.content.decode()) if form.method == "post"]
    body = form.filled(username=username, password=password)
    response = browser.post(form.url(login_page.request["PATH_INFO"]), body)
    return browser, response


def test_login__right_password_but_not_staff__says_no_access() -> None:
    StaffUserFactory.create(username="outsider", is_staff=False, hub_access=False)
    _, response = log_in("outsider", PASSWORD)
    page = response.content.decode()
    assert response.status_code == 200
    assert escape(NO_ACCESS_MESSAGE) in page and WRONG_PASSWORD not in page


def test_login__wrong_password__still_blames_the_password() -> None:
    StaffUserFactory.create(username="outsider", is_staff=False, hub_access=False)
    for username, password in [("outsider", "not-it"), ("nobody-at-all", "not-it")]:
        _, response = log_in(username, password)
        page = response.content.decode()
        assert WRONG_PASSWORD in page and escape(NO_ACCESS_MESSAGE) not in page


def test_login__staff_without_permissions__enters_and_the_hub_says_no_access() -> None:
    StaffUserFactory.create(username="bare", hub_access=False)
    browser, response = log_in("bare", PASSWORD)
    assert (response.status_code, response["Location"]) == (302, HUB)
    hub = browser.get(HUB)
    assert hub.status_code == 403 and "ask an administrator" in hub.content.decode()


@override_settings(DEBUG=True)  # seed_test_data sets known passwords only under DEBUG
def test_seeded_demo_users__log_in_and_split_by_the_rollout() -> None:
    seed_catalog()
    seed_tiers()
    run = SeedRun(out=io.StringIO(), users=20, show_progress=False)
    seed_users(run)
    seed_flags(run)
    served: dict[str, str] = {}
    for number, username in enumerate(run.regular_usernames, start=1):
        browser, response = log_in(username, REGULAR_PASSWORD, address=f"10.0.0.{number}")
        assert (response.status_code, response["Location"]) == (302, HUB), username
        page = browser.get(HUB)
        assert page.status_code == 200
        served[username] = "hub" if "data-tablist" in page.content.decode() else "old"
    # DESIGN.md's bucketing rule, applied to the seeded percentage.
    percentage = SEED_FLAGS["unified_llm_hub"]["rollout_percentage"]
    expected = {
        name: "hub" if bucket("unified_llm_hub", name) <= percentage else "old" for name in served
    }
    assert served == expected
    assert set(served.values()) == {"hub", "old"}  # a real population: both cohorts
    assert "hub users" in run.out.getvalue()
