"""`districtpm forecast backtest`: how well the forecasts did on past years already known."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districtpm.plans import backtest


class Command(BaseCommand):
    help = "Forecast tools."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        bt = sub.add_parser(
            "backtest",
            help="Re-run the forecasts on held-back past years: this year's from an interim "
            "window, and one to three years ahead from the trend, against 'no change'.",
        )
        bt.add_argument("--window", choices=["fall", "winter", "spring"], default="fall")
        bt.add_argument("--horizons", type=int, default=3, help="Years ahead to test (1–5).")

    def handle(self, *args: Any, verb: str, window: str, horizons: int, **options: Any) -> None:
        if not 1 <= horizons <= 5:
            raise CommandError("--horizons must be between 1 and 5.")
        current = backtest.run(window)
        ahead = backtest.horizons(horizons)
        if not current and not ahead:
            raise CommandError(
                "No past year has both earlier years to learn from and results to compare with."
            )
        self._this_year(current)
        self._years_ahead(ahead, horizons)

    def _this_year(self, results: list[backtest.BacktestResult]) -> None:
        for r in results:
            self.stdout.write(
                f"{r.metric} {r.school_year} from the {r.window} window: n={r.n} "
                f"mae={r.mae:.4f} coverage80={r.covered / r.n:.2f}"
            )
        if results:
            n = sum(r.n for r in results)
            mae = sum(r.mae * r.n for r in results) / n
            coverage = sum(r.covered for r in results) / n
            self.stdout.write(f"this year: mae={mae:.4f} coverage80={coverage:.2f} n={n}")

    def _years_ahead(self, results: list[backtest.HorizonResult], horizons: int) -> None:
        for r in results:
            skill = 1 - r.score / r.naive_score if r.naive_score else float("nan")
            self.stdout.write(
                f"{r.metric} h{r.horizon}: n={r.n} coverage80={r.covered / r.n:.2f} "
                f"skill_vs_naive={skill:.2f}"
            )
        parts = []
        for h in range(1, horizons + 1):
            at = [r for r in results if r.horizon == h]
            n = sum(r.n for r in at)
            parts.append(
                f"h{h}_coverage80={sum(r.covered for r in at) / n:.3f}"
                if n
                else f"h{h}_coverage80=n/a"
            )
        score = sum(r.score for r in results)
        naive = sum(r.naive_score for r in results)
        skill = f"{1 - score / naive:.3f}" if naive else "n/a"
        n = sum(r.n for r in results)
        self.stdout.write(" ".join(parts) + f" skill_vs_naive={skill} n={n}")
