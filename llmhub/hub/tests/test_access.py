"""check_access on DESIGN.md's tier rules table (seeded), and the pure decision's tie-breaks."""

from __future__ import annotations

import pytest

from llmhub.hub.access import AccessRule, decide_access, deciding_rule, specificity
from llmhub.hub.errors import TierNotFound
from llmhub.hub.seed.loaders import seed_tiers
from llmhub.hub.selectors import check_access

# (tier, model, allowed, deciding pattern or None, requests/day, context cap)
DESIGN_CASES = [
    ("free", "ollama/llama3.1:8b", True, "ollama/*", 50, None),
    ("free", "groq/llama-3.1-70b-versatile", True, "groq/*", 50, None),
    ("free", "openrouter/free/mistral-7b-instruct", True, "openrouter/free/*", 50, None),
    ("free", "openrouter/anthropic/claude-3.5-sonnet", False, "*", 0, 0),
    ("free", "openai/gpt-4o", False, "*", 0, 0),
    ("free", "anthropic/claude-3-opus", False, "*", 0, 0),
    ("free", "custom/anything", False, "*", 0, 0),
    ("trial", "ollama/mistral:7b", True, "ollama/*", 100, 2048),
    ("trial", "groq/gemma2-9b-it", True, "groq/*", 100, None),
    ("trial", "openrouter/free/gemma-2-9b-it", True, "openrouter/free/*", 100, None),
    ("trial", "together/llama-3-70b-chat", False, "*", 0, 0),
    ("trial", "google/gemini-pro", False, "*", 0, 0),
    ("starter", "ollama/phi3:mini", True, "ollama/*", 200, None),
    ("starter", "groq/mixtral-8x7b-32768", True, "groq/*", 200, None),
    ("starter", "openrouter/free/llama-3.1-8b-instruct", True, "openrouter/free/*", 200, None),
    ("starter", "google/gemini-pro", True, "google/gemini-pro", 50, None),
    ("starter", "google/gemini-pro-vision", False, "*", 0, 0),
    ("starter", "google/gemini-1.5-pro", False, "*", 0, 0),
    ("starter", "together/qwen2-72b-instruct", True, "together/*", 50, None),
    ("starter", "openai/gpt-4o", False, "openai/gpt-4*", 0, 0),
    ("starter", "openai/gpt-4", False, "openai/gpt-4*", 0, 0),
    ("starter", "openai/gpt-3.5-turbo", False, "*", 0, 0),
    ("starter", "anthropic/claude-3-haiku", False, "anthropic/claude*", 0, 0),
    ("starter", "anthropic/claude-2.1", False, "anthropic/claude*", 0, 0),
    ("professional", "openai/gpt-4o", True, "openai/gpt-4*", 1000, None),
    ("professional", "openai/gpt-4-turbo", True, "openai/gpt-4*", 1000, None),
    ("professional", "anthropic/claude-3-opus", True, "anthropic/claude-3*", 1000, None),
    ("professional", "anthropic/claude-3-5-sonnet", True, "anthropic/claude-3*", 1000, None),
    ("professional", "anthropic/claude-2.1", True, "*", 100, 8192),
    ("professional", "openai/gpt-3.5-turbo", True, "*", 100, 8192),
    ("professional", "openai/o1", True, "*", 100, 8192),
    ("professional", "ollama/llama3.1:8b", True, "*", 100, 8192),
    ("professional", "custom/my-finetune", False, "custom/*", 0, 0),
    ("professional", "custom/openai/gpt-4o", False, "custom/*", 0, 0),
    ("enterprise", "openai/gpt-4o", True, "*", None, None),
    ("enterprise", "custom/my-finetune", True, "*", None, None),
    ("enterprise", "anthropic/claude-3-opus", True, "*", None, None),
]


@pytest.fixture
def design_rules(db: None) -> None:
    seed_tiers()


@pytest.mark.parametrize(
    ("tier", "model", "allowed", "pattern", "requests", "context"), DESIGN_CASES
)
def test_check_access__design_table__decides_as_documented(
    design_rules: None,
    tier: str,
    model: str,
    allowed: bool,
    pattern: str | None,
    requests: int | None,
    context: int | None,
) -> None:
    # given DESIGN.md's tier rules, when a tier asks for a model
    decision = check_access(tier, model)
    # then the documented rule decides, with its caps
    assert decision.allowed is allowed
    assert (decision.rule.pattern if decision.rule else None) == pattern
    assert (decision.max_requests_per_day, decision.max_context_length) == (requests, context)


def test_check_access__model_ids_differ_in_case__match_anyway(design_rules: None) -> None:
    rule = check_access("professional", "OpenAI/GPT-4o").rule
    assert rule is not None and rule.pattern == "openai/gpt-4*"


def test_check_access__unknown_tier__raises_tier_not_found(design_rules: None) -> None:
    with pytest.raises(TierNotFound, match="platinum"):
        check_access("platinum", "openai/gpt-4o")


def test_check_access__tier_without_rules__denies_with_no_rule(db: None) -> None:
    from llmhub.hub.tests.factories import TierFactory

    tier = TierFactory.create(slug="empty")
    decision = check_access(tier, "openai/gpt-4o")
    assert (decision.allowed, decision.rule) == (False, None)


def rule(pattern: str, decision: str = "allow", priority: int = 10, **caps: int) -> AccessRule:
    return AccessRule(pattern=pattern, decision=decision, priority=priority, **caps)


def test_deciding_rule__higher_priority__wins_over_more_specific() -> None:
    rules = [rule("openai/gpt-4o", "allow", 5), rule("openai/*", "deny", 6)]
    assert deciding_rule(rules, "openai/gpt-4o") == rules[1]


@pytest.mark.parametrize(
    ("specific", "general"),
    [
        ("openai/gpt-4o", "openai/gpt-4*"),  # no wildcard beats one
        ("openai/gpt-4*", "openai/*"),  # same wildcards, longer literal prefix
        ("openai/*", "*"),
        ("openai/gpt-?o", "openai/gpt-*-*"),  # fewer wildcards, even with a shorter literal part
        ("openai/gpt-4*", "openai/gpt*4*"),
        ("openai/gpt-4[o]", "openai/gpt-4?*"),  # a class counts as one wildcard
        ("ab*c", "ab*"),  # same wildcards and prefix: more literal characters
    ],
)
def test_deciding_rule__equal_priority__more_specific_pattern_wins(
    specific: str, general: str
) -> None:
    assert specificity(specific) > specificity(general)
    for rules in ([rule(specific), rule(general, "deny")], [rule(general, "deny"), rule(specific)]):
        model = {"ab*c": "abxc"}.get(specific, "openai/gpt-4o")
        assert deciding_rule(rules, model) == rule(specific)


def test_deciding_rule__fully_tied_allow_and_deny__deny_wins_in_any_order() -> None:
    allow, deny = rule("openai/gpt-4?", "allow"), rule("openai/gpt-4*", "deny")
    assert specificity(allow.pattern) == specificity(deny.pattern)
    assert deciding_rule([allow, deny], "openai/gpt-4o") == deny
    assert deciding_rule([deny, allow], "openai/gpt-4o") == deny


def test_deciding_rule__fully_tied_same_decision__alphabetically_first_in_any_order() -> None:
    star, question = rule("x*z", max_requests_per_day=1), rule("x?z", max_requests_per_day=2)
    assert specificity(star.pattern) == specificity(question.pattern)
    assert deciding_rule([star, question], "xyz") == star
    assert deciding_rule([question, star], "xyz") == star


def test_decide_access__no_matching_rule__denies_with_zero_caps() -> None:
    decision = decide_access("free", "openai/gpt-4o", [rule("ollama/*")])
    assert (decision.allowed, decision.rule, decision.max_requests_per_day) == (False, None, 0)


def test_decide_access__star_matches_across_slashes() -> None:
    decision = decide_access(
        "t", "openrouter/free/x/y", [rule("openrouter/*", max_context_length=5)]
    )
    assert decision.allowed and decision.max_context_length == 5


def test_decide_access__question_mark__matches_exactly_one_character() -> None:
    rules = [rule("openai/o?")]
    assert decide_access("t", "openai/o1", rules).allowed
    assert not decide_access("t", "openai/o10", rules).allowed
