"""Hostile paths: every URL pattern of the project with odd bytes in its parameters.

Walks Django's URL resolver (every pattern of every include, admin's too), so a route added
tomorrow is swept without editing this file. Each path parameter in turn gets each odd value
(the others a plain sample); a pattern without parameters gets the odd value as one more
segment. Paths are percent-encoded, as a client sends them; `raw_request_target` gives the same
path with the odd bytes sent raw (not valid UTF-8, or not even printable ASCII).

What must hold for every answer (`problems`): never a 5xx; under /api/ and /ofrep/ an error is
JSON in the API's error shape (`{"error": {"code", "message"}}`; OFREP's own under /ofrep/).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

# Percent-encoded, as a client writes them in a request line.
ODD_VALUES: dict[str, str] = {
    "emoji": "%F0%9F%98%8A",
    "not utf-8": "%FF",
    "nul": "a%00b",
    "5,000 characters": "a" * 5000,
    "overlong slash": "%C0%AF",
    "newline": "a%0Ab",
    "lone percent": "%25",
    "right-to-left override": "%E2%80%AE",
}
# Odd values a client can also send raw in the request line (bytes outside printable ASCII).
RAW_ODD_VALUES = ("emoji", "not utf-8", "nul", "overlong slash", "right-to-left override")
API_PREFIXES = ("/api/", "/ofrep/")
SAMPLE = "hub"  # the value of the parameters not under test (an existing flag's name)
METHODS_EVERYWHERE = ("GET", "POST")
API_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")

_ROUTE_PARAMETER = re.compile(r"<(?:[^>:]+:)?(?P<name>[^>]+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


@dataclass(frozen=True)
class Probe:
    route: str  # the pattern, for the report
    odd: str  # the label of the odd value
    path: str  # percent-encoded


def _template(pattern: RoutePattern | RegexPattern) -> str:
    """The pattern as text with `{name}` for each parameter."""
    text = str(pattern)
    if isinstance(pattern, RoutePattern):
        return _ROUTE_PARAMETER.sub(lambda m: "{" + m["name"] + "}", text)
    text = _REGEX_GROUP.sub(lambda m: "{" + m["name"] + "}", text)
    return text.replace("^", "").replace("$", "").replace("\\", "")


def route_templates() -> list[str]:
    """Every URL pattern of the project, as `/path/{param}/...` templates."""

    def walk(patterns: list[URLPattern | URLResolver], prefix: str) -> Iterator[str]:
        for entry in patterns:
            here = prefix + _template(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, here)
            else:
                yield "/" + here

    return list(dict.fromkeys(walk(get_resolver().url_patterns, "")))


def _parameters(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def probes(odd_values: dict[str, str] = ODD_VALUES) -> list[Probe]:
    """For each route and odd value: the odd value in each parameter, or as a last segment."""
    found: dict[str, Probe] = {}
    for template in route_templates():
        names = _parameters(template)
        for label, odd in odd_values.items():
            if not names:
                glue = "" if template.endswith("/") else "/"
                path = template + glue + odd
                found.setdefault(path, Probe(template, label, path))
            for name in names:
                values = {other: SAMPLE for other in names} | {name: odd}
                path = template.format(**values)
                found.setdefault(path, Probe(template, label, path))
    return list(found.values())


def methods(path: str) -> tuple[str, ...]:
    return API_METHODS if path.startswith(API_PREFIXES) else METHODS_EVERYWHERE


def raw_request_target(path: str) -> bytes:
    """The path with every percent-escape sent as the raw byte (how a careless client sends it)."""
    return unquote_to_bytes(path)


def _error_shaped(path: str, body: bytes) -> bool:
    """The API's error shape; under /ofrep/ also OFREP's own (`errorCode`, `errorDetails`)."""
    try:
        data = json.loads(body)
    except ValueError:
        return False
    if not isinstance(data, dict):
        return False
    error = data.get("error")
    if isinstance(error, dict) and isinstance(error.get("code"), str):
        return isinstance(error.get("message"), str)
    return path.startswith("/ofrep/") and isinstance(data.get("errorCode"), str)


def problems(path: str, status: int, content_type: str, body: bytes) -> list[str]:
    """What is wrong with this answer to a hostile path (nothing: an empty list)."""
    found = []
    if status >= 500:
        found.append(f"answered {status}")
    if path.startswith(API_PREFIXES) and status >= 400:
        if not content_type.startswith("application/json"):
            found.append(f"{status} as {content_type or 'no content type'}, not JSON")
        elif not _error_shaped(path, body):
            found.append(f"{status} JSON without the error shape: {body[:100]!r}")
    return found
