"""No page, admin screen, API answer or log line ever shows a stored secret whole."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from flags.testutils import override_flag
from llmhub.hub.models import Provider, ProviderKey
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers
from llmhub.hub.services import provider_key_add, provider_key_rotate

SECRET = "sk-ant-api03-NEVERshowTHISwhole-5555-wxyz"
ROTATED = "sk-ant-api03-ROTATEDneverSHOWN-6666-abcd"
HUB = "/admin/llm-management/"
pytestmark = pytest.mark.django_db


@pytest.fixture
def key() -> ProviderKey:
    seed_catalog()
    seed_tiers()
    return provider_key_add(
        provider=Provider.objects.get(slug="anthropic"), label="prod", secret=SECRET, actor=None
    )


@pytest.fixture
def superuser(client: Client) -> Client:
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client.force_login(admin)
    return client


def hub_and_old_urls() -> list[str]:
    tabs = [f"{HUB}{tab}/" for tab in ("keys", "models", "rules", "usage")]
    old = [f"{HUB}old/{page}/" for page in ("providers", "models", "routing", "usage")]
    return [HUB, *tabs, *old]


def admin_urls(key: ProviderKey) -> list[str]:
    urls = [reverse("admin:index"), reverse("admin:app_list", args=["hub"])]
    for name in ("providerkey", "provider", "llmmodel", "tier", "tierrule"):
        urls += [reverse(f"admin:hub_{name}_changelist"), reverse(f"admin:hub_{name}_add")]
    urls += [
        reverse("admin:hub_providerkey_change", args=[key.pk]),
        reverse("admin:hub_providerkey_delete", args=[key.pk]),
        reverse("admin:hub_providerkey_history", args=[key.pk]),
        reverse("admin:hub_provider_change", args=[key.provider.pk]),
        f"{reverse('admin:hub_providerkey_changelist')}?q=prod",
    ]
    return urls


@pytest.mark.parametrize("flag_on", [True, False])
def test_every_page_and_admin_screen__shows_the_preview_never_the_secret(
    key: ProviderKey, superuser: Client, flag_on: bool, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider_key_rotate(key=key, secret=ROTATED, actor=None)
    with override_flag("unified_llm_hub", active=flag_on):
        for url in [*hub_and_old_urls(), *admin_urls(key)]:
            response = superuser.get(url, follow=True)
            body = response.content.decode()
            assert response.status_code == 200, url
            for secret in (SECRET, ROTATED, key.encrypted_secret):
                assert secret not in body, url
    assert "sk-an…abcd" in superuser.get(f"{HUB}old/providers/").content.decode()
    for record in caplog.records:
        text = f"{record.getMessage()} {vars(record)}"
        assert SECRET not in text and ROTATED not in text


def test_admin_key_form__never_renders_the_secret_back(key: ProviderKey, superuser: Client) -> None:
    url = reverse("admin:hub_providerkey_change", args=[key.pk])
    page = superuser.get(url).content.decode()
    assert 'type="password" name="secret"' in page and "value=" not in _secret_input(page)
    bad = superuser.post(url, {"provider": key.provider.pk, "label": "prod", "secret": "sk-x"})
    assert bad.status_code == 200 and "at least 16 characters" in bad.content.decode()
    assert "sk-x" not in _secret_input(bad.content.decode())


def _secret_input(page: str) -> str:
    start = page.index('name="secret"')
    return page[page.rindex("<input", 0, start) : page.index(">", start)]


def test_admin_key__add_validates_format_and_encrypts(superuser: Client) -> None:
    seed_catalog()
    anthropic = Provider.objects.get(slug="anthropic")
    url = reverse("admin:hub_providerkey_add")
    wrong = superuser.post(
        url, {"provider": anthropic.pk, "label": "a", "secret": "sk-proj-" + "x" * 20}
    )
    assert "Anthropic keys look like sk-ant-*" in wrong.content.decode()
    assert not ProviderKey.objects.exists()
    superuser.post(url, {"provider": anthropic.pk, "label": "a", "secret": SECRET})
    stored = ProviderKey.objects.get(label="a")
    assert stored.secret == SECRET and SECRET not in stored.encrypted_secret
    assert stored.added_by is not None and stored.added_by.get_username() == "root"


def test_admin_key__empty_secret_keeps_it__a_new_one_rotates(
    key: ProviderKey, superuser: Client
) -> None:
    url = reverse("admin:hub_providerkey_change", args=[key.pk])
    superuser.post(url, {"provider": key.provider.pk, "label": "renamed", "secret": ""})
    key.refresh_from_db()
    assert (key.label, key.secret, key.rotated_at) == ("renamed", SECRET, None)
    superuser.post(url, {"provider": key.provider.pk, "label": "renamed", "secret": ROTATED})
    key.refresh_from_db()
    assert key.secret == ROTATED and key.rotated_at is not None


def test_admin_key__delete_goes_through_the_service(
    key: ProviderKey, superuser: Client, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="llmhub.hub")
    url = reverse("admin:hub_providerkey_delete", args=[key.pk])
    superuser.post(url, {"post": "yes"})
    assert not ProviderKey.objects.exists()
    assert any(record.getMessage() == "hub: provider key deleted" for record in caplog.records)
