"""The hub's pages: who gets which UI, tabs without JavaScript, forms, telemetry."""

from __future__ import annotations

import re

import pytest
from django.http import HttpResponse
from django.test import Client

from flags.testutils import override_flag
from llmhub.hub.models import LLMModel, Provider, ProviderKey, TierRule
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.services import provider_key_add
from llmhub.hub.tests.factories import StaffUserFactory
from telemetry.models import Event

HUB = "/admin/llm-management/"
SECRET = "sk-ant-api03-PAGESpagesPAGES-1234-wxyz"
pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    seed_catalog()
    seed_tiers()
    client.force_login(StaffUserFactory.create(username="alice"))
    return client


def html(response: HttpResponse) -> str:
    return response.content.decode()


@pytest.mark.parametrize("url", [HUB, f"{HUB}keys/", f"{HUB}old/providers/"])
def test_pages__anonymous_to_log_in__not_staff_refused(client: Client, url: str) -> None:
    assert client.get(url)["Location"].startswith("/admin/login/")
    client.force_login(StaffUserFactory.create(username="bob", is_staff=False))
    response = client.get(url)
    assert response.status_code == 403
    assert "no access to the hub" in html(response)


def test_site_root__leads_to_the_hub_through_the_login_form(client: Client) -> None:
    assert client.get("/")["Location"] == "/admin/login/?next=/"
    client.force_login(StaffUserFactory.create(username="carol"))
    response = client.get("/")
    assert (response.status_code, response["Location"]) == (302, HUB)
    assert client.post("/").status_code == 405


@override_flag("unified_llm_hub", active=True)
def test_root__flag_on__serves_the_hub_with_tab_links(staff: Client) -> None:
    page = html(staff.get(HUB))
    assert "data-tablist" in page
    assert page.count('aria-controls="panel-') == 4 and page.count('id="panel-') == 4
    assert re.search(r'id="tab-keys"[^>]*aria-current="page"', page, re.S)
    assert re.search(r'id="panel-models"[^>]*hidden', page, re.S)
    # Without JavaScript every tab is a plain link in the Tab order (hub.js adds the roving
    # tabindex when it turns them into ARIA tabs).
    assert 'tabindex="-1"' not in page


@override_flag("unified_llm_hub", active=False)
def test_root__flag_off__serves_the_old_providers_page(staff: Client) -> None:
    page = html(staff.get(HUB))
    assert "data-tablist" not in page
    assert "<h1>Providers &amp; keys</h1>" in page
    assert "Try the new hub" not in page


@override_flag("unified_llm_hub", active=True)
@pytest.mark.parametrize("tab", ["keys", "models", "rules", "usage"])
def test_tab_url__selects_that_tab_without_javascript(staff: Client, tab: str) -> None:
    page = html(staff.get(f"{HUB}{tab}/"))
    assert re.search(rf'id="tab-{tab}"[^>]*aria-current="page"', page, re.S)
    assert not re.search(rf'id="panel-{tab}"[^>]*hidden', page, re.S)
    assert page.count('aria-current="page"') == 1


@override_flag("unified_llm_hub", active=False)
def test_tab_url__flag_off__redirects_to_the_old_page_with_the_query(staff: Client) -> None:
    response = staff.get(f"{HUB}models/", {"q": "gpt"})
    assert response["Location"] == f"{HUB}old/models/?q=gpt"
    assert staff.get(f"{HUB}rules/")["Location"] == f"{HUB}old/routing/"


def test_unknown_tab_or_old_page__is_404(staff: Client) -> None:
    with override_flag("unified_llm_hub", active=True):
        assert staff.get(f"{HUB}nope/").status_code == 404
    assert staff.get(f"{HUB}old/nope/").status_code == 404


@pytest.mark.parametrize(("on", "shown"), [(True, True), (False, False)])
def test_old_pages__try_the_new_hub__only_when_the_flag_is_on(
    staff: Client, on: bool, shown: bool
) -> None:
    with override_flag("unified_llm_hub", active=on):
        for page in ("providers", "models", "routing", "usage"):
            response = staff.get(f"{HUB}old/{page}/")
            assert response.status_code == 200
            assert ("Try the new hub" in html(response)) is shown


@override_flag("unified_llm_hub", active=True)
def test_page_views__record_page_tab_and_cohort(staff: Client) -> None:
    staff.get(f"{HUB}models/")
    staff.get(f"{HUB}old/usage/")
    views = Event.objects.filter(event_type="page_view", user_id="alice").order_by("id")
    assert list(views.values_list("page", "tab", "cohort")) == [
        ("hub", "models", "new_hub"),
        ("old_usage", "", "old_pages"),
    ]


@override_flag("unified_llm_hub", active=True)
def test_key_add__shows_the_preview_and_records_the_action(staff: Client) -> None:
    data = {"action": "add", "provider": "anthropic", "label": "prod", "secret": SECRET}
    response = staff.post(f"{HUB}keys/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"{HUB}keys/"
    assert "sk-an…wxyz" in html(response) and SECRET not in html(response)
    assert ProviderKey.objects.get(label="prod").secret == SECRET
    action = Event.objects.get(event_type="user_action", action="key_added")
    assert (action.user_id, action.cohort, action.tab) == ("alice", "new_hub", "keys")


@override_flag("unified_llm_hub", active=True)
def test_key_add__wrong_format__keeps_what_was_typed_and_says_what_is_wrong(staff: Client) -> None:
    bad = "gsk_groq-key-on-anthropic-1234"
    data = {"action": "add", "provider": "anthropic", "label": "prod", "secret": bad}
    response = staff.post(f"{HUB}keys/", data)
    page = html(response)
    assert response.status_code == 400
    assert "Anthropic keys look like sk-ant-*; this one does not." in page
    assert 'value="prod"' in page and '<option value="anthropic" selected>' in page
    assert bad not in page  # a typed secret is never echoed back
    assert not ProviderKey.objects.exists()


@override_flag("unified_llm_hub", active=True)
def test_key_rotate_and_delete__through_the_keys_tab(staff: Client) -> None:
    key = provider_key_add(
        provider=tier_provider("anthropic"), label="prod", secret=SECRET, actor=None
    )
    new = "sk-ant-api03-ROTATEDrotated-0000-abcd"
    staff.post(f"{HUB}keys/", {"action": "rotate", "key": key.pk, "secret": new})
    assert ProviderKey.objects.get(pk=key.pk).secret == new
    bad = staff.post(f"{HUB}keys/", {"action": "rotate", "key": key.pk, "secret": "short"})
    assert bad.status_code == 400 and "at least 16 characters" in html(bad)
    assert f'id="rotate-{key.pk}"' in html(bad)  # the row's form stays open with the error
    staff.post(f"{HUB}keys/", {"action": "delete", "key": key.pk})
    assert not ProviderKey.objects.exists()
    gone = staff.post(f"{HUB}keys/", {"action": "delete", "key": key.pk})
    assert gone.status_code == 400 and "no longer exists" in html(gone)


def tier_provider(slug: str) -> Provider:
    return Provider.objects.get(slug=slug)


@override_flag("unified_llm_hub", active=True)
def test_catalog__filters_by_search_provider_and_status(staff: Client) -> None:
    def shown(**query: str) -> set[str]:
        return set(re.findall(r'data-model="([^"]+)"', html(staff.get(f"{HUB}models/", query))))

    assert shown(q="claude-3") == {
        "openrouter/anthropic/claude-3.5-sonnet",
        "anthropic/claude-3-5-sonnet",
        "anthropic/claude-3-5-haiku",
        "anthropic/claude-3-opus",
        "anthropic/claude-3-haiku",
    }
    assert shown(provider="together") == {
        "together/llama-3-70b-chat",
        "together/mixtral-8x22b-instruct",
        "together/qwen2-72b-instruct",
    }
    assert shown(status="disabled") == {"openai/gpt-4", "anthropic/claude-2.1"}
    assert shown(q="Gemini", provider="google", status="enabled") == {
        "google/gemini-pro",
        "google/gemini-1.5-pro",
        "google/gemini-1.5-flash",
    }


@override_flag("unified_llm_hub", active=True)
def test_model_toggle__keeps_the_filters_and_records_the_action(staff: Client) -> None:
    model = LLMModel.objects.get(model_id="openai/gpt-4o")
    data = {"action": "toggle", "model": model.pk, "enabled": "0", "next_query": "q=gpt&x=evil"}
    response = staff.post(f"{HUB}models/", data)
    assert response["Location"] == f"{HUB}models/?q=gpt"
    assert LLMModel.objects.get(pk=model.pk).enabled is False
    assert Event.objects.filter(action="model_disabled", user_id="alice").exists()


@override_flag("unified_llm_hub", active=True)
def test_rule_create__invalid__keeps_input_and_names_each_problem(staff: Client) -> None:
    data = {
        "action": "create",
        "tier": "free",
        "pattern": "openai/gpt 4",
        "decision": "allow",
        "priority": "2000",
        "max_requests_per_day": "-1",
    }
    response = staff.post(f"{HUB}rules/", data)
    page = html(response)
    assert response.status_code == 400
    assert "Use a glob over model ids" in page
    assert "less than or equal to 1000" in page
    assert "greater than or equal to 0" in page
    assert 'value="openai/gpt 4"' in page
    assert TierRule.objects.count() == 21


@override_flag("unified_llm_hub", active=True)
def test_rule_create_update_delete__change_the_decision(staff: Client) -> None:
    base = {"tier": "free", "decision": "allow", "priority": "50", "max_requests_per_day": "5"}
    staff.post(f"{HUB}rules/", {"action": "create", "pattern": "openai/gpt-4o-mini", **base})
    rule = TierRule.objects.get(tier__slug="free", pattern="openai/gpt-4o-mini")
    dup = staff.post(f"{HUB}rules/", {"action": "create", "pattern": "openai/gpt-4o-mini", **base})
    assert dup.status_code == 400 and "already has a rule with that pattern" in html(dup)
    edit = {**base, "action": "update", "rule": rule.pk, "pattern": rule.pattern}
    staff.post(f"{HUB}rules/", {**edit, "decision": "deny"})
    assert TierRule.objects.get(pk=rule.pk).decision == "deny"
    moved = staff.post(f"{HUB}rules/", {**edit, "tier": "trial"})
    assert moved.status_code == 400 and "stays in its tier" in html(moved)
    staff.post(f"{HUB}rules/", {"action": "delete", "rule": rule.pk})
    assert not TierRule.objects.filter(pk=rule.pk).exists()
    actions = Event.objects.filter(event_type="user_action").values_list("action", flat=True)
    assert list(actions.order_by("id")) == ["rule_created", "rule_updated", "rule_deleted"]


@override_flag("unified_llm_hub", active=True)
def test_checker__answers_and_counts_as_an_access_check(staff: Client) -> None:
    query = {"check-tier": "starter", "check-model": "google/gemini-pro"}
    page = html(staff.get(f"{HUB}rules/", query))
    assert "<strong>Yes:</strong>" in page and "50 requests a day" in page
    assert Event.objects.filter(feature="hub_access_check", properties__source="hub").exists()
    unknown = html(staff.get(f"{HUB}rules/", {"check-tier": "gold", "check-model": "x"}))
    assert "Select a valid choice" in unknown


@override_flag("unified_llm_hub", active=True)
def test_usage__shows_adoption_and_access_checks(staff: Client) -> None:
    staff.get(f"{HUB}keys/")
    staff.get(f"{HUB}old/providers/")
    staff.get("/api/v1/hub/access", {"tier": "free", "model": "openai/gpt-4o"})
    page = html(staff.get(f"{HUB}usage/"))
    # one user, served both UIs: every user so far has seen the new hub
    assert "100.0%" in page
    assert "1</p>\n      <p>views of the new hub by 1 user;" in page
    assert re.search(r"<td>free</td><td>0</td><td>1</td>", page)


@override_flag("unified_llm_hub", active=True)
def test_unknown_action__is_400(staff: Client) -> None:
    response = staff.post(f"{HUB}keys/", {"action": "explode"})
    assert response.status_code == 400 and "Unknown action" in html(response)


def test_post_without_csrf_token__is_refused() -> None:
    seed_catalog()
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffUserFactory.create(username="carol"))
    with override_flag("unified_llm_hub", active=True):
        data = {"action": "add", "provider": "anthropic", "label": "p", "secret": SECRET}
        assert client.post(f"{HUB}keys/", data).status_code == 403
    assert not ProviderKey.objects.exists()


@override_flag("unified_llm_hub", active=False)
def test_old_pages__accept_the_same_actions(staff: Client) -> None:
    data = {"action": "add", "provider": "anthropic", "label": "old", "secret": SECRET}
    response = staff.post(f"{HUB}old/providers/", data)
    assert response["Location"] == f"{HUB}old/providers/"
    assert Event.objects.get(action="key_added").cohort == "old_pages"


@override_flag("unified_llm_hub", active=True)
def test_edit_link__opens_that_rule_form_only__filled_in(staff: Client) -> None:
    rule = TierRule.objects.get(tier__slug="trial", pattern="ollama/*")
    page = html(staff.get(f"{HUB}rules/", {"edit": rule.pk}))
    assert page.count('name="action" value="update"') == 1
    form = page[page.index(f'id="rule-{rule.pk}"') :]
    assert 'value="ollama/*"' in form and 'value="2048"' in form and 'value="trial"' in form


@override_flag("unified_llm_hub", active=True)
def test_rotate_link__opens_that_key_form_only(staff: Client) -> None:
    anthropic = tier_provider("anthropic")
    first = provider_key_add(provider=anthropic, label="a", secret=SECRET, actor=None)
    provider_key_add(provider=anthropic, label="b", secret=SECRET, actor=None)
    page = html(staff.get(f"{HUB}keys/", {"rotate": first.pk}))
    assert page.count('name="action" value="rotate"') == 1
    assert f'id="rotate-{first.pk}"' in page


@override_flag("unified_llm_hub", active=False)
def test_root_serving_the_old_page__posts_its_forms_to_the_old_page_url(staff: Client) -> None:
    page = html(staff.get(HUB))
    actions = set(re.findall(r'<form method="post" action="([^"]+)"', page))
    assert actions == {f"{HUB}old/providers/", "/admin/logout/"}


def test_hub_post__after_the_flag_went_off__saves_nothing_and_says_so(staff: Client) -> None:
    data = {"action": "add", "provider": "anthropic", "label": "late", "secret": SECRET}
    with override_flag("unified_llm_hub", active=False):
        response = staff.post(f"{HUB}keys/", data, follow=True)
    assert response.redirect_chain[-1][0] == f"{HUB}old/providers/"
    assert "nothing was saved" in html(response)
    assert not ProviderKey.objects.exists()


@pytest.mark.parametrize("on", [True, False])
def test_pages__load_css_and_js_from_our_static_files_only(staff: Client, on: bool) -> None:
    with override_flag("unified_llm_hub", active=on):
        page = html(staff.get(HUB))
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/static/hub/hub.css" in assets and "/static/hub/hub.js" in assets
    assert all(url.startswith(("/static/", "data:")) for url in assets)
