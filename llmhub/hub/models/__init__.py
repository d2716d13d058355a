"""The hub's domain: providers and their keys, the model catalog, tiers and their rules, and
what the hub remembers of its feedback prompt and opt-outs.

Models validate themselves and hold no workflows: writes go through `llmhub.hub.services`.
"""

from llmhub.hub.models.catalog import LLMModel, Provider, ProviderKey
from llmhub.hub.models.feedback import FeedbackPromptReply, HubOptOut
from llmhub.hub.models.tiers import Tier, TierRule

__all__ = [
    "FeedbackPromptReply",
    "HubOptOut",
    "LLMModel",
    "Provider",
    "ProviderKey",
    "Tier",
    "TierRule",
]
