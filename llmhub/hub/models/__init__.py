"""The hub's domain: providers and their keys, the model catalog, tiers and their rules.

Models validate themselves and hold no workflows: writes go through `llmhub.hub.services`.
"""

from llmhub.hub.models.catalog import LLMModel, Provider, ProviderKey
from llmhub.hub.models.tiers import Tier, TierRule

__all__ = ["LLMModel", "Provider", "ProviderKey", "Tier", "TierRule"]
