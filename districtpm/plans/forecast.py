"""Forecasts: will a goal be met?

This year: the year-end result is predicted from the interim window results seen so far, using
the relation between that window and the year-end result learned across schools in earlier
years (least squares), with an 80% interval from the spread of that relation.
Later years: a straight-line trend through the results so far and this year's prediction, with
an interval that widens with the horizon.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from statistics import NormalDist

import numpy as np

from districtpm.metrics.models import Metric, MetricValue

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
    for window in ("spring", "winter", "fall"):
        if window in windows:
            relation = learn(metric, window, past_years)
            if relation is None:
                return None
            x = seen[(entity, f"{school_year} {window}")]
            value = relation.slope * x + relation.intercept
            spread = Z80 * relation.sigma
            p = (
                probability(value, relation.sigma, target, metric.direction)
                if target is not None
                else None
            )
            return Forecast(
                school_year,
                value,
                value - spread,
                value + spread,
                p,
                f"{window} interim ({relation.n} school-years learned)",
            )
    return None


def later_year(
    metric: Metric,
    history: dict[str, float],
    now: Forecast | None,
    goal_year: str,
    target: float | None,
    sigma_per_year: float,
) -> Forecast | None:
    """The goal year's result on the trend through the results so far."""
    points = sorted((_start(y), v) for y, v in history.items() if v is not None)
    if now is not None:
        points.append((_start(now.school_year), now.value))
    if len(points) < 2:
        return None
    xs, ys = zip(*points, strict=True)
    slope, intercept = np.polyfit(xs, ys, 1)
    year = _start(goal_year)
    value = float(slope * year + intercept)
    horizon = max(1, year - max(xs))
    sigma = sigma_per_year * math.sqrt(horizon + 1)
    spread = Z80 * sigma
    p = probability(value, sigma, target, metric.direction) if target is not None else None
    return Forecast(
        goal_year, value, value - spread, value + spread, p, f"trend over {len(points)} years"
    )


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
    """This year's and the goal year's forecast for one entity, where the data allow them."""
    now = current_year(metric, level, entity, school_year, past_years, target_now)
    sigma = (now.high - now.value) / Z80 if now else 0.02
    clean = {y: v for y, v in history.items() if v is not None}
    later = later_year(metric, clean, now, goal_year, target_goal, sigma)
    return [_bounded(metric, f) for f in (now, later) if f is not None]


def _bounded(metric: Metric, f: Forecast) -> Forecast:
    """A rate cannot leave 0 to 100%: clip the prediction and its interval."""
    if metric.unit != "percent":
        return f

    def clip(v: float) -> float:
        return min(1.0, max(0.0, v))

    return replace(f, value=clip(f.value), low=clip(f.low), high=clip(f.high))
