"""The warm path of `GET /api/v1/features/{name}` for API tokens: the evaluation lane.

Why: this is the endpoint services call on every page they render, and most of its cost was
machinery the answer does not need: Django's request cycle (signals, URL resolution, exception
wrappers), sessions, CSRF, messages, static files and DRF's per-request skeleton took more CPU
than the evaluation itself (bench/api_bench.py, docs/PERFORMANCE.md).

`EvaluationLane` wraps the WSGI application (llmhub/wsgi.py). A request it can answer goes
through the first middleware of MIDDLEWARE only (`EVALUATION_LANE_MIDDLEWARE`: telemetry's
request id, api_call event and metrics, and SecurityMiddleware's headers and HTTPS redirect),
then `lane_answer`. Every other request goes to Django untouched.

The lane answers only the plain case, with the same components the DRF view uses: a token
already in the process cache whose user holds `flags.view_flag` (so a privileged client), an
allowed host, a valid user id, a known flag (its configuration is loaded with the snapshot),
and no revision check due: it never queries the database. `lane_plan` decides that without side
effects; anything else (no token, a token not cached yet, any cookie, a bad parameter, an
unknown flag) goes to the DRF view, which handles it, errors included, exactly as before. A
differential test (flags/tests/api/test_fastpath_differential.py) holds the lane to the DRF
view's answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, HttpResponse
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.utils.module_loading import import_string

from flags import client
from flags.api.presenters import etag, evaluation_representation, json_response
from flags.store import store
from flags.types import NO_GROUPS, FlagSnapshot
from flags.user_groups import user_groups
from flags.validation import is_user_id
from llmhub.api.authentication import client_address, credential, well_formed
from llmhub.api.errors import error_body
from llmhub.api.throttling import count_request
from llmhub.api.tokens.models import token_hash
from llmhub.api.tokens.services import TokenIdentity, token_cache

# The path `flags_api_flag` (flags/api/urls.py: "api/v1/features/<str:name>") resolves, and the
# route label telemetry records for it. A test holds the two to the same paths.
DETAIL_PATH = re.compile(r"/api/v1/features/(?P<name>[^/]+)")
DETAIL_ROUTE = "/api/v1/features/<str:name>"


@dataclass(frozen=True, slots=True)
class LanePlan:
    identity: TokenIdentity
    user_id: str | None
    name: str
    snapshots: Mapping[str, FlagSnapshot]  # the set the flag and its configuration came from
    config: dict[str, Any]
    groups: frozenset[str] = NO_GROUPS


def _allowed_host(request: HttpRequest) -> bool:
    try:
        request.get_host()
    except DisallowedHost:
        return False
    return True


def lane_plan(request: HttpRequest, name: str) -> LanePlan | None:
    """What the lane would answer with, or None to leave the request to the DRF view.

    No side effect: nothing is counted or recorded before the lane commits to answering.
    """
    identity = _lane_identity(request)
    if identity is None:
        return None
    user_id = request.GET.get("user_id")
    if user_id is not None and not is_user_id(user_id):
        return None
    # The lane never touches the database, so it needs none of Django's per-request connection
    # upkeep: a revision check that is due is left to a request that goes through Django. The
    # configuration is loaded with the snapshot (the store's documents); it is missing only when
    # the store reloaded between these two reads, and such a request goes to Django too.
    snapshots = store.current()
    if snapshots is None:
        return None
    snapshot = snapshots.get(name)
    if snapshot is None or not _allowed_host(request):
        return None
    config = store.document(snapshot, snapshots)
    if config is None:
        return None
    groups = NO_GROUPS
    if snapshot.whitelist_groups:  # `group:` entries: the subject's groups, if held here
        held = user_groups.peek(identity.user.get_username() if user_id is None else user_id)
        if held is None:
            return None  # reading them is a query: Django answers (and caches them)
        groups = held
    return LanePlan(identity, user_id, name, snapshots, config, groups)


def _lane_identity(request: HttpRequest) -> TokenIdentity | None:
    """The token identity of a GET the lane may answer: one this process holds, whose user has
    `flags.view_flag` (a privileged client), sent without cookies."""
    if request.method != "GET":
        return None
    # Cookies are read by middleware the lane does not run: a stale session cookie is deleted
    # (with `Vary: Cookie`), a malformed CSRF cookie replaced. Token clients send none; a
    # request with cookies goes to Django.
    if request.META.get("HTTP_COOKIE"):
        return None
    raw = credential(request.META)
    if raw is None or not well_formed(raw):
        return None
    identity = token_cache.fresh(token_hash(raw))
    if identity is None or not identity.has_perm("flags.view_flag"):
        return None
    return identity


def _throttled(wait: int) -> HttpResponse:
    body = error_body("throttled", f"Request was throttled. Expected available in {wait} seconds.")
    return json_response(body, status=429, headers={"Retry-After": str(wait)})


def lane_answer(request: HttpRequest, plan: LanePlan) -> HttpResponse:
    """Count the request under the DRF view's throttle keys, then evaluate."""
    identity = plan.identity
    idents = [
        ("address", client_address(request)),
        ("token", str(identity.token_id)),
        ("user", str(identity.user.pk)),
    ]
    wait = count_request(idents, "read")
    if wait:
        return _throttled(wait)
    request.user = identity.user  # as DRF would set it (telemetry records the user)
    subject = identity.user.get_username() if plan.user_id is None else plan.user_id
    # From the planned set: the snapshot the configuration belongs to, and no store check.
    result = client.evaluate(plan.name, subject, snapshots=plan.snapshots, groups=plan.groups)
    headers = {"ETag": etag(plan.config["version"])}
    return json_response(evaluation_representation(result, plan.config), headers=headers)


StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


class EvaluationLane:
    """WSGI wrapper: the plain warm evaluation through the lane's middleware, the rest to Django.

    The lane's middleware are wrapped as Django wraps them (`convert_exception_to_response`),
    so an error inside gets Django's error response, as anywhere else.
    """

    def __init__(self, django_app: WSGIApp) -> None:
        self.django_app = django_app
        # Synchronous middleware around a synchronous handler: each call returns a response.
        handler: Callable[[HttpRequest], Any] = convert_exception_to_response(self._answer)
        # X-Frame-Options, as XFrameOptionsMiddleware (further down MIDDLEWARE) sets it.
        handler = convert_exception_to_response(XFrameOptionsMiddleware(handler))
        for path in reversed(settings.EVALUATION_LANE_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self.handler = handler

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") == "GET" and DETAIL_PATH.fullmatch(
            environ.get("PATH_INFO", "")
        ):
            request = self._planned(environ)
            if request is not None:
                return self._respond(self.handler(request), start_response)
        return self.django_app(environ, start_response)

    @staticmethod
    def _planned(environ: dict[str, Any]) -> HttpRequest | None:
        """The request with its plan when the lane answers it, else None (Django answers).

        `WSGIRequest` writes the decoded path into the environ it is given (PATH_INFO and
        SCRIPT_NAME), where WSGI keeps latin-1 text: Django, handed that environ, failed to
        re-encode an emoji and gunicorn answered its HTML 500. So the lane reads a copy, and
        takes the flag name from the decoded path, as Django's URL resolution does.
        """
        try:
            request = WSGIRequest(dict(environ))
            match = DETAIL_PATH.fullmatch(request.path_info)
            plan = None if match is None else lane_plan(request, match["name"])
        except Exception:  # noqa: BLE001 - bad input (too many fields, say): Django
            return None  # answers it, with its error handling and telemetry
        if plan is None:
            return None
        request.lane_plan = plan  # type: ignore[attr-defined]
        return request

    def _answer(self, request: HttpRequest) -> HttpResponse:
        response = lane_answer(request, request.lane_plan)  # type: ignore[attr-defined]
        request.route = DETAIL_ROUTE  # type: ignore[attr-defined]  # telemetry's label
        response.headers["Content-Length"] = str(len(response.content))  # as CommonMiddleware
        return response

    @staticmethod
    def _respond(response: Any, start_response: StartResponse) -> list[bytes]:
        """As Django's WSGIHandler does, for a response whose content is bytes (not a file)."""
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [
            *response.items(),
            *(("Set-Cookie", c.output(header="")) for c in response.cookies.values()),
        ]
        start_response(status, headers)
        return [response.content]
