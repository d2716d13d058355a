"""Which model a tier may use: the pure decision over a tier's rules (no ORM, no request).

A rule matches a model id when its glob does (`fnmatch` syntax: `*` any run of characters,
`/` included; `?` one character; `[abc]` one of a set), compared case-insensitively.

Among matching rules the highest `priority` decides. On a tie the more specific pattern decides;
specificity, most important first:
  1. fewer wildcards (`*`, `?` and each `[...]` class count one each),
  2. a longer literal prefix (characters before the first wildcard),
  3. more literal characters overall.
So `openai/gpt-4o` beats `openai/gpt-4*`, which beats `openai/*`, which beats `*`. Rules still
tied after that: deny beats allow (the safe side), then the alphabetically first pattern, so the
answer never depends on row order. No matching rule: denied.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase

ALLOW = "allow"
DENY = "deny"


@dataclass(frozen=True)
class AccessRule:
    pattern: str
    decision: str
    priority: int
    max_requests_per_day: int | None = None
    max_context_length: int | None = None
    rule_id: int | None = None


@dataclass(frozen=True)
class AccessDecision:
    tier: str
    model: str
    allowed: bool
    rule: AccessRule | None
    # Allowed: the deciding rule's caps (None = unlimited / the model's own window).
    # Denied: 0, nothing may be sent.
    max_requests_per_day: int | None
    max_context_length: int | None


def _parts(pattern: str) -> tuple[int, int, int]:
    """(wildcards, literal prefix length, literal characters) of a glob."""
    wildcards = literal = 0
    prefix: int | None = None
    index = 0
    while index < len(pattern):
        char = pattern[index]
        close = pattern.find("]", index + 1) if char == "[" else -1
        if char in "*?" or close != -1:
            wildcards += 1
            prefix = literal if prefix is None else prefix
            index = close + 1 if close != -1 else index + 1
            continue
        literal += 1
        index += 1
    return wildcards, literal if prefix is None else prefix, literal


def specificity(pattern: str) -> tuple[int, int, int]:
    """Larger is more specific (see the module docstring)."""
    wildcards, prefix, literal = _parts(pattern)
    return -wildcards, prefix, literal


def matches(pattern: str, model_id: str) -> bool:
    return fnmatchcase(model_id.lower(), pattern.lower())


def _rank(rule: AccessRule) -> tuple[int, tuple[int, int, int], bool]:
    return rule.priority, specificity(rule.pattern), rule.decision == DENY


def deciding_rule(rules: Iterable[AccessRule], model_id: str) -> AccessRule | None:
    matching = sorted((rule for rule in rules if matches(rule.pattern, model_id)), key=_pattern)
    return max(matching, key=_rank, default=None)


def _pattern(rule: AccessRule) -> str:
    return rule.pattern


def decide_access(tier: str, model_id: str, rules: Iterable[AccessRule]) -> AccessDecision:
    rule = deciding_rule(rules, model_id)
    if rule is None or rule.decision != ALLOW:
        return AccessDecision(tier, model_id, False, rule, 0, 0)
    return AccessDecision(
        tier, model_id, True, rule, rule.max_requests_per_day, rule.max_context_length
    )
