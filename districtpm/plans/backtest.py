"""Back-testing the current-year forecast on past years that are already known."""

from __future__ import annotations

from dataclasses import dataclass

from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import SchoolYear
from districtpm.plans import forecast


@dataclass
class BacktestResult:
    metric: str
    school_year: str
    window: str
    n: int
    mae: float
    covered: int


def completed_years() -> list[str]:
    """School years with year-end results in the data, oldest first."""
    names = list(SchoolYear.objects.order_by("start_date").values_list("name", flat=True))
    annual = Metric.objects.filter(period="school_year").values("id")
    # every filter below is a column of the (metric, level, entity_code, period) index
    years = set(
        MetricValue.objects.filter(
            metric_id__in=annual, level="district", entity_code="district", period__in=names
        )
        .values_list("period", flat=True)
        .distinct()
    )
    return [name for name in names if name in years]


def run(window: str = "fall") -> list[BacktestResult]:
    """For every year with earlier years to learn from, predict each school's year-end result
    from that year's interim window, as the product would have in that November, and compare
    with what happened."""
    results = []
    metrics = [
        m
        for m in Metric.objects.filter(active=True, period="school_year")
        if (m.definition or {}).get("forecast_from")
    ]
    for metric in metrics:
        actual_years = sorted({p for (_, p) in forecast._values(metric.id, "school")})
        for i, year in enumerate(actual_years):
            earlier = actual_years[:i]
            if not earlier:
                continue
            relation = forecast.learn(metric, window, earlier)
            if relation is None:
                continue
            source = metric.definition["forecast_from"]
            interim = forecast._values(source, "school", period=f"{year} {window}")
            actual = forecast._values(metric.id, "school", period=year)
            errors, covered = [], 0
            for (school, _), x in interim.items():
                y = actual.get((school, year))
                if y is None:
                    continue
                predicted = relation.slope * x + relation.intercept
                spread = forecast.Z80 * relation.sigma
                errors.append(abs(predicted - y))
                covered += predicted - spread <= y <= predicted + spread
            if errors:
                results.append(
                    BacktestResult(
                        metric.id, year, window, len(errors), sum(errors) / len(errors), covered
                    )
                )
    return results
