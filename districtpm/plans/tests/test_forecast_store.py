"""This year's forecast relations are learned when values are recomputed and stored; the pages
read them, and what they read is exactly what learning them on the spot gives."""

from __future__ import annotations

import time_machine

from districtpm.metrics.models import ComputeRun, Metric
from districtpm.metrics.signals import values_recomputed
from districtpm.plans import forecast
from districtpm.plans.models import ForecastRelation
from districtpm.plans.tests.test_plan_pages import TODAY, plan  # noqa: F401  (fixture)


def _predicted() -> list[Metric]:
    return [m for m in Metric.objects.order_by("id") if (m.definition or {}).get("forecast_from")]


def _as_relation(row: ForecastRelation) -> forecast.Relation | None:
    return forecast.Relation(row.slope, row.intercept, row.sigma, row.n) if row.n else None


def _recomputed() -> None:
    """What a compute run tells the apps above it once its values are stored (the fixture's
    recompute ran outside the test's date: this one runs on it)."""
    values_recomputed.send(sender=ComputeRun, run=ComputeRun.objects.order_by("-pk").first())


@time_machine.travel(TODAY)
def test_the_stored_relations_are_those_learn_gives(plan):  # noqa: F811
    """A recompute stores one relation per metric with a predictor and window, from the
    learning years; each is learn()'s, to the last bit."""
    _recomputed()
    years = forecast.learning_years()
    metrics = _predicted()
    assert metrics and years
    stored = {(r.metric_id, r.window): r for r in ForecastRelation.objects.all()}
    assert set(stored) == {(m.id, w) for m in metrics for w in forecast.WINDOWS}
    fitted = 0
    for metric in metrics:
        for window in forecast.WINDOWS:
            row = stored[(metric.id, window)]
            assert row.years == ",".join(years)
            assert _as_relation(row) == forecast.learn(metric, window, years)
            fitted += row.n > 0
    assert fitted  # the fixture's store has the fall window: at least one real fit


@time_machine.travel(TODAY)
def test_a_forecast_reads_the_stored_relation_without_learning(plan, monkeypatch):  # noqa: F811
    _recomputed()
    metric = _predicted()[0]
    years = forecast.learning_years()
    expected = forecast.learn(metric, "fall", years)
    assert expected is not None

    def refuse(*args, **kwargs):
        raise AssertionError("learned on a request although the relation is stored")

    monkeypatch.setattr(forecast, "learn", refuse)
    assert forecast.relation(metric, "fall", years) == expected


@time_machine.travel(TODAY)
def test_this_years_forecast_is_the_same_from_the_store_and_from_learning(plan, world):  # noqa: F811
    """current_year from the stored relation, then with nothing stored (learned on the spot,
    as before): the same forecast. The relation learned on the spot is stored for next time."""
    _recomputed()
    metric = Metric.objects.get(id="ela_proficiency")
    years = forecast.learning_years()
    args = (metric, "district", "district", world.year.name, years, 0.4)
    from_store = forecast.current_year(*args)
    assert from_store is not None and "interim" in from_store.basis
    ForecastRelation.objects.all().delete()
    assert forecast.current_year(*args) == from_store
    assert ForecastRelation.objects.filter(metric=metric, years=",".join(years)).count() == 1


@time_machine.travel(TODAY)
def test_a_recompute_stores_the_relations_again(plan):  # noqa: F811
    ForecastRelation.objects.all().delete()
    _recomputed()
    assert ForecastRelation.objects.count() == len(_predicted()) * len(forecast.WINDOWS)


@time_machine.travel(TODAY)
def test_other_years_are_learned_on_their_own(plan):  # noqa: F811
    """A relation for another set of years (the back-test's, or after the school year turned)
    is not the stored one: it is learned for those years."""
    metric = _predicted()[0]
    years = forecast.learning_years()[:-1]
    assert forecast.relation(metric, "fall", years) == forecast.learn(metric, "fall", years)
