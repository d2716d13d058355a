"""factory-boy factories for the hub's domain (and staff users to drive its pages)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model

from flags.services import flag_create
from llmhub.actors import Actor
from llmhub.hub.models import LLMModel, Provider, ProviderKey, Tier, TierRule
from llmhub.hub.permissions import hub_users_group_ensure
from llmhub.hub.seed.loaders import seed_catalog, seed_tiers

PASSWORD = "pw-for-tests"


def seed_hub(**flag_config: Any) -> None:
    """The catalog and tiers `make run` seeds, and the `unified_llm_hub` flag, enabled (with
    `flag_config` for its rollout): for tests that drive the real flag, not an override."""
    seed_catalog()
    seed_tiers()
    flag_create(
        name="unified_llm_hub",
        actor=Actor.system("test"),
        source="settings",
        enabled=True,
        **flag_config,
    )


class StaffUserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    is_staff = True
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def hub_access(self, create: bool, extracted: bool | None, **kwargs: object) -> None:
        """In the "hub users" group unless `hub_access=False` (staff with no permissions)."""
        if create and extracted is not False:
            self.groups.add(hub_users_group_ensure())  # type: ignore[attr-defined]


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"provider{n}")
    name = factory.LazyAttribute(lambda provider: provider.slug.title())
    base_url = factory.LazyAttribute(lambda provider: f"https://{provider.slug}.example.com/v1")
    key_format_hint = "sk-*"


class ProviderKeyFactory(factory.django.DjangoModelFactory):
    """Build with `secret="sk-..."`; the model encrypts it."""

    class Meta:
        model = ProviderKey

    provider = factory.SubFactory(ProviderFactory)
    label = factory.Sequence(lambda n: f"key {n}")
    secret = factory.Sequence(lambda n: f"sk-test-{n:04d}-abcdefghijklmnop")


class LLMModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LLMModel
        django_get_or_create = ("model_id",)

    provider = factory.SubFactory(ProviderFactory)
    model_id = factory.LazyAttributeSequence(lambda model, n: f"{model.provider.slug}/model-{n}")
    display_name = factory.LazyAttribute(lambda model: model.model_id.split("/", 1)[1].title())
    context_window = 128_000
    input_price_per_million = Decimal("1.00")
    output_price_per_million = Decimal("2.00")
    enabled = True


class TierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tier
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tier{n}")
    name = factory.LazyAttribute(lambda tier: tier.slug.title())
    order = factory.Sequence(lambda n: 100 + n)


class TierRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TierRule

    tier = factory.SubFactory(TierFactory)
    pattern = factory.Sequence(lambda n: f"provider{n}/*")
    decision = TierRule.Decision.ALLOW
    priority = 10
