"""Forecasts of a metric a few years ahead, worth showing a board.

The model, for one metric at one level (every school, say), on school years that are complete:

- **Bounded scale.** A rate is modelled on the logit scale, so no forecast or interval leaves 0 to
  100% and a change of a few points near 5% counts for more than near 50%.
- **Damped trend.** Each entity's level is its latest result; its trend is the least-squares slope
  of its last few years. The trend is damped: the h-year-ahead change is slope × (φ + φ² + … +
  φʰ), with φ = DAMPING, so a run of good years is not extrapolated for ever.
- **Partial pooling.** A school's slope from four or five noisy points is shrunk toward the mean
  slope of its network (a network's toward the district's), by empirical Bayes: the weight on its
  own slope is τ² / (τ² + s²), τ² the spread of true slopes between entities and s² the
  sampling variance of this entity's slope.
- **Intervals from measured errors.** The 80% interval at horizon h is the forecast plus the 10th
  and 90th percentiles of the errors this same model made at horizon h on years already known
  (every entity, every earlier origin), and the chance of meeting a target is the share of those
  errors that would have met it. A horizon never measured yet borrows the longest measured one's
  errors, widened by √(h / that horizon).

`backtest.horizons()` replays this at every origin, as the product would have shown it then.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

DAMPING = 0.8
RECENT = 8  # the years an entity's own slope is fitted on
MIN_HISTORY = 3  # years of results an entity needs before its years-ahead forecast is shown
MIN_ERRORS = 20  # fewer measured errors at a horizon than this, and it borrows a longer one's
EPSILON = 0.005  # a rate of 0% or 100% is held just inside, where the logit is finite

Series = dict[str, dict[int, float]]  # entity → school year's first calendar year → value


@dataclass(frozen=True)
class Scale:
    """To and from the scale the model works on."""

    bounded: bool

    def to(self, value: float) -> float:
        if not self.bounded:
            return value
        p = min(1 - EPSILON, max(EPSILON, value))
        return math.log(p / (1 - p))

    def back(self, z: float) -> float:
        if not self.bounded:
            return z
        return 1 / (1 + math.exp(-z))


@dataclass(frozen=True)
class Point:
    """One entity's forecast for one horizon, on the model's scale."""

    entity: str
    origin: int  # the last known year
    horizon: int
    z: float


def damped(h: int, phi: float = DAMPING) -> float:
    """φ + φ² + … + φʰ: how many years of trend an h-year forecast carries."""
    return sum(phi**i for i in range(1, h + 1))


def _slope(points: list[tuple[int, float]]) -> tuple[float, float, float] | None:
    """Least-squares slope, Σ(x − x̄)² and the residual variance (None from two points, which
    fit any line exactly), from at least two points."""
    if len(points) < 2:
        return None
    x = np.array([p[0] for p in points], dtype=float)
    y = np.array([p[1] for p in points], dtype=float)
    sxx = float(((x - x.mean()) ** 2).sum())
    slope = float(((x - x.mean()) * (y - y.mean())).sum() / sxx)
    residuals = y - (y.mean() + slope * (x - x.mean()))
    s2 = float((residuals**2).sum()) / (len(points) - 2) if len(points) > 2 else math.nan
    return slope, sxx, s2


def pooled_slopes(
    histories: Mapping[str, list[tuple[int, float]]], parents: Mapping[str, str]
) -> dict[str, float]:
    """Each entity's slope, shrunk toward its parent's mean slope (or everyone's, for an entity
    with no parent or a parent with no other entity), by empirical Bayes."""
    own = {e: _slope(points[-RECENT:]) for e, points in histories.items()}
    fitted = {e: s for e, s in own.items() if s is not None}
    if not fitted:
        return {e: 0.0 for e in histories}
    known = [s2 for _, _, s2 in fitted.values() if not math.isnan(s2)]
    # an entity with two points borrows the others' residual variance (or its own slope's spread)
    s2_typical = float(np.median(known)) if known else None
    slopes = np.array([s for s, _, _ in fitted.values()])
    noise = {
        e: (s2 if not math.isnan(s2) else (s2_typical if s2_typical is not None else math.nan))
        / sxx
        for e, (_, sxx, s2) in fitted.items()
    }
    overall = float(slopes.mean())
    known_noise = [v for v in noise.values() if not math.isnan(v)]
    # the spread of true slopes: the observed spread less the part sampling noise explains
    tau2 = max(float(slopes.var()) - float(np.mean(known_noise)), 0.0) if known_noise else None
    by_parent: dict[str, list[float]] = {}
    for e, (s, _, _) in fitted.items():
        by_parent.setdefault(parents.get(e, ""), []).append(s)
    out = {}
    for e in histories:
        siblings = by_parent.get(parents.get(e, ""), [])
        prior = float(np.mean(siblings)) if len(siblings) >= 2 else overall
        if e not in fitted:
            out[e] = prior
            continue
        if tau2 is None or math.isnan(noise[e]):
            weight = 0.5  # nothing yet to tell signal from noise: halfway
        else:
            weight = tau2 / (tau2 + noise[e]) if tau2 + noise[e] > 0 else 0.0
        out[e] = weight * fitted[e][0] + (1 - weight) * prior
    return out


def forecast_points(
    series: Series,
    origin: int,
    horizons: Iterable[int],
    scale: Scale,
    parents: Mapping[str, str],
    phi: float | None = None,
) -> list[Point]:
    """Every entity's forecast from what was known at the end of `origin`, its trend damped by
    `phi` (by default, the damping that forecast best one year ahead on what was known then)."""
    if phi is None:
        phi = choose_damping(series, origin, scale, parents)
    histories = _histories(series, origin, scale)
    slopes = pooled_slopes(histories, parents)
    return [
        Point(e, origin, h, history[-1][1] + slopes[e] * damped(h, phi))
        for e, history in histories.items()
        if len(history) >= MIN_HISTORY
        for h in horizons
    ]


def _histories(series: Series, origin: int, scale: Scale) -> dict[str, list[tuple[int, float]]]:
    """Each entity's results up to `origin` on the model's scale, for those with one at it."""
    histories = {
        e: [(y, scale.to(v)) for y, v in sorted(by_year.items()) if y <= origin]
        for e, by_year in series.items()
    }
    return {e: h for e, h in histories.items() if h and h[-1][0] == origin}


PHIS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)
CHECKED_HORIZONS = (1,)


def choose_damping(series: Series, origin: int, scale: Scale, parents: Mapping[str, str]) -> float:
    """The damping, of PHIS, whose one-year-ahead forecasts erred least (squared, summed over
    entities and origins) on what was known at the end of `origin`; DAMPING before any such
    forecast can be checked."""
    years = sorted({y for by_year in series.values() for y in by_year if y < origin})
    best, best_loss = DAMPING, math.inf
    for phi in PHIS:
        loss, n = 0.0, 0
        for earlier in years:
            histories = _histories(series, earlier, scale)
            slopes = pooled_slopes(histories, parents)
            for e, history in histories.items():
                if len(history) < MIN_HISTORY:
                    continue
                for h in CHECKED_HORIZONS:
                    actual = series[e].get(earlier + h)
                    if actual is not None and earlier + h <= origin:
                        predicted = history[-1][1] + slopes[e] * damped(h, phi)
                        loss += (scale.to(actual) - predicted) ** 2
                        n += 1
        if n and loss < best_loss:
            best, best_loss = phi, loss
    return best


def naive_points(series: Series, origin: int, horizons: Iterable[int], scale: Scale) -> list[Point]:
    """The "no change" forecast: next years as the last (for the entities the model forecasts)."""
    return [
        Point(e, origin, h, scale.to(by_year[origin]))
        for e, by_year in series.items()
        if origin in by_year and sum(1 for y in by_year if y <= origin) >= MIN_HISTORY
        for h in horizons
    ]


Errors = dict[int, list[tuple[int, float]]]  # horizon → (origin, actual − forecast) pairs


def measured_errors(
    series: Series,
    known_until: int,
    horizons: Iterable[int],
    scale: Scale,
    parents: Mapping[str, str],
    naive: bool = False,
) -> Errors:
    """The errors (actual − forecast, on the model's scale) at each horizon of every forecast
    the model would have made, whose outcome was known by the end of `known_until`."""
    horizons = list(horizons)
    years = sorted({y for by_year in series.values() for y in by_year if y <= known_until})
    errors: Errors = {h: [] for h in horizons}
    for origin in years:
        reachable = [h for h in horizons if origin + h <= known_until]
        if not reachable:
            continue
        points = (
            naive_points(series, origin, reachable, scale)
            if naive
            else forecast_points(series, origin, reachable, scale, parents)
        )
        for p in points:
            actual = series[p.entity].get(origin + p.horizon)
            if actual is not None:
                errors[p.horizon].append((origin, scale.to(actual) - p.z))
    return errors


RECENT_ORIGINS = 2  # an interval is set from the errors of the latest origins only


def error_quantiles(
    errors: Errors, horizon: int, min_errors: int = MIN_ERRORS
) -> list[float] | None:
    """The errors to set an interval with at this horizon: those of the latest RECENT_ORIGINS
    origins measured at it, their shared part redrawn (`_with_shared_part`), when there are
    enough; else the longest measured horizon's, widened by √(h / that horizon). None when no
    horizon is measured yet. Recent errors, because the model's early forecasts (from fewer
    years of history) err in ways its later ones do not."""
    if min_errors < MIN_ERRORS:  # a level of one or a few series: every error it has
        own = [e for _, e in errors.get(horizon, [])]
        if len(own) >= min_errors:
            return sorted(own)
        measured = [h for h, pairs in errors.items() if len(pairs) >= min_errors]
        if not measured:
            return None
        base = max(measured)
        return sorted(e * math.sqrt(horizon / base) for _, e in errors[base])
    donor = _donor(errors)
    own = _with_shared_part(errors.get(horizon, []), horizon, donor)
    if len(own) >= min_errors:
        return sorted(own)
    measured = [
        h for h, pairs in errors.items() if len(_with_shared_part(pairs, h, donor)) >= min_errors
    ]
    if not measured:
        return None
    base = max(measured)
    widen = math.sqrt(horizon / base)
    return sorted(e * widen for e in _with_shared_part(errors[base], base, donor))


SHARED_ORIGINS = 3  # origins needed to measure the spread of the shared part at a horizon


def _origin_means(pairs: list[tuple[int, float]]) -> dict[int, float]:
    by_origin: dict[int, list[float]] = {}
    for origin, error in pairs:
        by_origin.setdefault(origin, []).append(error)
    return {o: float(np.mean(e)) for o, e in by_origin.items()}


def _donor(errors: Errors) -> tuple[int, list[float]] | None:
    """The horizon whose shared parts are measured at the most origins (at least
    SHARED_ORIGINS), and their deviations from their centre, widened as for a new draw."""
    best = None
    for h, pairs in errors.items():
        means = _origin_means(pairs)
        if len(means) >= SHARED_ORIGINS and (best is None or len(means) > len(best[1])):
            best = (h, _spread(list(means.values())))
    return best


def _spread(means: list[float]) -> list[float]:
    """Deviations of k shared parts from their centre, widened by √(k/(k−1)) (a sample's
    spread) and √(1 + 1/k) (a new draw's), as for a normal sample."""
    k = len(means)
    centre = float(np.mean(means))
    widen = math.sqrt(k / (k - 1) * (1 + 1 / k)) if k > 1 else 1.0
    return [(m - centre) * widen for m in means]


def _with_shared_part(
    pairs: list[tuple[int, float]], horizon: int, donor: tuple[int, list[float]] | None
) -> list[float]:
    """The errors of the latest origins, with their part shared by every entity (the origin's
    mean error: a district-wide shift, a trend the pooling missed) redrawn from the origins
    measured. Sixty schools' errors from one year are not sixty independent draws of that
    shared part; without this the interval would be too narrow. A horizon measured at fewer
    than SHARED_ORIGINS origins borrows the spread of the best-measured horizon's shared part,
    scaled in proportion to the horizon (a missed trend grows with it)."""
    means = _origin_means(pairs)
    if not means:
        return []
    latest = sorted(means)[-RECENT_ORIGINS:]
    own = [e - means[o] for o, e in pairs if o in latest]
    centre = float(np.mean(list(means.values())))
    if len(means) >= SHARED_ORIGINS or donor is None:
        deviations = _spread(list(means.values()))
    else:
        base, donated = donor
        deviations = [d * horizon / base for d in donated]
    return [centre + d + r for d in deviations for r in own]


@dataclass(frozen=True)
class Interval:
    value: float
    low: float
    high: float
    errors: list[float]  # what the interval was set from, on the model's scale


def interval(point_z: float, errors: list[float], scale: Scale) -> Interval:
    """The forecast with its 80% interval, on the metric's own scale. The value shown is the
    middle of the measured errors added to the model's point (so a model that has run low or
    high is corrected, and the value always lies inside its interval)."""
    q10, q50, q90 = np.quantile(errors, [0.1, 0.5, 0.9])
    return Interval(
        scale.back(point_z + q50), scale.back(point_z + q10), scale.back(point_z + q90), errors
    )


def no_change_interval(point_z: float, errors: list[float], scale: Scale) -> Interval:
    """The "no change" forecast's 80% interval: the last result, give or take the size of the
    changes it missed (the 80th percentile of their absolute values), with no drift learned."""
    half = float(np.quantile(np.abs(errors), 0.8))
    return Interval(
        scale.back(point_z), scale.back(point_z - half), scale.back(point_z + half), errors
    )


def chance(point_z: float, errors: list[float], target: float, direction: str, scale: Scale):
    """The share of measured errors with which the forecast would meet the target."""
    goal = scale.to(target)
    outcomes = np.array(errors) + point_z
    met = outcomes >= goal if direction == "higher" else outcomes <= goal
    return float(met.mean())


def interval_score(low: float, high: float, actual: float, alpha: float = 0.2) -> float:
    """The interval score of a central (1 − α) interval (Gneiting and Raftery): its width, plus
    2/α times how far the actual fell outside it. Lower is better."""
    below = max(low - actual, 0.0)
    above = max(actual - high, 0.0)
    return (high - low) + 2 / alpha * (below + above)
