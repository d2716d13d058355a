"""False-alarm and miss rates of the rollout gates, from repeated simulated runs.

Each run is `manage.py rollout simulate`'s simulation (rollout.simulation): the seed's five
phases on a compressed clock (a day lasts a simulated minute), 1,000 requests a minute, the
plan's defaults except a 15-minute window, a different random seed per run.

    DATABASE_URL=sqlite:////tmp/rates.sqlite3 .venv/bin/python bench/rollout_rates.py --runs 20

Scenarios: healthy (0.5 % vs 0.5 %) and near the ceiling (0.8 % vs 0.7 %) count false alarms
(a kill or a rollback); 3 % vs 0.7 % counts misses (not killed within two decision ticks of
the gates first having enough samples); 1.5 % vs 0.7 % shows detection just above the ceiling.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmhub.settings.local")

import django

django.setup()

from django.core.management import call_command  # noqa: E402

from rollout.decisions import Kind  # noqa: E402
from rollout.simulation import Run, Traffic, cleanup, simulate  # noqa: E402

SCENARIOS = {
    "healthy 0.5% vs 0.5%": (0.005, 0.005),
    "near ceiling 0.8% vs 0.7%": (0.008, 0.007),
    "failing 3% vs 0.7%": (0.03, 0.007),
    "above ceiling 1.5% vs 0.7%": (0.015, 0.007),
}


def _run(new: float, old: float, seed: int) -> Run:
    traffic = Traffic(
        requests_per_minute=1000, team_share=0.2, new_error_rate=new, old_error_rate=old
    )
    run = simulate(traffic=traffic, minutes=120, minutes_per_day=1.0, seed=seed, window_minutes=15)
    cleanup(run)
    return run


def _killed_in_time(run: Run) -> bool:
    enough, killed = run.first_sufficient_tick(), run.tick_of(Kind.KILL)
    return enough is not None and killed is not None and killed - enough <= 1


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    logging.getLogger("telemetry.events").setLevel(logging.WARNING)
    call_command("migrate", verbosity=0)
    for name, (new, old) in SCENARIOS.items():
        runs = [_run(new, old, seed) for seed in range(1, args.runs + 1)]
        alarms = sum(1 for r in runs if r.tick_of(Kind.KILL) or r.tick_of(Kind.ROLLBACK))
        in_time = sum(1 for r in runs if _killed_in_time(r))
        completed = sum(1 for r in runs if r.ticks and r.ticks[-1].percentage == 100)
        print(
            f"{name:<28} runs {len(runs):>3}  killed or rolled back {alarms:>3}  "
            f"killed within 2 ticks of enough samples {in_time:>3}  reached 100 % {completed:>3}",
            flush=True,
        )


if __name__ == "__main__":
    main()
