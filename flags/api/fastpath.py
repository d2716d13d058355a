"""The warm path of `GET /api/v1/features/{name}` for API tokens, without DRF's machinery.

Why: DRF's per-request skeleton (request wrapping, negotiation, permission and throttle object
construction) costs about 35 µs of a ~290 µs request, and this is the endpoint services call on
every page they render. Measured in bench/api_bench.py.

It answers only the plain case, with the same components the DRF view uses: a token already in
the process cache whose user holds `flags.view_flag` (so a privileged client), a valid user id,
a known flag. It counts the request under the same throttle keys, then evaluates. Anything else
(no token, a token not cached yet, a session, a bad parameter, an unknown flag) returns None
*before counting*, and the DRF view handles the request, errors included, exactly as before.
"""

from __future__ import annotations

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
