"""`districtpm demo`: build the demo district (or reuse it) and serve the product.

districtpm demo [--scale small|medium|large] [--seed N] [--rebuild] [--no-serve]
districtpm demo accounts [--json]
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.demo.cycle_data import build_demo_cycles
from districtpm.demo.generator import SCALES, build_demo, demo_accounts
from districtpm.demo.models import DemoBuild
from districtpm.demo.plan_data import build_demo_plan
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
            f"teams, {cycles['updates']} status updates"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Built {result.schools} schools and {result.staff} staff in "
                f"{time.monotonic() - started:.1f} s."
            )
        )

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
        from waitress import serve

        from districtpm.metrics.tasks import recover_at_startup

        for task in recover_at_startup():
            self.stdout.write(f"Import of {task.file_name} was interrupted: {task.summary}")

        from districtpm.wsgi import application

        port = int(os.environ.get("PORT", "8000"))
        self.stdout.write(
            self.style.SUCCESS(
                f"\nDistrict PM is running at http://127.0.0.1:{port}/"
                " — sign in with a login above."
                "\nPress Ctrl+C to stop."
            )
        )
        self.stdout.flush()
        serve(application, host="127.0.0.1", port=port, threads=8, _quiet=True)
