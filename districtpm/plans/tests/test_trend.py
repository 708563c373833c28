"""The years-ahead forecast: bounded, damped, pooled, with intervals from measured errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from districtpm.plans import trend


def synthetic(
    seed: int, shock: float = 0.02, schools: int = 40, years: int = 10
) -> tuple[trend.Series, dict]:
    """Rates with a district trend, each school's own trend around its network's, year shocks
    every school shares and noise, on the logit scale, like a district's proficiency."""
    rng = np.random.default_rng(seed)
    networks = {f"S{i}": f"N{i % 4}" for i in range(schools)}
    network_trend = {n: rng.normal(0.06, 0.03) for n in sorted(set(networks.values()))}
    shocks = rng.normal(0, shock, years)
    series: trend.Series = {}
    for school, network in networks.items():
        level, slope = rng.normal(-0.5, 0.6), network_trend[network] + rng.normal(0, 0.03)
        series[school] = {
            2015 + t: 1 / (1 + math.exp(-(level + slope * t + shocks[t] + rng.normal(0, 0.08))))
            for t in range(years)
        }
    return series, networks


def backtest(series, parents, horizons=(1, 2, 3)):
    """Coverage per horizon and skill against "no change", as `districtpm forecast backtest`."""
    scale = trend.Scale(bounded=True)
    last = max(y for s in series.values() for y in s)
    covered = {h: [] for h in horizons}
    score = naive_score = 0.0
    for origin in sorted({y for s in series.values() for y in s}):
        steps = [h for h in horizons if origin + h <= last]
        if not steps:
            continue
        errors = trend.measured_errors(series, origin, steps, scale, parents)
        flat_errors = trend.measured_errors(series, origin, steps, scale, parents, naive=True)
        flat = {(p.entity, p.horizon): p for p in trend.naive_points(series, origin, steps, scale)}
        for p in trend.forecast_points(series, origin, steps, scale, parents):
            own = trend.error_quantiles(errors, p.horizon)
            theirs = trend.error_quantiles(flat_errors, p.horizon)
            if own is None or theirs is None:
                continue
            actual = series[p.entity][origin + p.horizon]
            mine = trend.interval(p.z, own, scale)
            naive = trend.no_change_interval(flat[(p.entity, p.horizon)].z, theirs, scale)
            covered[p.horizon].append(mine.low <= actual <= mine.high)
            score += trend.interval_score(mine.low, mine.high, actual)
            naive_score += trend.interval_score(naive.low, naive.high, actual)
    return {h: float(np.mean(c)) for h, c in covered.items() if c}, 1 - score / naive_score


def test_intervals_cover_about_four_in_five_and_beat_no_change():
    runs = [backtest(*synthetic(seed)) for seed in range(1, 7)]
    for h in (1, 2, 3):
        share = np.mean([coverage[h] for coverage, _ in runs])
        assert 0.72 <= share <= 0.88, (h, share)
    skills = [skill for _, skill in runs]
    # better than "no change" on average and in most districts; a run of lucky flat years can
    # favour "no change" in one
    assert np.mean(skills) > 0.05 and sum(s > 0 for s in skills) >= 5, skills


def test_large_shocks_every_school_shares_cost_coverage_but_not_all_of_it():
    """Year shocks shared by every school (sd 0.05 on the logit scale) are what the intervals
    learn least well from few years: coverage drops, but stays near three in four."""
    runs = [backtest(*synthetic(seed, shock=0.05)) for seed in range(1, 7)]
    for h in (1, 2, 3):
        assert np.mean([coverage[h] for coverage, _ in runs]) >= 0.68


def test_a_rate_forecast_and_its_interval_stay_between_0_and_100_percent():
    steep = {
        f"S{i}": {2015 + t: min(0.97, 0.55 + 0.07 * t + 0.01 * i) for t in range(7)}
        for i in range(25)
    }
    scale = trend.Scale(bounded=True)
    origin = 2021
    errors = trend.measured_errors(steep, origin, [1, 2, 3, 4, 5], scale, {})
    for p in trend.forecast_points(steep, origin, [5], scale, {}):
        shown = trend.interval(p.z, trend.error_quantiles(errors, 5), scale)
        assert 0 < shown.low <= shown.value <= shown.high < 1


def test_the_trend_is_damped_and_its_damping_learned_from_the_data():
    assert trend.damped(1, 0.8) == pytest.approx(0.8)
    assert trend.damped(3, 0.8) == pytest.approx(0.8 + 0.64 + 0.512)
    assert trend.damped(3, 1.0) == 3
    scale = trend.Scale(bounded=False)
    straight = {f"S{i}": {2015 + t: 10 + i + 2.0 * t for t in range(8)} for i in range(5)}
    assert trend.choose_damping(straight, 2022, scale, {}) == 1.0  # a straight line is kept
    rng = np.random.default_rng(1)
    flat = {f"S{i}": {2015 + t: 10 + rng.normal(0, 1) for t in range(8)} for i in range(30)}
    assert trend.choose_damping(flat, 2022, scale, {}) <= 0.4  # noise is not extrapolated


def test_a_school_with_a_noisy_slope_is_pulled_toward_its_network():
    rng = np.random.default_rng(5)
    histories = {
        f"S{i}": [(2015 + t, 0.1 * t + rng.normal(0, 0.02)) for t in range(6)] for i in range(8)
    }
    histories["odd"] = [(2015, 0.0), (2016, 0.5), (2017, 0.1)]  # three noisy points
    parents = {e: "N1" for e in histories}
    slopes = trend.pooled_slopes(histories, parents)
    own = np.polyfit([0, 1, 2], [0.0, 0.5, 0.1], 1)[0]
    assert abs(slopes["odd"] - 0.1) < abs(own - 0.1)  # shrunk toward the network's 0.1 a year
    for e in histories:
        if e != "odd":
            assert slopes[e] == pytest.approx(0.1, abs=0.02)


def test_no_forecast_before_three_years_of_results():
    series = {"S1": {2020: 0.4, 2021: 0.42}, "S2": {2019: 0.3, 2020: 0.31, 2021: 0.33}}
    points = trend.forecast_points(series, 2021, [1], trend.Scale(True), {})
    assert [p.entity for p in points] == ["S2"]


def test_the_chance_is_the_share_of_past_errors_that_would_meet_the_target():
    scale = trend.Scale(bounded=False)
    errors = [-2.0, -1.0, 0.0, 1.0, 2.0]
    assert trend.chance(10.0, errors, 11.0, "higher", scale) == pytest.approx(0.4)
    assert trend.chance(10.0, errors, 11.0, "lower", scale) == pytest.approx(0.8)


# ------------------------------------------------------------------ in the product


@pytest.fixture
def seven_years(world):
    """Seven complete years of math proficiency for twelve schools, their networks and the
    district, as a compute would store them."""
    import datetime as dt

    from districtpm.metrics.compute import sync_definitions
    from districtpm.metrics.definitions import load_all
    from districtpm.metrics.models import ComputeRun, MetricValue
    from districtpm.org.models import School, SchoolYear

    sync_definitions(load_all())
    for start in range(2019, 2026):
        SchoolYear.objects.create(
            district=world.district,
            name=f"{start}-{start + 1}",
            start_date=dt.date(start, 8, 20),
            end_date=dt.date(start + 1, 5, 25),
        )
    for i in range(10):
        School.objects.create(
            district=world.district,
            network=world.network_1 if i % 2 else world.network_2,
            code=f"2{i:02d}",
            name=f"School 2{i:02d}",
            level="elementary",
            lowest_grade="K",
            highest_grade="5",
        )
    run = ComputeRun.objects.create()
    series, _ = synthetic(seed=2, schools=12, years=7)
    codes = ["101", "102"] + [f"2{i:02d}" for i in range(10)]
    rows = []
    for code, by_year in zip(codes, series.values(), strict=True):
        for year, value in by_year.items():
            rows.append(("school", code, year, value))
    for year in range(2015, 2022):
        mean = float(np.mean([s[year] for s in series.values()]))
        rows.append(("district", "district", year, mean))
    MetricValue.objects.bulk_create(
        MetricValue(
            metric_id="math_proficiency",
            level=level,
            entity_code=code,
            period=f"{year + 4}-{year + 5}",  # the synthetic 2015… become 2019-2020…
            period_order=(year + 4) * 100,
            school_year=f"{year + 4}-{year + 5}",
            group_dim="all",
            group_value="all",
            n=100,
            numerator=value * 100,
            denominator=100,
            value=value,
            run=run,
        )
        for level, code, year, value in rows
    )


def test_a_goal_year_forecast_for_a_school_and_the_district(seven_years):
    import time_machine

    from districtpm.metrics.models import Metric
    from districtpm.plans import forecast

    metric = Metric.objects.get(id="math_proficiency")
    with time_machine.travel("2026-11-20", tick=False):
        school = forecast.years_ahead(metric, "school", "101", "2028-2029", target=0.6)
        district = forecast.years_ahead(metric, "district", "district", "2028-2029", target=0.6)
        too_soon = forecast.years_ahead(metric, "school", "101", "2024-2025", target=0.6)
    for f in (school, district):
        assert f is not None and f.school_year == "2028-2029"
        assert 0 < f.low < f.value < f.high < 1
        assert 0 <= f.probability <= 1
        assert "damped trend over 7 years" in f.basis
    assert too_soon is None  # a goal year already past has no forecast
