"""The test data `manage.py seed_test_data` loads: seven providers, thirty models, five tiers
and the tier rules of DESIGN.md ("Tier rules to seed"). Prices are USD per million tokens."""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple


class ProviderRow(NamedTuple):
    slug: str
    name: str
    base_url: str
    key_format_hint: str


class ModelRow(NamedTuple):
    model_id: str
    display_name: str
    context_window: int
    input_price: str
    output_price: str
    enabled: bool = True


class TierRow(NamedTuple):
    slug: str
    name: str
    order: int
    description: str


class RuleRow(NamedTuple):
    tier: str
    pattern: str
    decision: str
    priority: int
    max_requests_per_day: int | None = None
    max_context_length: int | None = None


PROVIDERS = [
    ProviderRow("openai", "OpenAI", "https://api.openai.com/v1", "sk-*"),
    ProviderRow("anthropic", "Anthropic", "https://api.anthropic.com/v1", "sk-ant-*"),
    ProviderRow("google", "Google AI", "https://generativelanguage.googleapis.com/v1", "AIza*"),
    ProviderRow("groq", "Groq", "https://api.groq.com/openai/v1", "gsk_*"),
    ProviderRow("ollama", "Ollama (self-hosted)", "http://127.0.0.1:11434", ""),
    ProviderRow("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "sk-or-*"),
    ProviderRow("together", "Together AI", "https://api.together.xyz/v1", ""),
]

MODELS = [
    ModelRow("openai/gpt-4o", "GPT-4o", 128_000, "2.50", "10.00"),
    ModelRow("openai/gpt-4o-mini", "GPT-4o mini", 128_000, "0.15", "0.60"),
    ModelRow("openai/gpt-4-turbo", "GPT-4 Turbo", 128_000, "10.00", "30.00"),
    ModelRow("openai/gpt-4", "GPT-4 (legacy)", 8_192, "30.00", "60.00", enabled=False),
    ModelRow("openai/gpt-3.5-turbo", "GPT-3.5 Turbo", 16_385, "0.50", "1.50"),
    ModelRow("openai/o1", "o1", 200_000, "15.00", "60.00"),
    ModelRow("anthropic/claude-3-5-sonnet", "Claude 3.5 Sonnet", 200_000, "3.00", "15.00"),
    ModelRow("anthropic/claude-3-5-haiku", "Claude 3.5 Haiku", 200_000, "0.80", "4.00"),
    ModelRow("anthropic/claude-3-opus", "Claude 3 Opus", 200_000, "15.00", "75.00"),
    ModelRow("anthropic/claude-3-haiku", "Claude 3 Haiku", 200_000, "0.25", "1.25"),
    ModelRow("anthropic/claude-2.1", "Claude 2.1 (legacy)", 200_000, "8.00", "24.00", False),
    ModelRow("google/gemini-pro", "Gemini Pro", 32_760, "0.50", "1.50"),
    ModelRow("google/gemini-1.5-pro", "Gemini 1.5 Pro", 2_000_000, "1.25", "5.00"),
    ModelRow("google/gemini-1.5-flash", "Gemini 1.5 Flash", 1_000_000, "0.075", "0.30"),
    ModelRow("groq/llama-3.1-8b-instant", "Llama 3.1 8B Instant", 131_072, "0.05", "0.08"),
    ModelRow("groq/llama-3.1-70b-versatile", "Llama 3.1 70B", 131_072, "0.59", "0.79"),
    ModelRow("groq/mixtral-8x7b-32768", "Mixtral 8x7B", 32_768, "0.24", "0.24"),
    ModelRow("groq/gemma2-9b-it", "Gemma 2 9B", 8_192, "0.20", "0.20"),
    ModelRow("ollama/llama3.1:8b", "Llama 3.1 8B (local)", 131_072, "0", "0"),
    ModelRow("ollama/mistral:7b", "Mistral 7B (local)", 32_768, "0", "0"),
    ModelRow("ollama/phi3:mini", "Phi-3 Mini (local)", 4_096, "0", "0"),
    ModelRow("ollama/qwen2.5:7b", "Qwen 2.5 7B (local)", 32_768, "0", "0"),
    ModelRow("ollama/codellama:13b", "Code Llama 13B (local)", 16_384, "0", "0"),
    ModelRow("openrouter/free/llama-3.1-8b-instruct", "Llama 3.1 8B (free)", 131_072, "0", "0"),
    ModelRow("openrouter/free/mistral-7b-instruct", "Mistral 7B (free)", 32_768, "0", "0"),
    ModelRow("openrouter/free/gemma-2-9b-it", "Gemma 2 9B (free)", 8_192, "0", "0"),
    ModelRow(
        "openrouter/anthropic/claude-3.5-sonnet",
        "Claude 3.5 Sonnet via OpenRouter",
        200_000,
        "3.00",
        "15.00",
    ),
    ModelRow("together/llama-3-70b-chat", "Llama 3 70B Chat", 8_192, "0.90", "0.90"),
    ModelRow("together/mixtral-8x22b-instruct", "Mixtral 8x22B", 65_536, "1.20", "1.20"),
    ModelRow("together/qwen2-72b-instruct", "Qwen2 72B", 32_768, "0.90", "0.90"),
]

TIERS = [
    TierRow("free", "Free", 0, "Local and free hosted models only."),
    TierRow("trial", "Trial", 1, "Free models with a higher daily cap."),
    TierRow("starter", "Starter", 2, "Free models plus a few paid ones."),
    TierRow("professional", "Professional", 3, "Most models, GPT-4 and Claude 3 included."),
    TierRow("enterprise", "Enterprise", 4, "Everything, unlimited."),
]

# DESIGN.md, "Tier rules to seed". "2k"/"8k" context read as 2,048 / 8,192 tokens;
# no cap given = None (unlimited requests; the model's own context window).
TIER_RULES = [
    RuleRow("free", "ollama/*", "allow", 10, 50),
    RuleRow("free", "groq/*", "allow", 10, 50),
    RuleRow("free", "openrouter/free/*", "allow", 10, 50),
    RuleRow("free", "*", "deny", 0),
    RuleRow("trial", "ollama/*", "allow", 10, 100, 2_048),
    RuleRow("trial", "openrouter/free/*", "allow", 10, 100),
    RuleRow("trial", "groq/*", "allow", 10, 100),
    RuleRow("trial", "*", "deny", 0),
    RuleRow("starter", "ollama/*", "allow", 10, 200),
    RuleRow("starter", "groq/*", "allow", 10, 200),
    RuleRow("starter", "openrouter/free/*", "allow", 10, 200),
    RuleRow("starter", "google/gemini-pro", "allow", 10, 50),
    RuleRow("starter", "together/*", "allow", 10, 50),
    RuleRow("starter", "openai/gpt-4*", "deny", 20),
    RuleRow("starter", "anthropic/claude*", "deny", 20),
    RuleRow("starter", "*", "deny", 0),
    RuleRow("professional", "openai/gpt-4*", "allow", 20, 1_000),
    RuleRow("professional", "anthropic/claude-3*", "allow", 20, 1_000),
    RuleRow("professional", "custom/*", "deny", 30),
    RuleRow("professional", "*", "allow", 5, 100, 8_192),
    RuleRow("enterprise", "*", "allow", 1),
]


def price(text: str) -> Decimal:
    return Decimal(text)
