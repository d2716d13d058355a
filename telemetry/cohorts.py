"""The cohorts a rollout compares: which UI a request was served. Defined here only.

The hub tags each request with one (`telemetry.set_cohort`); the dashboard, the hub's Usage
tab and the demo data read and write events by them. Telemetry's level, not the hub's: what
compares the two cohorts (the dashboard today, guarded rollouts next) reads telemetry.
"""

from __future__ import annotations

NEW_HUB = "new_hub"
OLD_PAGES = "old_pages"
# In the order every figure shows them: the new UI first.
COHORTS = (NEW_HUB, OLD_PAGES)
