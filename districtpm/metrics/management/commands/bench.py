"""`districtpm bench`: time the full metric recompute three ways (see districtpm/metrics/bench.py)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from districtpm.metrics import bench


class Command(BaseCommand):
    help = "Benchmark the metric engine against hand-written DuckDB SQL and pandas."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(bench.SCALES), default="large")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--rounds", type=int, default=3, help="interleaved timing rounds (medians reported)"
        )

    def handle(self, *args: Any, scale: str, seed: int, rounds: int, **options: Any) -> None:
        say = lambda line: (self.stdout.write(line), self.stdout.flush())  # noqa: E731
        bench.main(scale, seed, say, rounds=max(1, rounds))
