"""Forecasts: will a goal be met?

This year: the year-end result is predicted from the interim window results seen so far, using
the relation between that window and the year-end result learned across schools in earlier
years (least squares), with an 80% interval from the spread of that relation. The relations are
learned when metric values are recomputed (`store_relations`) and read from the database by the
pages (`relation`), not refitted on every request.
Later years: the trend model of plans/trend.py — damped, pooled across schools, on a bounded
scale, its interval and chance set from the errors it made at that horizon on known years.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace
from functools import lru_cache
from statistics import NormalDist

import numpy as np
from django.db import transaction

from districtpm.metrics.models import Metric, MetricValue
from districtpm.org.models import SchoolYear
from districtpm.plans import trend
from districtpm.plans.models import ForecastRelation

log = logging.getLogger(__name__)

Z80 = NormalDist().inv_cdf(0.9)  # a central 80% interval is ±1.2816 σ


@dataclass(frozen=True)
class Forecast:
    school_year: str
    value: float
    low: float
    high: float
    probability: float | None  # of meeting the target, when there is one
    basis: str


def _start(year: str) -> int:
    return int(year[:4])


def _values(metric_id: str, level: str, **filters) -> dict[tuple[str, str], float]:
    rows = MetricValue.objects.filter(
        metric_id=metric_id, level=level, group_dim="all", suppressed=False, grade="", **filters
    ).values_list("entity_code", "period", "value")
    return {(e, p): v for e, p, v in rows if v is not None}


@dataclass(frozen=True)
class Relation:
    slope: float
    intercept: float
    sigma: float
    n: int


def learn(metric: Metric, window: str, years: list[str]) -> Relation | None:
    """Year-end value against the given interim window, across schools, in these years."""
    source = (metric.definition or {}).get("forecast_from")
    if not source:
        return None
    end = _values(metric.id, "school", school_year__in=years)
    interim = _values(source, "school", school_year__in=years)
    xs, ys = [], []
    for (school, year), y in end.items():
        x = interim.get((school, f"{year} {window}"))
        if x is not None:
            xs.append(x)
            ys.append(y)
    if len(xs) < 5:
        return None
    slope, intercept = np.polyfit(xs, ys, 1)
    residuals = np.array(ys) - (slope * np.array(xs) + intercept)
    # the spread of a new point: residual variance with two fitted parameters
    sigma = math.sqrt(float((residuals**2).sum()) / max(1, len(xs) - 2))
    return Relation(float(slope), float(intercept), sigma, len(xs))


# The interim windows a forecast of this year reads, latest first.
WINDOWS = ("spring", "winter", "fall")


def learning_years() -> list[str]:
    """The school years this year's forecast learns from: every year with year-end results
    before the current one (what the scorecards and goal pages pass as `past_years`)."""
    from districtpm.plans.backtest import completed_years

    current = SchoolYear.objects.current()
    return [y for y in completed_years() if current is None or y < current.name]


def _stored(metric: Metric, window: str, years: list[str], found: Relation | None):
    """A ForecastRelation row holding what learn() found (no coefficients: no relation)."""
    return ForecastRelation(
        metric_id=metric.id,
        window=window,
        years=",".join(years),
        slope=found.slope if found else None,
        intercept=found.intercept if found else None,
        sigma=found.sigma if found else None,
        n=found.n if found else 0,
    )


def store_relations(years: list[str] | None = None) -> int:
    """Learn every forecast relation the pages will ask for (each metric with a predictor, each
    window, from `years`: by default the current learning years) and replace the stored ones.
    Run when metric values are recomputed; returns the number of relations stored."""
    years = learning_years() if years is None else years
    metrics = [
        m for m in Metric.objects.order_by("id") if (m.definition or {}).get("forecast_from")
    ]
    rows = []
    for metric in metrics:
        for window in WINDOWS:
            try:
                rows.append(_stored(metric, window, years, learn(metric, window, years)))
            except (ValueError, np.linalg.LinAlgError):
                # Never let a degenerate fit stop a recompute: left unstored, the page that
                # needs it learns it itself (and shows its error, as it did before).
                log.exception("Could not learn the %s relation of %s", window, metric.id)
    with transaction.atomic():
        ForecastRelation.objects.all().delete()
        ForecastRelation.objects.bulk_create(rows)
    return len(rows)


def relation(metric: Metric, window: str, years: list[str]) -> Relation | None:
    """The relation learned for this metric, window and years: the stored one, or, when none
    is stored (the school year turned since the last recompute, say), learned now and stored
    for the next request and the other server processes."""
    row = (
        ForecastRelation.objects.filter(metric_id=metric.id, window=window, years=",".join(years))
        .values_list("slope", "intercept", "sigma", "n")
        .first()
    )
    if row is None:
        found = learn(metric, window, years)
        # Another process may store the same relation at the same moment: either row will do.
        ForecastRelation.objects.bulk_create(
            [_stored(metric, window, years, found)], ignore_conflicts=True
        )
        return found
    slope, intercept, sigma, n = row
    return Relation(slope, intercept, sigma, n) if n else None


def probability(value: float, sigma: float, target: float, direction: str) -> float:
    if sigma <= 0:
        return 1.0 if (value >= target) == (direction == "higher") else 0.0
    p_above = 1 - NormalDist(value, sigma).cdf(target)
    return p_above if direction == "higher" else 1 - p_above


def current_year(
    metric: Metric,
    level: str,
    entity: str,
    school_year: str,
    past_years: list[str],
    target: float | None,
) -> Forecast | None:
    """This year's result from the latest interim window seen for this entity."""
    source = (metric.definition or {}).get("forecast_from")
    if not source:
        return None
    seen = _values(source, level, school_year=school_year, entity_code=entity)
    windows = [p.split(" ", 1)[1] for (e, p) in seen if e == entity]
    for window in WINDOWS:
        if window in windows:
            fit = relation(metric, window, past_years)
            if fit is None:
                return None
            x = seen[(entity, f"{school_year} {window}")]
            value = fit.slope * x + fit.intercept
            spread = Z80 * fit.sigma
            p = (
                probability(value, fit.sigma, target, metric.direction)
                if target is not None
                else None
            )
            return Forecast(
                school_year,
                value,
                value - spread,
                value + spread,
                p,
                f"{window} interim ({fit.n} school-years learned)",
            )
    return None


def years_ahead(
    metric: Metric, level: str, entity: str, goal_year: str, target: float | None
) -> Forecast | None:
    """The goal year's result from the trend model (plans/trend.py): damped, pooled across the
    level's entities, on a bounded scale, its interval and chance from the errors the model made
    at that horizon on years already known. None until the entity has three years of results."""
    bounded, below = metric.unit == "percent", BELOW.get(level)
    # Both models are read on every call, whatever is then shown, so that a page's queries do
    # not depend on how much history the district has (each is cached per compute run).
    model = _trend_model(metric.id, bounded, level, *_fingerprint(metric, level))
    lower = _trend_model(metric.id, bounded, below, *_fingerprint(metric, below)) if below else None
    if model is None or entity not in model.last_year:
        return None
    origin = model.last_year[entity]
    horizon = _start(goal_year) - origin
    if horizon < 1:
        return None
    points = trend.forecast_points(
        model.series, origin, [horizon], model.scale, model.parents, model.phi
    )
    point = next((p for p in points if p.entity == entity), None)
    errors = trend.error_quantiles(model.errors, horizon, model.min_errors)
    borrowed = ""
    if lower is not None and (errors is None or len(model.series) < FEW_SERIES):
        # one district (or a few networks) gives too few errors to set an interval with: the
        # level below's, noisier, set a wider and safer one
        errors = trend.error_quantiles(lower.errors, horizon, lower.min_errors) or errors
        borrowed = f" of {below}s"
    if point is None or errors is None:
        return None
    shown = trend.interval(point.z, errors, model.scale)
    chance = (
        trend.chance(point.z, errors, target, metric.direction, model.scale)
        if target is not None
        else None
    )
    basis = (
        f"damped trend over {len(model.series[entity])} years, "
        f"interval from {len(errors)} past {horizon}-year errors{borrowed}"
    )
    return Forecast(goal_year, shown.value, shown.low, shown.high, chance, basis)


BELOW = {"district": "network", "network": "school"}
FEW_SERIES = 10


@dataclass(frozen=True)
class _TrendModel:
    series: trend.Series
    scale: trend.Scale
    parents: dict[str, str]
    phi: float
    last_year: dict[str, int]
    errors: trend.Errors
    min_errors: int


def _fingerprint(metric: Metric, level: str) -> tuple[int, int]:
    """What the cached model depends on: the latest compute run and the level's value count."""
    from districtpm.metrics.models import ComputeRun

    run = ComputeRun.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    count = MetricValue.objects.filter(metric=metric, level=level).count()
    return run, count


@lru_cache(maxsize=256)
def _trend_model(
    metric_id: str, bounded: bool, level: str, run: int, count: int
) -> _TrendModel | None:
    """Everything a years-ahead forecast of this metric at this level needs, worked out once
    per compute run (the run and the value count key the cache): the series, the damping and
    the errors measured so far."""
    from districtpm.plans.backtest import annual_series, completed_years, school_parents
    from districtpm.plans.progress import completed_periods

    ended = set(completed_periods())
    years = [y for y in completed_years() if y in ended]
    series = annual_series(metric_id, level, years)
    if not series:
        return None
    parents = school_parents() if level == "school" else {}
    scale = trend.Scale(bounded)
    origin = max(y for by_year in series.values() for y in by_year)
    phi = trend.choose_damping(series, origin, scale, parents)
    errors = trend.measured_errors(series, origin, range(1, 8), scale, parents)
    # a district is one series: its intervals rest on its own few errors, all origins
    min_errors = trend.MIN_ERRORS if len(series) >= FEW_SERIES else 3
    return _TrendModel(
        series,
        scale,
        parents,
        phi,
        {e: max(by_year) for e, by_year in series.items()},
        errors,
        min_errors,
    )


def warm_trend_models() -> int:
    """Work out now, in this process, the trend model of every goal's metric at every level
    (the expensive part of a scorecard's first request). The server's master calls it before
    forking its workers: they inherit the models instead of each working them out again on
    its first scorecard. Returns the number of models."""
    from districtpm.plans.models import Goal

    count = 0
    for metric in Metric.objects.filter(id__in=Goal.objects.values("metric_id")):
        for level in ("district", "network", "school"):
            _trend_model(metric.id, metric.unit == "percent", level, *_fingerprint(metric, level))
            count += 1
    return count


def for_goal(
    metric: Metric,
    level: str,
    entity: str,
    school_year: str,
    past_years: list[str],
    history: dict[str, float | None],
    goal_year: str,
    target_now: float | None,
    target_goal: float | None,
) -> list[Forecast]:
    """This year's forecast (from the interim windows) and the goal year's (from the trend),
    where the data allow them."""
    now = current_year(metric, level, entity, school_year, past_years, target_now)
    later = years_ahead(metric, level, entity, goal_year, target_goal)
    return [_bounded(metric, f) for f in (now, later) if f is not None]


def _bounded(metric: Metric, f: Forecast) -> Forecast:
    """A rate cannot leave 0 to 100%: clip the prediction and its interval."""
    if metric.unit != "percent":
        return f

    def clip(v: float) -> float:
        return min(1.0, max(0.0, v))

    return replace(f, value=clip(f.value), low=clip(f.low), high=clip(f.high))
