"""`districtpm plan`: the strategic plan from the command line.

districtpm plan import FILE.xlsx [--as USERNAME]
districtpm plan export FILE.xlsx
districtpm plan bench [--requests N]

`bench` times the district scorecard and a school scorecard over repeated requests through the
whole Django stack (middleware, access rules, queries, templates), against the plan's home page
measured in the same run as a baseline, and prints the median and 95th percentile in
milliseconds. Run it on the large demo district: `make bench-scorecards` builds one and runs it.
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, reset_queries
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from districtpm.core import intake
from districtpm.core.scoping import SYSTEM
from districtpm.plans import spreadsheet

# The large demo district has 180 schools; the scorecard targets are set for that size.
LARGE_DISTRICT = 180


class Command(BaseCommand):
    help = "Import, export and benchmark the strategic plan."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="Create a plan from an Excel workbook.")
        imp.add_argument("file", type=Path)
        imp.add_argument(
            "--as", dest="username", default="", help="Record the import as this user."
        )
        exp = sub.add_parser("export", help="Write the current plan to an Excel workbook.")
        exp.add_argument("file", type=Path)
        bench = sub.add_parser("bench", help="Time the scorecards (use the large demo district).")
        bench.add_argument("--requests", type=int, default=40)

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        getattr(self, f"_{verb}")(**options)

    def _import(self, file: Path, username: str, **options: Any) -> None:
        user = get_user_model().objects.filter(username=username).first() if username else None
        if username and user is None:
            raise CommandError(f"There is no user {username!r}.")
        try:
            # the size limit before the whole file is read into memory
            intake.check_size(file.stat().st_size, name=file.name)
            data = file.read_bytes()
        except intake.InputRefused as exc:
            raise CommandError(f"{exc} Nothing was imported.") from None
        except OSError as exc:
            raise CommandError(f"{file.name} cannot be read ({exc.strerror}).") from None
        try:
            plan = spreadsheet.import_plan(data, acting_user=user or SYSTEM, name=file.name)
        except spreadsheet.PlanImportError as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(f"Nothing was imported: {len(exc.problems)} problem(s).") from exc
        self.stdout.write(f"Imported {plan.name}: {plan.goals.count()} goals.")

    def _export(self, file: Path, **options: Any) -> None:
        from districtpm.plans.models import Plan

        plan = Plan.objects.first()
        if plan is None:
            raise CommandError("There is no plan to export.")
        try:
            file.write_bytes(spreadsheet.export_plan(plan))
        except OSError as exc:
            raise CommandError(f"Cannot write {file}: {exc.strerror or exc}.") from None
        self.stdout.write(f"Wrote {plan.name} to {file}.")

    def _bench(self, requests: int, **options: Any) -> None:
        from districtpm.org.models import School
        from districtpm.plans.models import Plan

        if not Plan.objects.exists():
            raise CommandError("There is no plan: build a demo district first.")
        schools = School.objects.count()
        if schools < LARGE_DISTRICT:
            self.stderr.write(
                f"Note: this district has {schools} schools; the target is for a large one "
                f"({LARGE_DISTRICT} or more, as make bench-scorecards builds)."
            )
        user = get_user_model().objects.get(username="pm.office")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        school = School.objects.order_by("code").first()
        pages = {
            "baseline (plan home)": reverse("plans:home"),
            "district scorecard": reverse("plans:district_scorecard"),
            f"school scorecard ({school.code})": reverse(
                "plans:school_scorecard", args=[school.code]
            ),
        }
        self.stdout.write(
            f"{School.objects.count()} schools; {requests} requests per page after one warm-up, "
            "taken in turn."
        )
        times: dict[str, list[float]] = {name: [] for name in pages}
        queries: dict[str, int] = {}
        for name, url in pages.items():  # warm-up, and the query count of each page
            with CaptureQueriesContext(connection) as captured:
                response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{url} answered {response.status_code}.")
            queries[name] = len(captured)
        for _ in range(requests):
            for name, url in pages.items():
                started = time.perf_counter()
                client.get(url)
                times[name].append((time.perf_counter() - started) * 1000)
                reset_queries()
        base = statistics.median(times["baseline (plan home)"])
        summary = {}
        for name, values in times.items():
            median = statistics.median(values)
            p95 = statistics.quantiles(values, n=20)[-1]
            summary[name] = median
            self.stdout.write(
                f"{name:<32} median {median:7.1f} ms  p95 {p95:7.1f} ms  "
                f"{median / base:5.2f}× baseline  {queries[name]} queries"
            )
        district, school_ms = list(summary.values())[1:]
        self.stdout.write(
            f"district_median_ms={district:.1f} school_median_ms={school_ms:.1f} "
            f"baseline_median_ms={base:.1f}"
        )
