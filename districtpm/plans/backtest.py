"""Back-testing the forecasts on past years that are already known: this year's from the interim
windows (`run`), and years ahead from the trend model (`horizons`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import SchoolYear
from districtpm.plans import forecast, trend


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


# ------------------------------------------------------------------ years ahead


@dataclass
class HorizonResult:
    """How the years-ahead forecast did at one horizon for one metric, against "no change"."""

    metric: str
    horizon: int
    n: int
    covered: int  # actual results inside the 80% interval
    score: float  # summed interval scores of the forecast
    naive_score: float  # the same for the "no change" forecast, its interval set the same way


def annual_series(metric_id: str, level: str, years: list[str]) -> trend.Series:
    """Each entity's all-students result for each of these years (first calendar year)."""
    rows = MetricValue.objects.filter(
        metric_id=metric_id,
        level=level,
        grade="",
        group_dim="all",
        suppressed=False,
        period__in=years,
    ).values_list("entity_code", "period", "value")
    series: trend.Series = {}
    for entity, period, value in rows:
        if value is not None and math.isfinite(value):
            series.setdefault(entity, {})[int(period[:4])] = value
    return series


def school_parents() -> dict[str, str]:
    from districtpm.org.models import School

    return dict(School.objects.values_list("code", "network__code"))


def horizons(max_horizon: int = 3) -> list[HorizonResult]:
    """Replay the years-ahead forecast at every origin among the completed years: each school's
    result h years on, its interval set only from errors measured on years known at the origin,
    scored against what happened, beside the "no change" forecast treated the same way."""
    from districtpm.plans.progress import completed_periods

    ended = set(completed_periods())
    years = [y for y in completed_years() if y in ended]  # never this year's partial results
    parents = school_parents()
    steps = list(range(1, max_horizon + 1))
    results = []
    for metric in Metric.objects.filter(active=True, period="school_year").order_by("id"):
        if metric.is_gap:
            continue
        scale = trend.Scale(bounded=metric.unit == "percent")
        series = annual_series(metric.id, "school", years)
        last = max((y for by_year in series.values() for y in by_year), default=None)
        if last is None:
            continue
        tally = {h: HorizonResult(metric.id, h, 0, 0, 0.0, 0.0) for h in steps}
        for origin in sorted({y for by_year in series.values() for y in by_year}):
            _score_origin(series, origin, last, steps, scale, parents, tally)
        results += [r for r in tally.values() if r.n]
    return results


def _score_origin(series, origin, last, steps, scale, parents, tally) -> None:
    reachable = [h for h in steps if origin + h <= last]
    if not reachable:
        return
    errors = trend.measured_errors(series, origin, reachable, scale, parents)
    naive_errors = trend.measured_errors(series, origin, reachable, scale, parents, naive=True)
    naive = {(p.entity, p.horizon): p for p in trend.naive_points(series, origin, reachable, scale)}
    for point in trend.forecast_points(series, origin, reachable, scale, parents):
        actual = series[point.entity].get(origin + point.horizon)
        own = trend.error_quantiles(errors, point.horizon)
        theirs = trend.error_quantiles(naive_errors, point.horizon)
        if actual is None or own is None or theirs is None:
            continue
        mine = trend.interval(point.z, own, scale)
        flat = trend.no_change_interval(naive[(point.entity, point.horizon)].z, theirs, scale)
        r = tally[point.horizon]
        r.n += 1
        r.covered += mine.low <= actual <= mine.high
        r.score += trend.interval_score(mine.low, mine.high, actual)
        r.naive_score += trend.interval_score(flat.low, flat.high, actual)
