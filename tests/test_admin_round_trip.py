"""Every admin add and change form round-trips: what a browser sends back from the rendered form,
unchanged, changes nothing and writes no history.

The models come from `admin.site._registry`, so a model registered tomorrow is covered (or fails
here, asking for a way to build one) without anyone remembering this file.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from html import unescape
from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, Permission, User
from django.db import models
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

from flags import services as flag_services
from flags.models import Flag, FlagChange
from llmhub.actors import Actor
from llmhub.api.tokens.models import ApiToken
from llmhub.api.tokens.services import token_create
from llmhub.hub import services as hub_services
from llmhub.hub.models import LLMModel, Provider, ProviderKey, Tier, TierRule
from notifications.models import FlagTrigger, Webhook, WebhookDelivery
from notifications.services import trigger_create
from rollout import services as rollout_services
from rollout.models import RolloutPlan
from telemetry.models import AggregationState, Event, EventSummary, FlagEvaluationCount
from tests.html_forms import HtmlForm, admin_form, open_admin_form, post_as_browser

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("round-trip test")
SECRET = "sk-rt-0123456789abcdefSECRETtail"
# A moment with microseconds, as `timezone.now()` stores them: the admin's date and time inputs
# show whole seconds, so an unchanged save must not cut them off.
MOMENT = datetime(2026, 11, 5, 9, 30, 15, 123456, tzinfo=UTC)
REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


# --- one realistic instance of every registered model ----------------------------------------


def _user() -> User:
    user = User.objects.create_user(
        "carol", "carol@example.com", "pw-carol-123", first_name="Carol", is_staff=True
    )
    user.groups.add(_group())
    user.user_permissions.add(Permission.objects.get(codename="view_flag"))
    user.last_login = MOMENT
    user.save()
    return user


def _group() -> Group:
    group, _ = Group.objects.get_or_create(name="flag editors")
    group.permissions.set(Permission.objects.filter(codename__in=["change_flag", "view_flag"]))
    return group


def _flag() -> Flag:
    return flag_services.flag_create(
        name="rt_flag",
        actor=ACTOR,
        source="command",
        description="Guards the new thing.\n\n  Indented second line, then a space: ",
        enabled=True,
        rollout_percentage=37,
        rollout_group="rt-cohort",
        whitelist_users=["alice", "bob@example.com"],
        blacklist_users=["mallory"],
        starts_at=MOMENT,
        ends_at=MOMENT + timedelta(days=30, microseconds=777),
        tags=["hub", "beta"],
        owner="platform",
    )


def _flag_change() -> FlagChange:
    return FlagChange.objects.get(flag=_flag())


def _token() -> ApiToken:
    token, _ = token_create(
        username=_user().username, scope="write", label="billing-svc", actor=ACTOR
    )
    return token


def _provider() -> Provider:
    provider, _ = Provider.objects.get_or_create(
        slug="rtprov",
        defaults={
            "name": "RT Provider",
            "base_url": "https://api.rt.example",
            "key_format_hint": "sk-rt-*",
        },
    )
    return provider


def _key() -> ProviderKey:
    return hub_services.provider_key_add(
        provider=_provider(), label="production", secret=SECRET, actor=None
    )


def _llm_model() -> LLMModel:
    return LLMModel.objects.create(
        provider=_provider(),
        model_id="rtprov/fast-1",
        display_name="Fast 1",
        context_window=128000,
        input_price_per_million=Decimal("0.1500"),
        output_price_per_million=Decimal("0.6000"),
    )


def _tier() -> Tier:
    tier, _ = Tier.objects.get_or_create(slug="starter", defaults={"name": "Starter", "order": 3})
    return tier


def _tier_with_rules() -> Tier:
    _rule()
    return _tier()


def _rule() -> TierRule:
    return hub_services.tier_rule_create(
        tier=_tier(),
        actor=None,
        pattern="rtprov/*",
        decision="allow",
        priority=10,
        max_requests_per_day=200,
        max_context_length=None,
    )


def _provider_with_key() -> Provider:
    return _key().provider


def _event() -> Event:
    return Event.objects.create(
        event_id="6f1c2a7e-0000-4000-8000-000000000001",
        event_type="page_view",
        occurred_at=MOMENT,
        received_at=MOMENT,
        user_id="alice",
        page="hub",
        tab="keys",
        cohort="new_hub",
        properties={"a": 1},
    )


def _summary() -> EventSummary:
    return EventSummary.objects.create(
        bucket_size="hour",
        bucket_start=MOMENT.replace(minute=0, second=0, microsecond=0),
        event_type="page_view",
        count=3,
        users=2,
        errors=0,
        updated_at=MOMENT,
    )


def _evaluation_count() -> FlagEvaluationCount:
    return FlagEvaluationCount.objects.create(
        bucket_start=MOMENT.replace(second=0, microsecond=0),
        flag="rt_flag",
        reason="ROLLOUT",
        enabled=True,
        count=42,
    )


def _aggregation_state() -> AggregationState:
    return AggregationState.objects.create(
        bucket_size="hour", received_until=MOMENT, last_run_at=MOMENT, last_run_seconds=0.5
    )


def _webhook() -> Webhook:
    hook = Webhook(
        name="ops-channel",
        url="https://hooks.example/T0/B0",
        format=Webhook.Format.SLACK,
        actions=["disable", "rollout"],
        sources=["schedule"],
        flags=["rt_flag", "unified_llm_hub"],
    )
    hook.secret = SECRET
    hook.save()
    return hook


def _delivery() -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        webhook=_webhook(),
        delivery_id="6f1c2a7e-0000-4000-8000-000000000002",
        change=_flag_change(),
        flag_name="rt_flag",
        event="flag.create",
        body='{"event": "flag.create"}',
        status=WebhookDelivery.Status.RETRYING,
        attempts=2,
        response_code=500,
        error="HTTP 500 Internal Server Error",
        duration_ms=12.5,
        next_attempt_at=MOMENT,
        last_attempt_at=MOMENT,
    )


def _trigger() -> FlagTrigger:
    return trigger_create(flag=_flag(), label="alertmanager", created_by=_user())[0]


def _plan() -> RolloutPlan:
    _flag()
    return rollout_services.plan_create(flag_name="rt_flag", actor=ACTOR, now=MOMENT)


BUILDERS: dict[type[models.Model], Callable[[], models.Model]] = {
    RolloutPlan: _plan,
    User: _user,
    Group: _group,
    Flag: _flag,
    FlagChange: _flag_change,
    ApiToken: _token,
    Provider: _provider_with_key,
    ProviderKey: _key,
    LLMModel: _llm_model,
    Tier: _tier_with_rules,
    TierRule: _rule,
    Event: _event,
    EventSummary: _summary,
    FlagEvaluationCount: _evaluation_count,
    AggregationState: _aggregation_state,
    Webhook: _webhook,
    WebhookDelivery: _delivery,
    FlagTrigger: _trigger,
}

# What a user types into each add form (the minimum required), over what the form renders.
ADD_TYPED: dict[type[models.Model], Callable[[], dict[str, Any]]] = {
    RolloutPlan: lambda: {"flag": str(_flag().pk)},
    User: lambda: {"username": "dave", "password1": "pw-dave-4567!", "password2": "pw-dave-4567!"},
    Group: lambda: {"name": "viewers", "permissions": [str(_perm("view_flag"))]},
    Flag: lambda: {
        "name": "typed_flag",
        "enabled": True,
        "rollout_percentage": "25",
        "whitelist_users": "alice, bob\ncarol",
        "tags": "Hub, beta",
    },
    ApiToken: lambda: {"user": str(_user().pk), "label": "ci", "scope": "read"},
    Provider: lambda: {"name": "Typed", "slug": "typed", "base_url": "https://typed.example"},
    ProviderKey: lambda: {"provider": str(_provider().pk), "label": "staging", "secret": SECRET},
    LLMModel: lambda: {
        "provider": str(_provider().pk),
        "model_id": "rtprov/typed-2",
        "display_name": "Typed 2",
        "context_window": "8000",
        "input_price_per_million": "1.5",
        "output_price_per_million": "2",
    },
    Tier: lambda: {"slug": "gold", "name": "Gold", "order": "9"},
    Webhook: lambda: {"name": "typed", "url": "https://typed.example/hook", "secret": SECRET},
    FlagTrigger: lambda: {"flag": str(_flag().pk), "label": "pager"},
    TierRule: lambda: {
        "tier": str(_tier().pk),
        "pattern": "openai/gpt-4*",
        "decision": "deny",
        "priority": "20",
    },
}


def _perm(codename: str) -> int:
    return int(Permission.objects.get(codename=codename).pk)


# --- what "nothing changed" means -------------------------------------------------------------


def _row(obj: models.Model) -> dict[str, Any]:
    values = {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}
    for m2m in obj._meta.many_to_many:
        values[m2m.name] = sorted(getattr(obj, m2m.name).values_list("pk", flat=True))
    return values


def _database() -> dict[str, dict[Any, dict[str, Any]]]:
    """Every row of every registered model (the history tables included)."""
    return {
        model._meta.label: {obj.pk: _row(obj) for obj in model._default_manager.all()}
        for model, _ in REGISTERED
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    diff: dict[str, Any] = {}
    for label in before:
        old, new = before[label], after[label]
        pks = set(old) | set(new)
        if label == Event._meta.label:
            pks = set(old)  # every request may record telemetry events: only old rows must stay
        for pk in sorted(pks, key=str):
            if old.get(pk) != new.get(pk):
                fields = {k for k in (old.get(pk) or {}) | (new.get(pk) or {})}
                diff[f"{label}#{pk}"] = {
                    k: ((old.get(pk) or {}).get(k), (new.get(pk) or {}).get(k))
                    for k in sorted(fields)
                    if (old.get(pk) or {}).get(k) != (new.get(pk) or {}).get(k)
                }
    return diff


# --- driving the forms --------------------------------------------------------------------------


def _url(model: type[models.Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def _errors(response: HttpResponse) -> str:
    html = response.content.decode()
    found = re.findall(r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', html, re.S)
    found += re.findall(r'<li class="error">(.*?)</li>', html, re.S)
    return unescape(" | ".join(re.sub(r"<[^>]+>", " ", item).strip() for item in found))


def _saved(response: HttpResponse) -> None:
    assert response.status_code == 302, f"{response.status_code}: {_errors(response)}"


def _permissions(model_admin: admin.ModelAdmin, user: User) -> tuple[bool, bool]:
    request = RequestFactory().get("/")
    request.user = user
    return model_admin.has_add_permission(request), model_admin.has_change_permission(request)


def _build(model: type[models.Model]) -> models.Model:
    builder = BUILDERS.get(model)
    assert builder, f"{model._meta.label} is registered in admin: add a builder to BUILDERS"
    return builder()


def _id(value: Any) -> str:
    return (
        str(value._meta.label)
        if isinstance(value, type) and issubclass(value, models.Model)
        else "admin"
    )


@pytest.fixture
def superuser(admin_user: User) -> User:
    return admin_user


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=_id)
def test_change_form__submitted_as_rendered__changes_nothing(
    model: type[models.Model], model_admin: admin.ModelAdmin, admin_client: Client, superuser: User
) -> None:
    # given an instance and its change form as rendered
    obj = _build(model)
    url = _url(model, "change", obj.pk)
    form = open_admin_form(admin_client, url)
    page = admin_client.get(url).content.decode()
    assert SECRET not in page, "the change form shows a provider key whole"
    before = _database()
    _, can_change = _permissions(model_admin, superuser)
    if not can_change:
        # then a read-only admin renders nothing editable and refuses a post
        assert form.editable() == [], [c.name for c in form.editable()]
        assert "_save" not in form.buttons
        assert post_as_browser(admin_client, url, form.submission(button=None)).status_code == 403
    else:
        # when it is submitted exactly as a browser would
        _saved(post_as_browser(admin_client, url, form.submission()))
    # then no row changed and no history row appeared
    assert _changed(before, _database()) == {}


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=_id)
def test_add_form__typed_saved_reopened_and_saved__changes_nothing(
    model: type[models.Model], model_admin: admin.ModelAdmin, admin_client: Client, superuser: User
) -> None:
    url = _url(model, "add")
    can_add, _ = _permissions(model_admin, superuser)
    if not can_add:
        assert admin_client.get(url).status_code == 403
        return
    # given the add form as rendered, when a user types the required fields and saves
    typed = ADD_TYPED.get(model)
    assert typed, f"{model._meta.label} can be added in admin: add what a user types to ADD_TYPED"
    values = typed()
    existing = set(model._default_manager.values_list("pk", flat=True))
    form = open_admin_form(admin_client, url)
    form.fill(values)
    _saved(post_as_browser(admin_client, url, form.submission()))
    created = model._default_manager.exclude(pk__in=existing).get()
    # when its change form is reopened and saved unchanged
    before = _database()
    change_url = _url(model, "change", created.pk)
    page = admin_client.get(change_url).content.decode()
    assert SECRET not in page, "the change form shows a provider key whole"
    _saved(post_as_browser(admin_client, change_url, admin_form(page).submission()))
    # then nothing changed and no history row appeared
    assert _changed(before, _database()) == {}


def test_registry__every_model_has_a_builder() -> None:
    missing = [model._meta.label for model, _ in REGISTERED if model not in BUILDERS]
    assert missing == []


# --- the flag form, as people read and use it -----------------------------------------------


def _control(form: HtmlForm, name: str) -> str:
    return next(c.value for c in form.controls if c.name == name)


def test_flag_change_form__shows_lists_and_tags_as_typed(admin_client: Client) -> None:
    flag = _flag()
    form = open_admin_form(admin_client, _url(Flag, "change", flag.pk))
    assert _control(form, "whitelist_users") == "alice\nbob@example.com"
    assert _control(form, "blacklist_users") == "mallory"
    assert _control(form, "tags") == "beta, hub"


def test_flag_change_form__untick_enabled_and_save__changes_only_enabled(
    admin_client: Client,
) -> None:
    # given an enabled flag and its change form as rendered
    flag = _flag()
    before = _row(Flag.objects.get(pk=flag.pk))
    url = _url(Flag, "change", flag.pk)
    form = open_admin_form(admin_client, url)
    # when the admin unticks Enabled and saves
    form.fill({"enabled": False})
    _saved(post_as_browser(admin_client, url, form.submission()))
    # then only `enabled` changed (and the version, by one), with one history row
    after = _row(Flag.objects.get(pk=flag.pk))
    changed = {k for k in before if before[k] != after[k]} - {"updated_at"}
    assert changed == {"enabled", "version"}
    assert (before["enabled"], after["enabled"], after["version"]) == (
        True,
        False,
        before["version"] + 1,
    )
    change = FlagChange.objects.get(flag_name=flag.name, version=after["version"])
    assert set(change.changed_fields()) == {"enabled"}
    assert (change.source, change.actor) == ("admin", "admin")


def test_flag_change_form__stale_version__refused(admin_client: Client) -> None:
    # given a form opened before someone else changed the flag
    flag = _flag()
    url = _url(Flag, "change", flag.pk)
    form = open_admin_form(admin_client, url)
    flag_services.flag_set_rollout(name=flag.name, actor=ACTOR, source="command", percentage=50)
    # when it is saved with Enabled unticked
    form.fill({"enabled": False})
    response = post_as_browser(admin_client, url, form.submission())
    # then it is refused, and the other change stays
    assert response.status_code == 200
    assert "changed by someone else" in _errors(response)
    assert Flag.objects.values_list("enabled", "rollout_percentage").get(pk=flag.pk) == (True, 50)


def test_flag_add_form__typed_lists_saved_as_typed(admin_client: Client) -> None:
    form = open_admin_form(admin_client, _url(Flag, "add"))
    form.fill(ADD_TYPED[Flag]())
    _saved(post_as_browser(admin_client, _url(Flag, "add"), form.submission()))
    flag = Flag.objects.get(name="typed_flag")
    assert flag.whitelist_users == ["alice", "bob", "carol"]
    assert sorted(flag.tags.values_list("name", flat=True)) == ["beta", "hub"]
    reopened = open_admin_form(admin_client, _url(Flag, "change", flag.pk))
    assert _control(reopened, "whitelist_users") == "alice\nbob\ncarol"
    assert _control(reopened, "tags") == "beta, hub"


def test_provider_key_change_form__new_secret_typed__rotates(admin_client: Client) -> None:
    key = _key()
    url = _url(ProviderKey, "change", key.pk)
    form = open_admin_form(admin_client, url)
    form.fill({"secret": "sk-rt-rotated0123456789abcdefgh"})
    _saved(post_as_browser(admin_client, url, form.submission()))
    key.refresh_from_db()
    assert key.secret == "sk-rt-rotated0123456789abcdefgh" and key.rotated_at is not None


@pytest.mark.parametrize(("model", "model_admin"), REGISTERED, ids=_id)
def test_change_form__submitted_as_rendered__admin_history_says_nothing_changed(
    model: type[models.Model], model_admin: admin.ModelAdmin, admin_client: Client, superuser: User
) -> None:
    """Django admin's own history (the object's History page, "Recent actions") is written from
    the form's `changed_data`: an unchanged save must not claim a field changed. The flag form
    claimed `whitelist_users` on every save (a browser posts the list box's lines with CRLF)."""
    _, can_change = _permissions(model_admin, superuser)
    if not can_change:
        pytest.skip("read-only in admin: nothing to save")
    # given an instance and its change form as rendered
    obj = _build(model)
    url = _url(model, "change", obj.pk)
    form = open_admin_form(admin_client, url)
    # when it is submitted exactly as a browser would
    _saved(post_as_browser(admin_client, url, form.submission()))
    # then the admin's history entry names no changed field
    entry = LogEntry.objects.filter(object_id=str(obj.pk)).latest("action_time")
    assert entry.get_change_message() == "No fields changed."
