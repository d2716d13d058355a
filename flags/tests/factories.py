"""factory-boy factories for flags. Flags are created through the service, like everywhere else."""

from __future__ import annotations

from typing import Any

import factory

from flags.models import Flag
from flags.services import flag_create
from llmhub.actors import Actor


class FlagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Flag

    name = factory.Sequence(lambda n: f"flag-{n}")
    description = factory.Faker("sentence")
    enabled = True
    rollout_percentage = 0

    @classmethod
    def _create(cls, model_class: type[Flag], *args: Any, **kwargs: Any) -> Flag:
        return flag_create(actor=Actor.system("factory"), source="command", **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "auth.User"
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pw")
