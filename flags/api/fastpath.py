"""The warm path of `GET /api/v1/features/{name}` for API tokens, ahead of the middleware stack.

Why: this is the endpoint services call on every page they render, and most of its cost was
machinery the answer does not need: sessions, CSRF, messages, static files, URL resolution and
DRF's per-request skeleton took more CPU than the evaluation itself (bench/api_bench.py,
docs/PERFORMANCE.md). `FastEvaluateMiddleware` sits right after SecurityMiddleware, inside
telemetry's middleware, so the answer still gets its request id, api_call event, metrics and
security headers.

It answers only the plain case, with the same components the DRF view uses: a token already in
the process cache whose user holds `flags.view_flag` (so a privileged client), a valid user id,
a known flag. It counts the request under the same throttle keys, then evaluates. Anything else
(no token, a token not cached yet, a session, a bad parameter, an unknown flag) returns None
*before counting*, and the DRF view handles the request, errors included, exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from flags import client
from flags.api.auth import client_address, credential, well_formed
from flags.api.errors import error_body
from flags.api.presenters import config_for, etag, evaluation_representation, json_response
from flags.api.throttling import count_request
from flags.api.token_services import token_cache
from flags.store import store
from flags.tokens import token_hash
from flags.types import Reason
from flags.validation import MAX_USER_ID_LENGTH


def _plain_user_id(value: str) -> bool:
    return bool(value.strip()) and len(value) <= MAX_USER_ID_LENGTH and "\x00" not in value


def _throttled(wait: int) -> HttpResponse:
    body = error_body("throttled", f"Request was throttled. Expected available in {wait} seconds.")
    return json_response(body, status=429, headers={"Retry-After": str(wait)})


def fast_evaluate(request: HttpRequest, name: str) -> HttpResponse | None:
    if request.method != "GET":
        return None
    raw = credential(request.META)
    if raw is None or not well_formed(raw):
        return None
    identity = token_cache.fresh(token_hash(raw))
    if identity is None or not identity.has_perm("flags.view_flag"):
        return None
    user_id = request.GET.get("user_id")
    if user_id is not None and not _plain_user_id(user_id):
        return None
    snapshot = store.get(name)
    if snapshot is None:
        return None
    idents = [
        ("address", client_address(request)),
        ("token", str(identity.token_id)),
        ("user", str(identity.user.pk)),
    ]
    wait = count_request(idents, "read")
    if wait:
        return _throttled(wait)
    request.user = identity.user  # as DRF would set it (telemetry records the user)
    subject = identity.user.get_username() if user_id is None else user_id
    result = client.evaluate(name, subject)
    if result.reason == Reason.FLAG_NOT_FOUND:  # deleted since the lookup above: rare
        return json_response(error_body("not_found", f"No flag named {name!r}."), status=404)
    config = config_for(snapshot)
    headers = {"ETag": etag(config["version"])} if config else None
    return json_response(evaluation_representation(result, config), headers=headers)


# The path `flags_api_flag` (flags/api/urls.py: "api/v1/features/<str:name>") resolves, and the
# route label telemetry records for it. A test holds the two to the same paths.
DETAIL_PATH = re.compile(r"/api/v1/features/(?P<name>[^/]+)")
DETAIL_ROUTE = "/api/v1/features/<str:name>"


class FastEvaluateMiddleware:
    """Answer the plain warm evaluation before sessions, CSRF, messages and URL resolution.

    Anything `fast_evaluate` declines goes down the stack unchanged, to the DRF view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # What XFrameOptionsMiddleware, further down, would have added.
        self.frame_options = getattr(settings, "X_FRAME_OPTIONS", "DENY").upper()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "GET":
            match = DETAIL_PATH.fullmatch(request.path_info)
            if match is not None:
                response = fast_evaluate(request, match["name"])
                if response is not None:
                    request.route = DETAIL_ROUTE  # type: ignore[attr-defined]
                    response.headers.setdefault("X-Frame-Options", self.frame_options)
                    response.headers["Content-Length"] = str(len(response.content))
                    return response
        return self.get_response(request)
