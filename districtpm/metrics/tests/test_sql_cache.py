"""The engine compiles a definition's query once: a second compute runs the cached SQL text.

Counted in calls to the Ibis expression builders, never in time."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from districtpm.analytics import store
from districtpm.metrics import engine
from districtpm.metrics.definitions import load_all

DEFINITIONS = load_all()
# An additive measure over a rolled-up source, a quantile, and a rate with a condition.
IDS = ["chronic_absenteeism", "ela_median_growth", "ela_proficiency"]


KEYS = ["level", "entity_code", "grade", "period", "group_dim", "group_value"]


def assert_same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    """Equal frames, column types included; rows in key order (a query's row order is the
    database's choice, with or without the cache)."""
    pd.testing.assert_frame_equal(
        a.sort_values(keys, ignore_index=True), b.sort_values(keys, ignore_index=True)
    )


@pytest.fixture
def builds(monkeypatch):
    """The engine's expression builds, counted: one call of prepared_source per Ibis build of a
    student metric's query."""
    calls: list[str] = []
    original = engine.prepared_source

    def counting(con, d, years=None):
        calls.append(d.id)
        return original(con, d, years)

    monkeypatch.setattr(engine, "prepared_source", counting)
    engine.clear_sql_cache()
    yield calls
    engine.clear_sql_cache()


@pytest.mark.parametrize("metric_id", IDS)
def test_second_compute_skips_building_and_gives_the_same_frame(builds, duck, metric_id):
    d = DEFINITIONS[metric_id]
    first = engine.compute(duck, d)
    assert builds == [metric_id]
    second = engine.compute(duck, d)
    assert builds == [metric_id], "the second compute built the Ibis expression again"
    assert_same(first, second, KEYS)


@pytest.mark.parametrize("metric_id", IDS)
def test_cached_sql_gives_what_ibis_executes(builds, duck, metric_id):
    """The cached text, run directly, converts to the frame Ibis's own execution gives."""
    d = DEFINITIONS[metric_id]
    build = engine._additive_query if d.additive else engine._quantile_query
    query = "additive" if d.additive else "quantile"
    via_ibis = build(duck, d, None).to_pyarrow().to_pandas()
    engine.run_cached(duck, d, None, query, build)
    cached = engine.run_cached(duck, d, None, query, build)
    assert_same(via_ibis, cached, list(via_ibis.columns))


def test_a_changed_definition_is_compiled_anew(builds, duck):
    d = DEFINITIONS["ela_proficiency"]
    engine.compute(duck, d)
    stricter = replace(
        d, measure=replace(d.measure, condition="performance_level >= 4"), digest="changed"
    )
    engine.compute(duck, stricter)
    assert builds == [d.id, d.id]
    # A definition changed in code keeps its digest: still compiled anew.
    fewer_levels = replace(d, levels=("district", "school"))
    frame = engine.compute(duck, fewer_levels)
    assert builds == [d.id] * 3
    assert set(frame["level"]) == {"district", "school"}
    # …and each is then served from the cache.
    engine.compute(duck, stricter)
    engine.compute(duck, fewer_levels)
    assert builds == [d.id] * 3


def test_other_years_are_compiled_anew(builds, duck):
    d = DEFINITIONS["ela_proficiency"]
    all_years = engine.compute(duck, d)
    last = sorted(all_years["school_year"].unique())[-1]
    one_year = engine.compute(duck, d, years=[last])
    assert builds == [d.id, d.id]
    assert set(one_year["school_year"]) == {last}


def test_cache_is_shared_by_threads_and_connections(builds, analytics_path):
    chosen = [DEFINITIONS[i] for i in IDS]

    def run():
        return engine.compute_many(chosen, lambda: store.ibis_connection(analytics_path), workers=2)

    first = run()
    assert sorted(builds) == sorted(IDS)
    second = run()
    assert sorted(builds) == sorted(IDS), "a later run on new connections built again"
    for metric_id in IDS:
        assert_same(first[metric_id], second[metric_id], KEYS)
