"""`districtpm demo`: build the demo district (or reuse it) and serve the product.

districtpm demo [--scale small|medium|large] [--seed N] [--rebuild] [--no-serve]
districtpm demo accounts [--json]
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from gunicorn.app.base import BaseApplication

from districtpm.demo.cycle_data import build_demo_cycles
from districtpm.demo.evaluation_consequences import build_demo_consequences
from districtpm.demo.evaluation_data import build_demo_evaluations, build_demo_year
from districtpm.demo.generator import SCALES, build_demo, demo_accounts
from districtpm.demo.improvement_data import (
    build_demo_improvement,
    build_demo_plans,
    build_demo_workshops,
)
from districtpm.demo.models import DemoBuild
from districtpm.demo.plan_data import build_demo_plan
from districtpm.demo.processmap_data import build_demo_maps
from districtpm.demo.rubric_data import build_demo_rubrics
from districtpm.demo.student_data import build_student_data
from districtpm.metrics.compute import recompute
from districtpm.org.models import District
from districtpm.plans.progress import after_recompute


class Command(BaseCommand):
    help = "Build the demo district and serve District PM on 127.0.0.1."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "action",
            nargs="?",
            choices=["serve", "build", "accounts"],
            default="serve",
            help="serve (default: build if needed, then serve), build, accounts",
        )
        parser.add_argument("--scale", choices=sorted(SCALES), default="medium")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--rebuild",
            action="store_true",
            help="Throw away the demo district in the database and build anew.",
        )
        parser.add_argument("--json", action="store_true", help="With accounts: print JSON.")
        parser.add_argument("--no-serve", action="store_true", help="Build, but do not serve.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "accounts":
            self._print_accounts(as_json=options["json"])
            return
        call_command("migrate", interactive=False, verbosity=0)
        self._ensure_built(options["scale"], options["seed"], options["rebuild"])
        if action == "build" or options["no_serve"]:
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        self._print_accounts(as_json=False)
        self._serve()

    def _ensure_built(self, scale: str, seed: int, rebuild: bool) -> None:
        existing = DemoBuild.objects.order_by("-pk").first()
        if existing and existing.scale == scale and existing.seed == seed and not rebuild:
            self.stdout.write(f"Reusing the {existing} built {existing.built_at:%Y-%m-%d %H:%M}.")
            self._add_missing_parts(seed)
            return
        if District.objects.exists() and not rebuild:
            raise CommandError(
                "This database already holds a district"
                + (f" ({existing})" if existing else "")
                + f". Run again with --rebuild to replace it with a {scale} demo district."
            )
        if rebuild:
            self.stdout.write("Removing the existing data...")
            call_command("flush", interactive=False, verbosity=0)
        started = time.monotonic()
        self.stdout.write(f"Building the {scale} demo district (seed {seed}):")
        say = lambda m: self.stdout.write(f"  · {m}")  # noqa: E731
        result = build_demo(scale, seed, progress=say)
        counts = build_student_data(scale, seed, progress=say)
        say(
            f"{counts['student_years']:,} student-years, {counts['assessments']:,} test results, "
            f"{counts['attendance']:,} attendance rows in the analytics store"
        )
        say("computing metrics")
        run = recompute()
        say(f"{run.rows:,} metric values ({run.seconds:.0f} s)")
        plan = build_demo_plan()
        after_recompute()
        say(f"strategic plan: {plan.priorities.count()} priorities, {plan.goals.count()} goals")
        cycles = build_demo_cycles(plan, seed)
        say(
            f"Performance Dialogues: {cycles['meetings']} meetings, {cycles['teams']} action "
            f"teams, {cycles['updates']} status updates; {cycles['sessions']} PM sessions"
        )
        rubrics = build_demo_rubrics(plan, seed)
        say(
            f"self-assessments: {rubrics['assessments']} over two years "
            f"({rubrics['schools']} schools and the district), {rubrics['links']} links to work"
        )
        steps = build_demo_improvement(seed)
        say(
            f"designations' steps: {steps['rules']} steps set, {steps['done']} done; "
            f"{steps['problems']} problem statements"
        )
        plans = build_demo_plans(seed)
        say(
            f"school plans: {plans['plans']} with {plans['checkpoints']} checkpoints; "
            f"{plans['published']} Blueprints published"
        )
        sessions = build_demo_workshops(seed)
        say(
            f"workshops: {sessions['sessions']} sessions; this spring {sessions['seated']} "
            f"schools seated, {sessions['waiting']} waiting"
        )
        evaluations = build_demo_evaluations(seed)
        say(
            f"evaluations: {evaluations['evaluations']} over three years, "
            f"{evaluations['scores']} component scores"
        )
        so_far = build_demo_year(seed)
        say(
            f"this year so far: {so_far['observations']} observations with {so_far['notes']} "
            f"notes, {so_far['reflections']} reflections, {so_far['followups']} follow-up emails"
        )
        after = build_demo_consequences(seed)
        say(
            f"after the ratings: {after['support_plans']} plan of support, "
            f"{after['nonrenewals']} non-renewal and {after['appeals']} appeal in progress"
        )
        drawn = build_demo_maps(seed)
        say(
            f"process maps: {drawn['maps']} with {drawn['versions']} versions; absences "
            f"follow-up from {drawn['handoffs_before']} hand-offs to {drawn['handoffs_after']} "
            f"and {drawn['days_before']} days to {drawn['days_after']}"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {result.schools} schools and {result.staff} staff in "
                f"{time.monotonic() - started:.1f} s."
            )
        )

    def _add_missing_parts(self, seed: int) -> None:
        """A demo district built by an earlier version gets the parts added since."""
        from districtpm.evaluation.models import Evaluation
        from districtpm.improvement.models import SchoolPlan, StepRule, Workshop
        from districtpm.plans.models import Plan
        from districtpm.rubrics.models import Framework

        plan = Plan.objects.order_by("pk").first()
        if plan is not None and not Framework.objects.exists():
            rubrics = build_demo_rubrics(plan, seed)
            self.stdout.write(f"Added two years of self-assessments ({rubrics['assessments']}).")
        if not StepRule.objects.exists():
            steps = build_demo_improvement(seed)
            self.stdout.write(f"Added the designations' steps ({steps['rules']}).")
        if not SchoolPlan.objects.exists():
            plans = build_demo_plans(seed)
            self.stdout.write(f"Added the designated schools' plans ({plans['plans']}).")
        if not Workshop.objects.exists():
            sessions = build_demo_workshops(seed)
            self.stdout.write(f"Added the workshops ({sessions['sessions']} sessions).")
        if not Evaluation.objects.exists():
            evaluations = build_demo_evaluations(seed)
            self.stdout.write(f"Added the evaluations ({evaluations['evaluations']}).")
        from districtpm.evaluation.models import Window

        if Evaluation.objects.exists() and not Window.objects.exists():
            so_far = build_demo_year(seed)
            self.stdout.write(f"Added this year's observations ({so_far['observations']}).")
            build_demo_consequences(seed)
            self.stdout.write("Added a plan of support, a non-renewal and an appeal.")
        from districtpm.processmaps.models import ProcessMap

        if not ProcessMap.objects.exists():
            drawn = build_demo_maps(seed)
            self.stdout.write(f"Added the process maps ({drawn['maps']}).")

    def _print_accounts(self, *, as_json: bool) -> None:
        accounts = demo_accounts()
        if as_json:
            sys.stdout.write(json.dumps(accounts, indent=2) + "\n")
            return
        if not accounts:
            self.stdout.write("No demo district yet: run `districtpm demo build`.")
            return
        width = max(len(a["username"]) for a in accounts)
        self.stdout.write(f"\nDemo logins (password for every account: {accounts[0]['password']}):")
        for a in accounts:
            self.stdout.write(f"  {a['username']:<{width}}  {a['role']:<20} {a['scope']}")

    def _serve(self) -> None:
        """Recover interrupted imports (once, here, before any worker exists), then serve with
        gunicorn: several worker processes, so pages use every core (one process is held to one
        core by the GIL)."""
        from districtpm.metrics.tasks import recover_at_startup

        for task in recover_at_startup():
            self.stdout.write(f"Import of {task.file_name} was interrupted: {task.summary}")
        self._prepare_forecasts()

        port = int(os.environ.get("PORT", "8000"))
        server = ProductServer(port)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDistrict PM is running at http://127.0.0.1:{port}/"
                " — sign in with a login above."
                f"\n{server.cfg.workers} worker processes of {server.cfg.threads} threads."
                "\nPress Ctrl+C to stop."
            )
        )
        self.stdout.flush()
        server.run()

    def _prepare_forecasts(self) -> None:
        """The forecasts' trend models, worked out once here so that every worker inherits them
        (each would otherwise work them out on its first scorecard); never stops the server."""
        from districtpm.plans.forecast import warm_trend_models

        self.stdout.write("Preparing the forecasts…")
        self.stdout.flush()
        try:
            warm_trend_models()
        except Exception:
            logging.getLogger(__name__).exception("Could not prepare the forecasts")


def worker_count() -> int:
    """DISTRICTPM_WORKERS, or two worker processes per core: with two, one process's request
    waiting on the database or the network leaves the core to another."""
    configured = os.environ.get("DISTRICTPM_WORKERS", "").strip()
    return int(configured) if configured else 2 * (os.cpu_count() or 1)


def thread_count() -> int:
    """DISTRICTPM_THREADS, or 4 threads per worker process: a long request (an export, a pack)
    does not hold up the others, and slow clients do not tie up a process."""
    configured = os.environ.get("DISTRICTPM_THREADS", "").strip()
    return int(configured) if configured else 4


def _before_fork(arbiter: Any, worker: Any) -> None:
    """gunicorn's pre_fork hook: no database connection may be shared by two processes, so the
    master closes its own (from migrate, recovery…) before each worker is forked."""
    from django.db import connections

    connections.close_all()


class ProductServer(BaseApplication):
    """The product under gunicorn, in this process: it becomes gunicorn's master, and its
    workers are forked from it with Django already set up (the app is loaded once, here).

    gthread workers: each a process with a few threads. Static files are served by WhiteNoise
    inside the app, as before; import tasks run in a thread of the worker that started them and
    are tracked in the database, so every worker sees their progress."""

    def __init__(self, port: int, workers: int | None = None, threads: int | None = None):
        self.options = {
            "bind": [f"127.0.0.1:{port}"],
            "workers": workers or worker_count(),
            "worker_class": "gthread",
            "threads": threads or thread_count(),
            "preload_app": True,
            "pre_fork": _before_fork,
            # The console shows the login message; gunicorn says only what goes wrong.
            "loglevel": "warning",
            "accesslog": None,
            # gunicorn's control socket sits at one path per user: two servers would clash.
            "control_socket_disable": True,
        }
        super().__init__()

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Any:
        from districtpm.wsgi import application

        return application
