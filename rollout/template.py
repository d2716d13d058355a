"""The seed's five phases, as the steps of a new plan (editable afterwards).

Whitelist only; 10 % -> 25 %; 25 % -> 50 %; 50 % -> 90 %; 100 %, each for a week or two. A phase
"a % -> b %" starts where the previous one ended, so phase 2 is two steps (10 %, then 25 %) and
phases 3 and 4 one step each (50 %, 90 %). Reaching the last step completes the plan.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict


class StepSpec(TypedDict):
    name: str
    percentage: int
    min_dwell: timedelta
    max_dwell: timedelta | None


DAY = timedelta(days=1)

SEED_PHASES: list[StepSpec] = [
    {
        "name": "Phase 1: internal (whitelist only)",
        "percentage": 0,
        "min_dwell": 7 * DAY,
        "max_dwell": 14 * DAY,
    },
    {
        "name": "Phase 2: early adopters",
        "percentage": 10,
        "min_dwell": 3 * DAY,
        "max_dwell": 7 * DAY,
    },
    {
        "name": "Phase 2: early adopters",
        "percentage": 25,
        "min_dwell": 4 * DAY,
        "max_dwell": 7 * DAY,
    },
    {
        "name": "Phase 3: broad rollout",
        "percentage": 50,
        "min_dwell": 7 * DAY,
        "max_dwell": 14 * DAY,
    },
    {"name": "Phase 4: majority", "percentage": 90, "min_dwell": 7 * DAY, "max_dwell": 14 * DAY},
    {"name": "Phase 5: everyone", "percentage": 100, "min_dwell": timedelta(0), "max_dwell": None},
]
