"""Fixtures for the API tests: users with permissions, tokens, a JSON-speaking client."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth.models import Permission, User
from django.test import Client

from flags import services
from flags.models import Flag
from llmhub.actors import Actor
from llmhub.api.ratelimit import limiter
from llmhub.api.tokens.services import token_cache, token_create

ALL_FLAG_PERMS = ("view_flag", "add_flag", "change_flag", "delete_flag")


@pytest.fixture(autouse=True)
def _fresh_api_state() -> Iterator[None]:
    token_cache.clear()
    limiter.reset()
    yield
    token_cache.clear()
    limiter.reset()


def make_user(name: str, perms: tuple[str, ...] = (), *, staff: bool = False) -> User:
    user = User.objects.create_user(name, password="pw", is_staff=staff)
    user.user_permissions.set(Permission.objects.filter(codename__in=perms))
    return user


def make_token(user: User, scope: str = "write", label: str = "tests") -> str:
    return token_create(
        username=user.username, scope=scope, label=label, actor=Actor.system("test")
    )[1]


def make_flag(name: str = "hub", **config: Any) -> Flag:
    """An enabled flag (unless told otherwise), created through the service."""
    config.setdefault("enabled", True)
    return services.flag_create(name=name, actor=Actor.system("tests"), source="command", **config)


@dataclass
class Api:
    """A test client that sends JSON and a credential on every request."""

    client: Client
    headers: dict[str, str] = field(default_factory=dict)

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        kwargs: dict[str, Any] = {**self.headers, **extra}
        if body is not None:
            kwargs["data"] = body if isinstance(body, bytes | str) else json.dumps(body)
        elif method != "GET":
            kwargs["data"] = b""  # like `curl -X POST`: no body at all
        if method != "GET":
            kwargs.setdefault("content_type", "application/json")
        return getattr(self.client, method.lower())(path, **kwargs)

    def get(self, path: str, **extra: Any) -> Any:
        return self.call("GET", path, **extra)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("POST", path, body, **extra)

    def put(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("PUT", path, body, **extra)

    def patch(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("PATCH", path, body, **extra)

    def delete(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.call("DELETE", path, body, **extra)


@pytest.fixture
def api_for() -> Callable[..., Api]:
    """api_for(user, scope="write") -> an Api authenticated with a new token of that user."""

    def build(user: User, scope: str = "write", *, header: str = "bearer") -> Api:
        raw = make_token(user, scope)
        if header == "bearer":
            return Api(Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
        return Api(Client(), {"HTTP_X_API_KEY": raw})

    return build


@pytest.fixture
def admin_api(db: None, api_for: Callable[..., Api]) -> Api:
    """A write token whose user holds every flag permission."""
    return api_for(make_user("ops", ALL_FLAG_PERMS))


@pytest.fixture
def reader_api(db: None, api_for: Callable[..., Api]) -> Api:
    return api_for(make_user("reader", ("view_flag",)), "read")


def error_of(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert {"code", "message"} <= set(body["error"]), body
    return dict(body["error"])
