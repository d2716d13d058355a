"""Throttling per token, per user and per client address; 429 with Retry-After; Redis down."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings

from flags.models import Flag
from flags.tests.api.conftest import ALL_FLAG_PERMS, Api, error_of, make_flag, make_user
from flags.tests.support.services import free_port
from llmhub.api.ratelimit import RateLimiter, limiter

pytestmark = pytest.mark.django_db
BASE = "/api/v1/features/"
HIGH = "100000/min"


def _rates(**low: str) -> dict[str, Any]:
    """REST_FRAMEWORK with every rate high except the ones given (e.g. token_read="2/min")."""
    current: dict[str, Any] = settings.REST_FRAMEWORK
    rates = {key: HIGH for key in current["DEFAULT_THROTTLE_RATES"]}
    rates.update({key.replace("_", "."): value for key, value in low.items()})
    return {**current, "DEFAULT_THROTTLE_RATES": rates}


def test_token_read__over_rate__429_with_retry_after(api_for: Callable[..., Api]) -> None:
    make_flag("hub")
    user = make_user("svc", ("view_flag",))
    first, second = api_for(user, "read"), api_for(user, "read")
    with override_settings(REST_FRAMEWORK=_rates(token_read="2/min")):
        assert [first.get(f"{BASE}hub").status_code for _ in range(2)] == [200, 200]
        refused = first.get(f"{BASE}hub")
        other_token = second.get(f"{BASE}hub")

    assert refused.status_code == 429
    assert error_of(refused)["code"] == "throttled"
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other_token.status_code == 200  # the quota is per token


def test_user__quota_shared_by_their_tokens(api_for: Callable[..., Api]) -> None:
    make_flag("hub")
    user = make_user("svc", ("view_flag",))
    first, second = api_for(user, "read"), api_for(user, "read")
    with override_settings(REST_FRAMEWORK=_rates(user_read="2/min")):
        codes = [api.get(f"{BASE}hub").status_code for api in (first, second, first, second)]
    assert codes == [200, 200, 429, 429]


def test_writes__counted_apart_from_reads_and_refused_over_rate(admin_api: Api) -> None:
    make_flag("hub")
    with override_settings(REST_FRAMEWORK=_rates(token_write="1/min")):
        assert admin_api.post(f"{BASE}hub/rollout/10").status_code == 200
        refused = admin_api.post(f"{BASE}hub/rollout/20")
        read = admin_api.get(f"{BASE}hub")
    assert refused.status_code == 429 and "Retry-After" in refused
    assert read.status_code == 200
    assert Flag.objects.get(name="hub").rollout_percentage == 10


def test_address__forged_x_forwarded_for__gets_no_fresh_quota(api_for: Callable[..., Api]) -> None:
    make_flag("hub")
    apis = [api_for(make_user(f"u{i}", ("view_flag",)), "read") for i in range(3)]
    with override_settings(REST_FRAMEWORK=_rates(address_read="2/min")):
        codes = [
            api.get(f"{BASE}hub", HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code
            for i, api in enumerate(apis)
        ]
    assert codes == [200, 200, 429]  # no proxy configured: REMOTE_ADDR counts


def test_address__behind_one_trusted_proxy__counts_the_address_it_saw(
    api_for: Callable[..., Api],
) -> None:
    make_flag("hub")
    apis = [api_for(make_user(f"u{i}", ("view_flag",)), "read") for i in range(4)]
    config = {**_rates(address_read="2/min"), "NUM_PROXIES": 1}
    with override_settings(REST_FRAMEWORK=config):
        # The client forges the left part; our proxy appends the address it really saw.
        forged = [
            api.get(f"{BASE}hub", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 198.51.100.7").status_code
            for i, api in enumerate(apis[:3])
        ]
        another_client = apis[3].get(f"{BASE}hub", HTTP_X_FORWARDED_FOR="198.51.100.8")
    assert forged == [200, 200, 429]
    assert another_client.status_code == 200


def test_unknown_tokens__login_rate_per_address__429() -> None:
    with override_settings(REST_FRAMEWORK=_rates(login="3/min")):
        codes = [
            Client().get(f"{BASE}hub", HTTP_AUTHORIZATION=f"Bearer lhk_guess{i}").status_code
            for i in range(5)
        ]
    assert codes == [401, 401, 401, 429, 429]


def test_admin_login__attempts_per_address__429_with_retry_after() -> None:
    make_user("admin", staff=True)
    with override_settings(REST_FRAMEWORK=_rates(login="3/min")):
        responses = [
            Client().post("/admin/login/", {"username": "admin", "password": f"guess{i}"})
            for i in range(5)
        ]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429]
    assert 1 <= int(responses[-1]["Retry-After"]) <= 60


def test_lenient_counts__shared_between_processes_through_the_cache() -> None:
    """Two limiters (two worker processes) share one quota once they sync."""
    first, second = RateLimiter(), RateLimiter()
    allowed = [
        limiter_.hit_lenient("k", 100, 60).allowed
        for _ in range(60)
        for limiter_ in (first, second)
    ]
    assert allowed.count(True) <= 100 + 2 * 2  # at most one batch (limit // 50) over per process
    assert allowed[-1] is False


# Redis down: our own server on a free port, stopped by PID.


@pytest.fixture
def own_redis() -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("LLMHUB_REQUIRE_SERVICES") == "1":
            pytest.fail("redis-server is required for the Redis-down test")
        pytest.skip("needs redis-server")
    port = free_port()
    args = [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"]
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.05)
    yield process, port
    if process.poll() is None:
        process.kill()
    process.wait(timeout=10)


@pytest.mark.redis
def test_redis_down__writes_fail_closed_reads_fail_open(
    own_redis: tuple[subprocess.Popen[bytes], int], api_for: Callable[..., Api]
) -> None:
    process, port = own_redis
    caches = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
    make_flag("hub", rollout_percentage=100)
    api = api_for(make_user("ops", ALL_FLAG_PERMS), "write")
    with override_settings(CACHES=caches):
        assert api.get(f"{BASE}hub").status_code == 200  # warm: token cached in the process
        assert api.post(f"{BASE}hub/rollout/90").status_code == 200

        process.kill()  # our own server, by PID
        process.wait(timeout=10)
        limiter.reset()  # forget the healthy state: the next hit must find out

        write = api.post(f"{BASE}hub/rollout/80")
        login = Client().post("/admin/login/", {"username": "ops", "password": "pw"})
        read = api.get(f"{BASE}hub?user_id=bob")
        new_token = api_for(make_user("late", ("view_flag",)), "read").get(f"{BASE}hub")

    assert write.status_code == 503
    assert error_of(write)["code"] == "throttle_unavailable"
    assert int(write["Retry-After"]) >= 1
    assert Flag.objects.get(name="hub").rollout_percentage == 90  # nothing written
    assert read.status_code == 200  # reads keep working, counted per process
    assert new_token.status_code == 503  # an unseen credential is not checked uncounted
    assert login.status_code == 503  # nor is a password
    assert login["Retry-After"] == "5"


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "203.0.113.9", "10.0.0.1"),  # no trusted proxy: the header is the client's word
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the left part was forged
        (2, "6.6.6.6, 203.0.113.9, 10.1.1.1", "203.0.113.9"),
        (2, "203.0.113.9", "10.0.0.1"),  # shorter than our proxy chain: not from our proxies
        (1, "not-an-address", "10.0.0.1"),
        (1, "", "10.0.0.1"),
    ],
)
def test_client_address__counts_trusted_proxies_from_the_right(
    proxies: int, forwarded: str, expected: str
) -> None:
    from django.test import RequestFactory

    from llmhub.api.authentication import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    with override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "NUM_PROXIES": proxies}):
        assert client_address(request) == expected
