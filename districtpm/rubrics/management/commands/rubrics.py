"""`districtpm rubrics`: frameworks and the heatmap from the command line.

districtpm rubrics import FILE [--kind district|school] [--name NAME] [--dry-run] [--json]
districtpm rubrics bench [--requests N]

`import` reads a TSV, CSV, text or .xlsx framework (parse.py says how) and saves it as a new
framework; `--dry-run` saves nothing, `--json` prints what was read (domains, indicators,
levels, descriptors) as JSON. Every problem is printed with its line and column, and the
command fails. `bench` times the heatmap page through the whole Django stack and prints its
median, its 95th percentile and its query count, against the rubrics home page in the same run.
"""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from districtpm.core import intake
from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions
from districtpm.rubrics.parse import FrameworkProblems, parse_file


class Command(BaseCommand):
    help = "Import frameworks and time the heatmap."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        imp = sub.add_parser("import", help="Import a framework from a table.")
        imp.add_argument("file", type=Path)
        imp.add_argument("--kind", choices=["district", "school"], default="district")
        imp.add_argument("--name", default="", help="The framework's name (else the file's title).")
        imp.add_argument("--dry-run", action="store_true", help="Read the file; save nothing.")
        imp.add_argument("--json", action="store_true", help="Print what was read as JSON.")
        bench = sub.add_parser("bench", help="Time the heatmap page (use the demo district).")
        bench.add_argument("--requests", type=int, default=30)

    def handle(self, *args: Any, verb: str, **options: Any) -> None:
        getattr(self, f"_{verb}")(**options)

    def _import(
        self, file: Path, kind: str, name: str, dry_run: bool, json: bool, **_: Any
    ) -> None:
        try:
            intake.check_size(file.stat().st_size, name=file.name)
            parsed = parse_file(file.read_bytes(), name=file.name, title=name)
        except FileNotFoundError:
            raise CommandError(f"There is no file {file}.") from None
        except intake.InputRefused as exc:
            raise CommandError(str(exc)) from None
        except FrameworkProblems as exc:
            for problem in exc.problems:
                self.stderr.write(str(problem))
            raise CommandError(str(exc)) from None
        if json:
            self.stdout.write(_json(parsed.as_json()))
        summary = (
            f"{parsed.name}: {len(parsed.domains)} domains, {parsed.indicator_count} indicators, "
            f"levels {', '.join(parsed.levels)}"
        )
        if dry_run:
            if not json:
                self.stdout.write(summary + " (dry run: nothing saved)")
            return
        try:
            version = actions.import_framework(parsed, kind=kind, acting_user=SYSTEM)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        if not json:
            self.stdout.write(f"Saved {version}: {summary}")

    def _bench(self, requests: int, **_: Any) -> None:
        user = get_user_model().objects.filter(username="pm.office").first()
        if user is None:
            raise CommandError("Run it on the demo district (make demo builds one).")
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        from districtpm.org.models import School

        schools = School.objects.filter(active=True).count()

        def timed(url: str) -> tuple[list[float], int]:
            client.get(url)  # warm
            times = []
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            count = len(queries)
            for _ in range(requests):
                start = time.perf_counter()
                client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            return times, count

        heat, heat_queries = timed("/rubrics/heatmap/")
        home, home_queries = timed("/rubrics/")
        p95 = statistics.quantiles(heat, n=20)[-1]
        self.stdout.write(
            f"heatmap ({schools} schools): median {statistics.median(heat):.1f} ms, p95 {p95:.1f} ms, "
            f"{heat_queries} queries\n"
            f"rubrics home (baseline): median {statistics.median(home):.1f} ms, {home_queries} queries\n"
            f"heatmap_ms={statistics.median(heat):.1f} heatmap_p95_ms={p95:.1f} "
            f"heatmap_queries={heat_queries} schools={schools} "
            f"ratio_to_home={statistics.median(heat) / statistics.median(home):.2f}"
        )


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
