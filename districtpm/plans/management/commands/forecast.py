"""`districtpm forecast backtest`: how well the current-year forecast did on past years."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.plans import backtest


class Command(BaseCommand):
    help = "Forecast tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        bt = sub.add_parser("backtest", help="Re-run forecasts on held-back past years.")
        bt.add_argument("--window", choices=["fall", "winter", "spring"], default="fall")

    def handle(self, *args: Any, verb: str, window: str, **options: Any) -> None:
        results = backtest.run(window)
        if not results:
            raise CommandError(
                "No past year has both earlier years to learn from and results to compare with."
            )
        for r in results:
            self.stdout.write(
                f"{r.metric} {r.school_year} from the {r.window} window: n={r.n} "
                f"mae={r.mae:.4f} coverage80={r.covered / r.n:.2f}"
            )
        n = sum(r.n for r in results)
        mae = sum(r.mae * r.n for r in results) / n
        coverage = sum(r.covered for r in results) / n
        self.stdout.write(f"mae={mae:.4f} coverage80={coverage:.2f} n={n}")
