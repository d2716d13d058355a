"""The evaluation lane answers exactly as Django and the DRF view, for generated requests.

Each generated request is sent twice from the same starting state: once to Django's WSGI
handler alone (the DRF view answers), once to `EvaluationLane` around it (as llmhub/wsgi.py
mounts it). Status, headers (all but the random X-Request-ID and a new CSRF cookie's random
secret) and body must be equal, and never a 5xx. The requests vary everything the lane looks
at or repeats: the path (flag names known and unknown, hostile bytes, 5,000 characters, other
routes), the query string (user ids valid and not, repeated, many fields), the credential
(valid tokens with and without the permission, X-API-Key, revoked before or after the process
cached it, a deactivated user, invalid and malformed tokens, other schemes, none), the Host
header, the method, other headers (cookies among them), and how many requests came before (the
throttle: the last ones are refused).

Same starting state: every run gets a token of its own and a client address of its own (so
throttle counters and the token cache start empty for it alike), the same warm-up requests
through Django (so the token and the configuration are cached, which is when the lane
answers), and the throttle's clock pinned (so Retry-After cannot differ by a second boundary).
"""

from __future__ import annotations

import itertools
import re
import time
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote, unquote_to_bytes

import pytest
from django.contrib.auth.models import User
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import RequestFactory, override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flags.api import fastpath
from flags.tests.api.conftest import ALL_FLAG_PERMS, make_flag, make_user
from flags.tests.api.test_throttling import _rates
from llmhub.actors import Actor
from llmhub.api import ratelimit
from llmhub.api.tokens.models import ApiToken

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"
ODD_NAMES = [
    "%F0%9F%98%8A",  # emoji
    "%FF",  # not UTF-8
    "a%00b",  # NUL
    "a" * 5000,
    "%C3%A9t%C3%A9",
    "%E2%80%AE",
    "%25",
    "%20hub",
    "hub%0A",
    "HUB",
    "hub.x",
    "user",
]
NAMES = st.sampled_from(["hub", "hub", "off", "full", "window", "nope", *ODD_NAMES])
PATHS = st.one_of(
    st.builds(lambda name: BASE + name, NAMES),
    st.builds(lambda name, tail: BASE + name + tail, NAMES, st.sampled_from(["/", "/history"])),
    st.sampled_from([BASE, BASE + "/hub", BASE + "user/bob/enabled", "/api/v1/featureshub"]),
)
USER_IDS = st.one_of(
    st.sampled_from(["bob", "alice", "eve", "", " ", "%00", "a%00b", "x" * 300, "%FF"]),
    st.sampled_from(["%C3%A9t%C3%A9", "%F0%9F%98%8A", "a+b", "%2F"]),
    st.text(max_size=12).map(lambda text: quote(text, safe="")),
)
QUERIES = st.one_of(
    st.just(""),
    st.builds(lambda uid: f"user_id={uid}", USER_IDS),
    st.builds(lambda a, b: f"user_id={a}&user_id={b}", USER_IDS, USER_IDS),
    st.builds(lambda uid: f"x=1&user_id={uid}&tags=a", USER_IDS),
    st.just("user_id=bob" + "&x=1" * 1001),  # more fields than Django parses
    st.sampled_from(["user_id", "=bob", "user_id=%ZZ", "%FF=%FF", "&&&"]),
)
CREDENTIALS = st.sampled_from(
    [
        "reader",
        "reader",
        "writer key",
        "superuser",
        "no permission",
        "revoked",
        "revoked after cached",
        "deactivated after cached",
        "lowercase bearer",
        "invalid",
        "not ascii",
        "too long",
        "empty bearer",
        "basic",
        "none",
    ]
)
HOSTS = st.sampled_from([None, "testserver", "testserver:80", "TESTSERVER", "evil.example", "a b"])
HEADERS = st.dictionaries(
    st.sampled_from(["HTTP_X_FORWARDED_FOR", "HTTP_ACCEPT", "HTTP_COOKIE", "HTTP_IF_NONE_MATCH"]),
    st.sampled_from(
        ["1.2.3.4", "text/html", "sessionid=garbage", "csrftoken=abc; messages=abc", '"1"', ""]
    ),
    max_size=2,
)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    query: str
    credential: str
    host: str | None
    headers: dict[str, str]
    before: int  # requests sent (the same) before this one: throttled beyond the rate

    def environ(self, auth: dict[str, str], address: str) -> dict[str, Any]:
        extra = {**self.headers, **auth, "REMOTE_ADDR": address, "QUERY_STRING": self.query}
        if self.host is not None:
            extra["HTTP_HOST"] = self.host
        environ = RequestFactory().generic(self.method, self.path, **extra).environ
        # The request RequestFactory built rewrote PATH_INFO decoded (WSGIRequest does that,
        # defect 4's cause); WSGI, as gunicorn gives it, holds the path's bytes as latin-1 text.
        environ["PATH_INFO"] = unquote_to_bytes(self.path).decode("latin-1")
        return environ


ANY_CASES = st.builds(
    Case,
    method=st.sampled_from(["GET", "GET", "GET", "GET", "HEAD", "POST"]),
    path=PATHS,
    query=QUERIES,
    credential=CREDENTIALS,
    host=HOSTS,
    headers=HEADERS,
    before=st.sampled_from([0, 0, 0, 1, 2, 3]),
)
# Requests the lane may answer (a valid token, a known flag, a plain query), so that it does
# answer a good share of the cases and its own answers are compared, throttled ones included.
PLAIN_CASES = st.builds(
    Case,
    method=st.just("GET"),
    path=st.sampled_from(["hub", "off", "full", "window"]).map(lambda name: BASE + name),
    query=st.one_of(st.just(""), st.builds(lambda uid: f"user_id={uid}", USER_IDS)),
    credential=st.sampled_from(["reader", "writer key", "superuser", "lowercase bearer"]),
    host=st.sampled_from([None, "testserver"]),
    headers=HEADERS,
    before=st.sampled_from([0, 0, 1, 2, 3]),
)
CASES = st.one_of(PLAIN_CASES, ANY_CASES)
Answer = tuple[int, dict[str, str], bytes]


class World:
    """Users, flags, and for each run fresh tokens and a fresh client address."""

    def __init__(self) -> None:
        make_flag("hub", rollout_percentage=50, whitelist_users=["alice"], blacklist_users=["eve"])
        make_flag("off", enabled=False)
        make_flag("full", rollout_percentage=100)
        make_flag("window", rollout_percentage=100, starts_at=timezone.now() + timedelta(days=1))
        self.users = {
            "reader": make_user("svc", ("view_flag",)),
            "writer": make_user("ops", ALL_FLAG_PERMS),
            "nobody": make_user("nobody"),
            "root": User.objects.create_superuser("root", "root@example.com", "pw"),
        }
        self._addresses = (
            f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}" for n in itertools.count(1)
        )
        self.django = get_wsgi_application()
        self.lane = fastpath.EvaluationLane(self.django)

    def address(self) -> str:
        return next(self._addresses)

    def token(self, who: str, scope: str = "read") -> tuple[ApiToken, str]:
        from llmhub.api.tokens.services import token_create

        return token_create(
            username=self.users[who].username,
            scope=scope,
            label="differential",
            actor=Actor.system("test"),
        )


def _auth(world: World, credential: str) -> tuple[dict[str, str], Callable[[], None]]:
    """The credential's headers, and what happens after the warm-up (revocation, ...)."""
    nothing: Callable[[], None] = lambda: None  # noqa: E731
    fixed = {
        "invalid": {"HTTP_AUTHORIZATION": "Bearer " + "x" * 40},
        "not ascii": {"HTTP_AUTHORIZATION": "Bearer t\u00f6k\u00e9n"},
        "too long": {"HTTP_AUTHORIZATION": "Bearer " + "x" * 300},
        "empty bearer": {"HTTP_AUTHORIZATION": "Bearer "},
        "basic": {"HTTP_AUTHORIZATION": "Basic c3ZjOnB3"},
        "none": {},
    }
    if credential in fixed:
        return fixed[credential], nothing
    who = {"writer key": "writer", "superuser": "root", "no permission": "nobody"}.get(
        credential, "reader"
    )
    token, raw = world.token(who, "write" if who == "writer" else "read")
    if credential == "writer key":
        return {"HTTP_X_API_KEY": raw}, nothing
    scheme = "bearer" if credential == "lowercase bearer" else "Bearer"
    headers = {"HTTP_AUTHORIZATION": f"{scheme} {raw}"}
    if credential == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())
    if credential == "revoked after cached":  # by another process: this one keeps its cache
        return headers, lambda: _revoke_elsewhere(token)
    if credential == "deactivated after cached":
        return headers, lambda: _deactivate_elsewhere(token)
    return headers, nothing


def _revoke_elsewhere(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _deactivate_elsewhere(token: ApiToken) -> None:
    # A user of their own, so other runs keep an active one.
    user = make_user(f"gone{token.pk}", ("view_flag",))
    ApiToken.objects.filter(pk=token.pk).update(user=user)
    User.objects.filter(pk=user.pk).update(is_active=False)


def _call(app: Callable[..., Any], environ: dict[str, Any]) -> Answer:
    seen: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
        seen["status"], seen["headers"] = int(status.split()[0]), headers

    body = b"".join(app(environ, start_response))
    headers = {name: _fixed(value) for name, value in seen["headers"] if name != "X-Request-ID"}
    return seen["status"], headers, body


def _fixed(value: str) -> str:
    """A header's value without what is random by design (a new CSRF cookie's secret) or
    depends on the clock (its expiry: the two answers may straddle a second on a busy machine)."""
    value = re.sub(r"csrftoken=[^;]+", "csrftoken=<new secret>", value)
    return re.sub(r"expires=[^;]+", "expires=<a year from now>", value)


def _run(world: World, app: Callable[..., Any], case: Case) -> Answer:
    """Warm-up through Django (caches the token, and the configuration of the flag the case
    names), then the requests before, then the case."""
    auth, after_warm_up = _auth(world, case.credential)
    warm_up_address, address = world.address(), world.address()
    for path in {BASE + "hub", case.path}:
        _call(world.django, Case("GET", path, "", "", None, {}, 0).environ(auth, warm_up_address))
    after_warm_up()
    for _ in range(case.before):
        _call(app, case.environ(auth, address))
    return _call(app, case.environ(auth, address))


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    # The throttle's clock stands still: both runs of a case see the same Retry-After.
    frozen = types.SimpleNamespace(time=lambda: 1_800_000_030.0, monotonic=time.monotonic)
    monkeypatch.setattr(ratelimit, "time", frozen)
    request_started.disconnect(close_old_connections)  # the test's connection must survive
    request_finished.disconnect(close_old_connections)
    # Reads per minute: the case's third request from its address is its last allowed one, and
    # its token is refused after the two warm-ups and three requests (`before` reaches both).
    rates = _rates(token_read="5/min", address_read="3/min")
    try:
        with override_settings(REST_FRAMEWORK=rates):
            yield World()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def test_lane__generated_requests__same_status_headers_body_as_django(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered: list[str] = []
    real = fastpath.lane_answer

    def counting(request: Any, plan: fastpath.LanePlan) -> Any:
        answered.append(request.path)
        return real(request, plan)

    monkeypatch.setattr(fastpath, "lane_answer", counting)

    @settings(
        max_examples=400,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(case=CASES)
    def same_answer(case: Case) -> None:
        drf = _run(world, world.django, case)
        lane = _run(world, world.lane, case)
        assert drf[0] < 500, (case, drf)
        assert lane == drf, case

    same_answer()
    # The lane did answer a share of them (else the comparison proved nothing about it).
    assert len(answered) >= 80, len(answered)


def test_lane__throttled_and_revoked_cases_are_generated() -> None:
    """The strategies reach the cases that matter (a guard against a strategy edited away)."""
    seen: set[tuple[str, int]] = set()

    @settings(max_examples=300, database=None)
    @given(case=CASES)
    def collect(case: Case) -> None:
        seen.add((case.credential, min(case.before, 3)))

    collect()
    assert ("reader", 3) in seen
    assert {"revoked after cached", "deactivated after cached", "none"} <= {c for c, _ in seen}
