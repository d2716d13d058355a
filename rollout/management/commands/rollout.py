"""`manage.py rollout <subcommand>`: a flag's guarded rollout plan from a shell.

    rollout plan NAME            start the seed's five phases on the flag
    rollout show NAME            steps, state, the last gates and the next decision (JSON)
    rollout pause|resume|advance|abort NAME
    rollout decide               one decision tick now (what beat runs every minute)
    rollout simulate             a plan against synthetic traffic on a compressed clock

Every change goes through `rollout.services`; bad input exits non-zero with one clear line.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from django.core.management.base import CommandParser

from flags.errors import FlagError
from llmhub.actors import Actor
from llmhub.commands import ArgumentTypeError, Problems, whole_number
from llmhub.commands import Command as BaseCommand
from rollout import services, simulation, ticks
from rollout.errors import RolloutError
from rollout.presenters import plan_representation
from rollout.selectors import plan_for_flag

ACTOR = Actor.command("rollout")


def _share(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a rate (use 0.03 or 3%)") from None
    if not 0 <= value <= 1:
        raise ArgumentTypeError(f"{text!r} must be from 0 to 1 (or 0% to 100%)")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0 < value < 1e7:
        raise ArgumentTypeError(f"{text!r} must be a positive number")
    return value


class Command(BaseCommand):
    help = "Guarded rollout plans: plan, show, pause, resume, advance, abort, decide, simulate."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, text in (
            ("plan", "Start the seed's five phases on a flag (its first step applies now)."),
            ("show", "Show a flag's plan, its steps and last gates, as JSON."),
            ("pause", "Pause the plan (the flag stays as it is)."),
            ("resume", "Resume a paused plan from its current step."),
            ("advance", "Advance to the next step now, whatever the gates say."),
            ("abort", "Stop the plan for good (the flag stays as it is)."),
        ):
            sub.add_parser(name, help=text).add_argument("name")
        sub.add_parser("decide", help="Decide every due plan now (what beat does each minute).")
        sim = sub.add_parser("simulate", help="Drive a plan against synthetic traffic.")
        sim.add_argument("--minutes", type=whole_number(minimum=1, maximum=10_000), default=120)
        sim.add_argument("--minutes-per-day", type=_positive_float, default=1.0)
        sim.add_argument(
            "--requests-per-minute", type=whole_number(minimum=10, maximum=100_000), default=2000
        )
        sim.add_argument("--new-error-rate", type=_share, default=0.005)
        sim.add_argument("--old-error-rate", type=_share, default=0.005)
        sim.add_argument("--new-latency-ms", type=_positive_float, default=200.0)
        sim.add_argument("--old-latency-ms", type=_positive_float, default=200.0)
        sim.add_argument("--satisfaction", type=_share, default=0.9)
        sim.add_argument("--seed", type=whole_number(minimum=0, maximum=2**31), default=1)
        sim.add_argument(
            "--min-requests", type=whole_number(minimum=1, maximum=10**7), default=1000
        )
        sim.add_argument("--window-minutes", type=whole_number(minimum=1, maximum=1440), default=15)
        sim.add_argument("--keep", action="store_true", help="Keep the synthetic flag and events.")

    def handle(self, *args: Any, **options: Any) -> None:
        handler: Callable[[dict[str, Any]], None] = getattr(self, f"_{options['subcommand']}")
        try:
            handler(options)
        except (RolloutError, FlagError) as exc:
            raise Problems(exc.message) from None

    def _plan(self, options: dict[str, Any]) -> None:
        plan = services.plan_create(flag_name=options["name"], actor=ACTOR)
        self.stdout.write(f"Plan started on {options['name']}: step 1 of {plan.steps.count()}.")

    def _show(self, options: dict[str, Any]) -> None:
        plan = plan_for_flag(options["name"])
        if plan is None:
            raise Problems(f"Flag {options['name']!r} has no rollout plan.")
        self.stdout.write(json.dumps(plan_representation(plan), indent=2))

    def _pause(self, options: dict[str, Any]) -> None:
        services.plan_pause(flag_name=options["name"], actor=ACTOR)
        self.stdout.write(f"Plan of {options['name']} paused.")

    def _resume(self, options: dict[str, Any]) -> None:
        services.plan_resume(flag_name=options["name"], actor=ACTOR)
        self.stdout.write(f"Plan of {options['name']} resumed.")

    def _advance(self, options: dict[str, Any]) -> None:
        plan = services.plan_advance(flag_name=options["name"], actor=ACTOR)
        self.stdout.write(f"Plan of {options['name']} advanced to step {plan.position + 1}.")

    def _abort(self, options: dict[str, Any]) -> None:
        services.plan_abort(flag_name=options["name"], actor=ACTOR)
        self.stdout.write(f"Plan of {options['name']} aborted; the flag stays as it is.")

    def _decide(self, options: dict[str, Any]) -> None:
        for name, decision in ticks.plans_decide_due():
            self.stdout.write(f"{name}: {decision.kind}: {decision.reason}")

    def _simulate(self, options: dict[str, Any]) -> None:
        traffic = simulation.Traffic(
            requests_per_minute=options["requests_per_minute"],
            new_error_rate=options["new_error_rate"],
            old_error_rate=options["old_error_rate"],
            new_latency_ms=options["new_latency_ms"],
            old_latency_ms=options["old_latency_ms"],
            satisfaction=options["satisfaction"],
        )
        events_logger = logging.getLogger("telemetry.events")
        level = events_logger.level
        events_logger.setLevel(logging.WARNING)  # a log line per synthetic event is noise here
        try:
            run = simulation.simulate(
                traffic=traffic,
                minutes=options["minutes"],
                minutes_per_day=options["minutes_per_day"],
                seed=options["seed"],
                on_tick=lambda tick: self.stdout.write(simulation.tick_line(tick)),
                min_requests=options["min_requests"],
                window_minutes=options["window_minutes"],
            )
            self.stdout.write(simulation.summary_line(run))
            if not options["keep"]:
                simulation.cleanup(run)
        finally:
            events_logger.setLevel(level)
