"""The permission matrix: every hub page, old page, POST action and the access API, for every
kind of visitor, as a browser meets them.

Roles: anonymous, a plain (non-staff) user, staff without permissions, staff with view
permissions only, staff with the models' permissions (the "hub users" group), a superuser.
Pages: anonymous visitors are sent to the login form, the others refused (403) until they hold
the view permission; forms and buttons appear only for who may use them. Actions: the form is
taken from the page as rendered (for a role that cannot see it, from a superuser's page, as
someone who copied it would) and posted with the role's own CSRF token; a refused write
changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from flags.testutils import override_flag
from llmhub.actors import Actor
from llmhub.api.tokens.services import token_create
from llmhub.hub.models import LLMModel, Provider, ProviderKey, TierRule
from llmhub.hub.permissions import (
    ACCESS_API_PERMISSION,
    ACTION_PERMISSIONS,
    HUB_USER_PERMISSIONS,
    PROVIDERS_VIEW_PERMISSION,
    TAB_VIEW_PERMISSIONS,
    permission_objects,
)
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.services import provider_key_add
from llmhub.hub.tests.factories import StaffUserFactory
from telemetry.models import Event
from telemetry.permissions import VIEW_DASHBOARD_PERMISSION
from tests.html_forms import HtmlForm, csrf_token_in, post_forms

pytestmark = pytest.mark.django_db

HUB = "/admin/llm-management/"
KEYS, MODELS, RULES, USAGE = (f"{HUB}{tab}/" for tab in ("keys", "models", "rules", "usage"))
OLD_PROVIDERS, OLD_MODELS, OLD_ROUTING, OLD_USAGE = (
    f"{HUB}old/{page}/" for page in ("providers", "models", "routing", "usage")
)
SECRET = "sk-ant-api03-MATRIXmatrixMATRIX-1234-wxyz"
NEW_SECRET = "sk-ant-api03-ROTATEDrotated-5678-abcd"

ROLES = ["anonymous", "plain", "staff_none", "staff_view", "staff_model", "superuser"]
VIEWERS = {"staff_view", "staff_model", "superuser"}
WRITERS = {"staff_model", "superuser"}
VIEW_PERMISSIONS = [perm for perm in HUB_USER_PERMISSIONS if ".view_" in perm]


@dataclass
class World:
    key: int
    model: int
    rule: int
    clients: dict[str, Client] = field(default_factory=dict)

    def url(self, template: str) -> str:
        return template.format(key=self.key, model=self.model, rule=self.rule)


def _client(user: Any | None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def _staff_with(name: str, perms: list[str]) -> Any:
    user = StaffUserFactory.create(username=name, hub_access=False)
    user.user_permissions.add(*permission_objects(perms))
    return user


@pytest.fixture
def world() -> World:
    seed_catalog()
    seed_tiers()
    anthropic = Provider.objects.get(slug="anthropic")
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    users = {
        "anonymous": None,
        "plain": StaffUserFactory.create(username="plain", is_staff=False, hub_access=False),
        "staff_none": StaffUserFactory.create(username="nobody", hub_access=False),
        "staff_view": _staff_with("viewer", VIEW_PERMISSIONS),
        "staff_model": StaffUserFactory.create(username="editor"),  # the "hub users" group
        "superuser": StaffUserFactory.create(username="root", is_superuser=True, hub_access=False),
    }
    return World(
        key=key.pk,
        model=LLMModel.objects.get(model_id="openai/gpt-4o").pk,
        rule=TierRule.objects.get(tier__slug="free", pattern="groq/*").pk,
        clients={role: _client(user) for role, user in users.items()},
    )


def state() -> dict[str, list[Any]]:
    """Everything a hub write can change, and the record of actions."""
    return {
        "keys": list(ProviderKey.objects.order_by("pk").values()),
        "models": list(LLMModel.objects.order_by("pk").values("pk", "enabled")),
        "rules": list(TierRule.objects.order_by("pk").values()),
        "actions": list(Event.objects.filter(event_type="user_action").values("event_id")),
    }


def login_redirect(url: str) -> str:
    return f"/admin/login/?next={quote(url, safe='/')}"


# ---- pages -------------------------------------------------------------------------------

HUB_FORMS = {
    (KEYS, "add"),
    (KEYS, "delete"),
    (MODELS, "toggle"),
    (RULES, "create"),
    (RULES, "delete"),
}


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    flag_on: bool  # unified_llm_hub for the visitor
    forms: frozenset[tuple[str, str]]  # (posted to, action) of the forms a writer sees


PAGES = [
    Page("hub root", HUB, True, frozenset(HUB_FORMS)),
    Page(
        "hub keys, rotating",
        KEYS + "?rotate={key}",
        True,
        frozenset(HUB_FORMS | {(KEYS, "rotate")}),
    ),
    Page("hub models", MODELS, True, frozenset(HUB_FORMS)),
    Page(
        "hub rules, editing",
        RULES + "?edit={rule}",
        True,
        frozenset(HUB_FORMS | {(RULES, "update")}),
    ),
    Page("hub usage", USAGE, True, frozenset(HUB_FORMS)),
    Page("old root", HUB, False, frozenset({(OLD_PROVIDERS, "add"), (OLD_PROVIDERS, "delete")})),
    Page(
        "old providers",
        OLD_PROVIDERS,
        False,
        frozenset({(OLD_PROVIDERS, "add"), (OLD_PROVIDERS, "delete")}),
    ),
    Page("old models", OLD_MODELS, False, frozenset({(OLD_MODELS, "toggle")})),
    Page(
        "old routing",
        OLD_ROUTING,
        False,
        frozenset({(OLD_ROUTING, "create"), (OLD_ROUTING, "delete")}),
    ),
    Page("old usage", OLD_USAGE, False, frozenset()),
]


def shown_forms(html: str, page_url: str) -> set[tuple[str, str]]:
    return {
        (form.url(page_url), form.value("action") or "")
        for form in post_forms(html)
        if form.value("action") is not None
    }


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_page(world: World, page: Page, role: str) -> None:
    url = world.url(page.url)
    with override_flag("unified_llm_hub", active=page.flag_on):
        response = world.clients[role].get(url)
    if role == "anonymous":
        assert (response.status_code, response["Location"]) == (302, login_redirect(url))
    elif role not in VIEWERS:
        assert response.status_code == 403
        html = response.content.decode()
        assert "no access" in html and shown_forms(html, url) == set()
        assert "data-telemetry-url" not in html  # no page-load beacons from a refusal
    else:
        html = response.content.decode()
        assert response.status_code == 200
        assert ("data-tablist" in html) == page.flag_on  # the hub, or the old pages
        expected = set(page.forms) if role in WRITERS else set()
        assert shown_forms(html, url) == expected
        assert 'id="telemetry-dashboard-link"' in html


@pytest.mark.parametrize("role", ROLES)
def test_site_root(world: World, role: str) -> None:
    response = world.clients[role].get("/")
    if role == "anonymous":
        assert response["Location"] == login_redirect("/")
    elif role == "plain":
        assert response.status_code == 403
    else:  # staff: on to the hub, which decides by permission
        assert (response.status_code, response["Location"]) == (302, HUB)


# ---- actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    name: str
    page: str  # where a user finds the form
    action: str
    pick: dict[str, str]  # which of the page's forms (hidden row ids)
    typed: dict[str, str]  # what the user types into it
    effect: Callable[[World], object]  # changes when the write happens
    flag_on: bool = True
    post_to: str | None = None  # elsewhere than the form's own action (old URLs, no form)


def _key_labels(world: World) -> object:
    return sorted(ProviderKey.objects.values_list("label", flat=True))


def _key_preview(world: World) -> object:
    return ProviderKey.objects.filter(pk=world.key).values_list("preview", flat=True).first()


def _model_enabled(world: World) -> object:
    return LLMModel.objects.get(pk=world.model).enabled


def _rules(world: World) -> object:
    return sorted(TierRule.objects.values_list("tier__slug", "pattern", "priority"))


KEY_ADD = {"provider": "anthropic", "label": "matrix", "secret": SECRET.replace("1234", "9999")}
RULE_NEW = {"tier": "free", "pattern": "matrix/*", "decision": "allow", "priority": "5"}
ACTIONS = [
    Action("hub key add", KEYS, "add", {}, KEY_ADD, _key_labels),
    Action(
        "hub key rotate", KEYS + "?rotate={key}", "rotate", {}, {"secret": NEW_SECRET}, _key_preview
    ),
    Action("hub key delete", KEYS, "delete", {"key": "{key}"}, {}, _key_labels),
    Action("hub model toggle", MODELS, "toggle", {"model": "{model}"}, {}, _model_enabled),
    Action("hub rule create", RULES, "create", {}, RULE_NEW, _rules),
    Action("hub rule update", RULES + "?edit={rule}", "update", {}, {"priority": "77"}, _rules),
    Action("hub rule delete", RULES, "delete", {"rule": "{rule}"}, {}, _rules),
    Action("old key add", OLD_PROVIDERS, "add", {}, KEY_ADD, _key_labels, False),
    Action("old key delete", OLD_PROVIDERS, "delete", {"key": "{key}"}, {}, _key_labels, False),
    Action(
        "old model toggle", OLD_MODELS, "toggle", {"model": "{model}"}, {}, _model_enabled, False
    ),
    Action("old rule create", OLD_ROUTING, "create", {}, RULE_NEW, _rules, False),
    Action("old rule delete", OLD_ROUTING, "delete", {"rule": "{rule}"}, {}, _rules, False),
    # The old pages show no rotate or edit form, but their URLs take those POSTs too.
    Action(
        "old key rotate (no form)",
        KEYS + "?rotate={key}",
        "rotate",
        {},
        {"secret": NEW_SECRET},
        _key_preview,
        post_to=OLD_PROVIDERS,
    ),
    Action(
        "old rule update (no form)",
        RULES + "?edit={rule}",
        "update",
        {},
        {"priority": "77"},
        _rules,
        post_to=OLD_ROUTING,
    ),
]


def find_form(world: World, html: str, page_url: str, action: Action) -> HtmlForm:
    pick = {name: world.url(value) for name, value in action.pick.items()}
    matches = [
        form
        for form in post_forms(html)
        if form.value("action") == action.action
        and all(form.value(name) == value for name, value in pick.items())
    ]
    assert len(matches) == 1, f"{len(matches)} {action.action} forms on {page_url}"
    return matches[0]


def render(client: Client, url: str, flag_on: bool) -> str:
    with override_flag("unified_llm_hub", active=flag_on):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def own_csrf_token(client: Client, url: str) -> str:
    """The token the role's own browser holds: from the page it gets (a 403 page has the log
    out form), or from the login form it was sent to."""
    response = client.get(url, follow=True)
    return csrf_token_in(response.content.decode())


def submit(world: World, role: str, action: Action) -> tuple[int, str]:
    client = world.clients[role]
    page_url = world.url(action.page)
    may_see = role in WRITERS and action.post_to is None
    html = render(client if may_see else world.clients["superuser"], page_url, True)
    form = find_form(world, html, page_url, action)
    body = form.filled(**action.typed)
    with override_flag("unified_llm_hub", active=action.flag_on):
        if not may_see:
            body["csrfmiddlewaretoken"] = own_csrf_token(client, page_url)
        response = client.post(action.post_to or form.url(page_url), body)
    return response.status_code, response.get("Location", "")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
def test_action(world: World, action: Action, role: str) -> None:
    before, effect_before = state(), action.effect(world)
    status, location = submit(world, role, action)
    posted_to = action.post_to or world.url(action.page).split("?")[0]
    if role in WRITERS:
        assert (status, location.split("?")[0]) == (302, posted_to)
        assert action.effect(world) != effect_before
        return
    if role == "anonymous":
        assert (status, location) == (302, login_redirect(posted_to))
    else:
        assert status == 403
    assert state() == before


@pytest.mark.parametrize("action", ACTIONS[:7], ids=lambda action: action.name)
def test_action__staff_with_every_other_permission__is_refused(
    world: World, action: Action
) -> None:
    """Exactly the action's own permission is what lets it through."""
    tab = next(
        tab
        for tab, url in (("keys", KEYS), ("models", MODELS), ("rules", RULES))
        if action.page.startswith(url)
    )
    needed = ACTION_PERMISSIONS[tab][action.action]
    others = [perm for perm in HUB_USER_PERMISSIONS if perm != needed]
    world.clients["staff_none"] = _client(_staff_with("almost", others))
    before = state()
    status, _ = submit(world, "staff_none", action)
    assert status == 403 and state() == before
    just_that = [TAB_VIEW_PERMISSIONS[tab], needed]
    world.clients["staff_model"] = _client(_staff_with("just", just_that))
    status, _ = submit(world, "staff_model", action)
    assert status == 302 and state() != before


def test_staff_with_one_tab__sees_only_that_tab_and_its_permitted_forms(world: World) -> None:
    client = _client(_staff_with("keysonly", ["hub.view_providerkey", "hub.add_providerkey"]))
    html = render(client, HUB, True)
    assert 'id="tab-keys"' in html
    assert not any(f'id="tab-{tab}"' in html for tab in ("models", "rules", "usage"))
    assert shown_forms(html, HUB) == {(KEYS, "add")}
    assert "<h3>Providers</h3>" not in html  # needs hub.view_provider
    for url in (MODELS, RULES, USAGE, OLD_MODELS, OLD_ROUTING):
        with override_flag("unified_llm_hub", active=True):
            assert client.get(url).status_code == 403
    old = render(client, HUB, False)  # the old pages: the providers page, add form only
    assert shown_forms(old, HUB) == {(OLD_PROVIDERS, "add")}
    with_providers = _client(
        _staff_with("keysprov", ["hub.view_providerkey", PROVIDERS_VIEW_PERMISSION])
    )
    assert "<h3>Providers</h3>" in render(with_providers, KEYS, True)


# ---- the access API ----------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_access_api(world: World, role: str) -> None:
    response = world.clients[role].get("/api/v1/hub/access?tier=free&model=groq/llama-3.1-8b")
    assert response["Content-Type"] == "application/json"
    body = response.json()
    if role == "anonymous":
        assert response.status_code == 401
    elif role in VIEWERS:
        assert response.status_code == 200 and body["tier"] == "free"
    else:
        assert response.status_code == 403
        assert ACCESS_API_PERMISSION in body["error"]["message"]


def test_access_api__token__needs_its_users_view_permission(world: World) -> None:
    _, denied = token_create(username="nobody", scope="read", label="t", actor=Actor.system("test"))
    _, allowed = token_create(
        username="viewer", scope="read", label="t", actor=Actor.system("test")
    )
    url = "/api/v1/hub/access?tier=free&model=groq/llama-3.1-8b"
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {denied}").status_code == 403
    assert Client().get(url, HTTP_AUTHORIZATION=f"Bearer {allowed}").status_code == 200


def test_permission_table__names_real_permissions() -> None:
    assert len(permission_objects(HUB_USER_PERMISSIONS)) == len(set(HUB_USER_PERMISSIONS))
    assert Permission.objects.filter(codename="add_providerkey").exists()


@pytest.mark.parametrize("role", sorted(VIEWERS))
def test_dashboard_link__shown_to_who_may_open_it(world: World, role: str) -> None:
    html = render(world.clients[role], HUB, True)
    match = re.search(r'<a href="([^"]+)" id="telemetry-dashboard-link"', html)
    assert match, "no link to the telemetry dashboard"
    assert match.group(1) == reverse("telemetry:dashboard")
    assert world.clients[role].get(match.group(1)).status_code == 200


def test_dashboard_link__hidden_from_hub_viewer_without_dashboard_permission(world: World) -> None:
    hub_only = [perm for perm in VIEW_PERMISSIONS if perm != VIEW_DASHBOARD_PERMISSION]
    client = _client(_staff_with("hub-only", hub_only))
    html = render(client, HUB, True)
    assert "data-tablist" in html and "telemetry-dashboard-link" not in html
    assert client.get(reverse("telemetry:dashboard")).status_code == 403
