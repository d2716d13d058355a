"""The flags `manage.py seed_test_data` makes: the hub's flag and the two demo flags (which
`manage.py load_demo` makes too).

Created through `flag_ensure` only, so a flag that exists (declared in settings, made by an admin)
is never overwritten; the tester is whitelisted on `unified_llm_hub` only when it is created here.
"""

from __future__ import annotations

from typing import Any

from flags.services import flag_ensure
from llmhub.actors import Actor
from llmhub.seeding import SeedRun, Tally

DEMO_FLAGS: dict[str, dict[str, Any]] = {
    "advanced_analytics": {
        "description": "Usage analytics tab with per-model breakdowns.",
        "enabled": True,
        "rollout_percentage": 50,
        "tags": ["hub", "analytics"],
        "owner": "platform-team",
    },
    "model_recommendations": {
        "description": "Suggest cheaper models with the same capabilities.",
        "enabled": False,
        "rollout_percentage": 0,
        "tags": ["experiment"],
        "owner": "ml-team",
    },
}

SEED_FLAGS: dict[str, dict[str, Any]] = {
    "unified_llm_hub": {
        "description": "Serve the unified LLM management hub instead of the four old pages.",
        "enabled": True,
        "rollout_percentage": 25,
        "whitelist_users": ["tester"],
        "tags": ["hub"],
        "owner": "platform-team",
    },
    **DEMO_FLAGS,
}


def seed_flags(run: SeedRun) -> list[Tally]:
    actor = Actor.command("seed_test_data")
    created = [
        name
        for name, defaults in SEED_FLAGS.items()
        if flag_ensure(name=name, defaults=dict(defaults), actor=actor, source="command")
    ]
    return [Tally("flags", len(created), len(SEED_FLAGS) - len(created))]
