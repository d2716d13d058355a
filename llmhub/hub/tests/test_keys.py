"""Provider keys: encrypted at rest, masked everywhere, format-checked, rotatable."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from llmhub import crypto
from llmhub.hub.errors import HubValidationError
from llmhub.hub.models import ProviderKey
from llmhub.hub.secrets import secret_preview
from llmhub.hub.services import provider_key_add, provider_key_delete, provider_key_rotate
from llmhub.hub.tests.factories import ProviderFactory, StaffUserFactory

SECRET = "sk-ant-api03-SECRETSECRETSECRET-wxyz"
pytestmark = pytest.mark.django_db


@pytest.fixture
def anthropic():
    return ProviderFactory(slug="anthropic", name="Anthropic", key_format_hint="sk-ant-*")


def test_key_add__stores_ciphertext_only_and_reads_back_plain_text(anthropic) -> None:
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM hub_providerkey")
        row = cursor.fetchone()
    assert not any(SECRET in str(value) for value in row)
    assert ProviderKey.objects.get(pk=key.pk).secret == SECRET
    assert key.preview == "sk-an…wxyz"


def test_key_add__surrounding_whitespace__is_stripped(anthropic) -> None:
    key = provider_key_add(provider=anthropic, label=" prod ", secret=f"  {SECRET}\n", actor=None)
    assert (key.label, key.secret) == ("prod", SECRET)


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (
            "sk-proj-abcdefghijklmnopqrstuvwxyz",
            "Anthropic keys look like sk-ant-*; this one does not.",
        ),
        ("sk-ant-short", "at least 16 characters"),
        ("sk-ant-with space inside-123456", "no spaces"),
        ("", "Enter the API key"),
    ],
)
def test_key_add__wrong_format__is_refused_with_a_clear_message(anthropic, secret, message) -> None:
    with pytest.raises(HubValidationError) as error:
        provider_key_add(provider=anthropic, label="prod", secret=secret, actor=None)
    assert message in " ".join(error.value.fields["secret"])
    assert secret not in error.value.message or not secret
    assert ProviderKey.objects.count() == 0


def test_key_add__duplicate_label__is_refused(anthropic) -> None:
    provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    with pytest.raises(HubValidationError, match="already has a key with that label"):
        provider_key_add(provider=anthropic, label="prod", secret=SECRET + "2", actor=None)


def test_key_rotate__replaces_the_secret_and_records_when(anthropic) -> None:
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    provider_key_rotate(key=key, secret="sk-ant-api03-NEWNEWNEWNEWNEW-abcd", actor=None)
    key.refresh_from_db()
    assert key.secret == "sk-ant-api03-NEWNEWNEWNEWNEW-abcd"
    assert key.preview == "sk-an…abcd" and key.rotated_at is not None


def test_key_rotate__wrong_format__keeps_the_old_secret(anthropic) -> None:
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    with pytest.raises(HubValidationError):
        provider_key_rotate(key=key, secret="gsk_not-anthropic-at-all", actor=None)
    assert ProviderKey.objects.get(pk=key.pk).secret == SECRET


def test_key_services__log_previews_never_the_secret(anthropic, caplog) -> None:
    caplog.set_level(logging.INFO, logger="llmhub.hub")
    actor = StaffUserFactory()
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=actor)
    provider_key_rotate(key=key, secret=SECRET + "X", actor=actor)
    provider_key_delete(key=key, actor=actor)
    logged = [str(vars(record)) for record in caplog.records]
    assert len(logged) == 3
    assert all(SECRET not in line and "sk-an…wxyz" in "".join(logged) for line in logged)


def test_key_repr_and_str__show_the_preview_only(anthropic) -> None:
    key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    assert SECRET not in repr(key) and SECRET not in str(key)


def test_secret_preview__short_values__reveal_almost_nothing() -> None:
    assert secret_preview("abc") == "…"
    assert secret_preview("abcdefgh") == "…gh"


def test_rotate_provider_keys__new_first_key__re_encrypts_everything(anthropic) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[old]):
        key = provider_key_add(provider=anthropic, label="prod", secret=SECRET, actor=None)
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[new, old]):
        call_command("rotate_provider_keys", stdout=io.StringIO())
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[new]):
        assert ProviderKey.objects.get(pk=key.pk).secret == SECRET


def test_rotate_provider_keys__unreadable_secret__fails_and_changes_nothing(anthropic) -> None:
    old, other = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[old]):
        provider_key_add(provider=anthropic, label="a", secret=SECRET, actor=None)
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[other]):
        provider_key_add(provider=anthropic, label="b", secret=SECRET, actor=None)
    before = list(ProviderKey.objects.values_list("encrypted_secret", flat=True))
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[other]), pytest.raises(CommandError):
        call_command("rotate_provider_keys")
    assert list(ProviderKey.objects.values_list("encrypted_secret", flat=True)) == before


def test_encryption__no_keys_configured__derives_a_key_from_secret_key() -> None:
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[], SECRET_KEY="one"):
        token = crypto.encrypt("hello")
        assert crypto.decrypt(token) == "hello" and crypto.uses_derived_key()
    with (
        override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[], SECRET_KEY="two"),
        pytest.raises(crypto.SecretUnreadable),
    ):
        crypto.decrypt(token)


def test_encryption__malformed_key_setting__says_how_to_make_one() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with (
        override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=["not-a-fernet-key"]),
        pytest.raises(ImproperlyConfigured, match=r"Fernet\.generate_key"),
    ):
        crypto.encrypt("hello")


@pytest.mark.parametrize(("keys", "starts"), [("", False), (Fernet.generate_key().decode(), True)])
def test_production_settings__encryption_keys__are_required(keys: str, starts: bool) -> None:
    env = {
        **os.environ,
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "hub.example.com",
        "PROVIDER_KEY_ENCRYPTION_KEYS": keys,
    }
    result = subprocess.run(
        [sys.executable, "-c", "import llmhub.settings.production"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode == 0) is starts
    if not starts:
        assert "PROVIDER_KEY_ENCRYPTION_KEYS must be set in production" in result.stderr


def test_system_check__malformed_encryption_key__is_an_error() -> None:
    from llmhub.hub.checks import check_provider_key_encryption

    good = Fernet.generate_key().decode()
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[good, "oops"]):
        errors = check_provider_key_encryption()
    assert [(error.id, error.msg) for error in errors] == [
        ("hub.E001", "PROVIDER_KEY_ENCRYPTION_KEYS entry 2 is not a Fernet key.")
    ]
    with override_settings(PROVIDER_KEY_ENCRYPTION_KEYS=[good]):
        assert check_provider_key_encryption() == []
