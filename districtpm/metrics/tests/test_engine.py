"""The engine's values equal an independent pandas computation, for every level and group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from districtpm.metrics import engine, reference
from districtpm.metrics.compute import compute_all, school_networks
from districtpm.metrics.definitions import load_all

DEFINITIONS = load_all()
KEYS = ["level", "entity_code", "grade", "period", "group_dim", "group_value"]


def test_ships_at_least_fifteen_metrics_and_gaps():
    metrics = [d for d in DEFINITIONS.values() if not d.is_gap]
    gaps = [d for d in DEFINITIONS.values() if d.is_gap]
    assert len(metrics) >= 15 and len(gaps) >= 3
    kinds = {d.measure.kind for d in metrics}
    assert kinds == {"rate", "mean", "median", "percentile", "count", "sum", "ratio_of_sums"}
    assert {d.period for d in metrics} == {"school_year", "window", "month"}


# student-level metrics: the published ones read files the demo store holds none of (their own
# tests: test_published_metrics.py)
@pytest.mark.parametrize(
    "metric_id", sorted(k for k, d in DEFINITIONS.items() if not d.is_gap and not d.published)
)
def test_engine_matches_pandas(metric_id, duck, analytics_path):
    d = DEFINITIONS[metric_id]
    ours = engine.compute(duck, d)
    theirs = reference.compute(reference.load_tables(str(analytics_path)), d)
    assert len(ours) > 0
    merged = ours.merge(theirs, on=KEYS, how="outer", suffixes=("", "_ref"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged[merged["_merge"] != "both"].head()
    assert (merged["n"] == merged["n_ref"]).all()
    for column in ("value", "numerator", "denominator"):
        a, b = merged[column].astype(float), merged[f"{column}_ref"].astype(float)
        assert np.allclose(a.fillna(-1), b.fillna(-1), rtol=1e-9, atol=1e-9), column
    # every level and every group dimension is present
    assert set(ours["level"]) == set(d.levels)
    assert set(ours["group_dim"]) == {"all", *d.groups}


def test_rates_roll_up_from_counts_not_averages(duck):
    d = DEFINITIONS["ela_proficiency"]
    values = engine.compute(duck, d)
    all_students = values[values["group_dim"] == "all"]
    for _period, part in all_students.groupby("period"):
        schools = part[part["level"] == "school"]
        district = part[part["level"] == "district"].iloc[0]
        assert district["numerator"] == schools["numerator"].sum()
        assert district["denominator"] == schools["denominator"].sum()
        pooled = schools["numerator"].sum() / schools["denominator"].sum()
        assert district["value"] == pytest.approx(pooled)
        # the average of school rates is a different number, and not the one we report
        assert schools["value"].mean() != pytest.approx(district["value"], abs=1e-6)


@pytest.fixture(scope="module")
def results(duck):
    return compute_all(duck, DEFINITIONS)


def test_no_value_below_minimum_n_is_visible(results):
    for metric_id, frame in results.items():
        d = DEFINITIONS[metric_id]
        visible = frame[~frame["suppressed"]]
        assert (visible["n"] >= d.min_n).all(), metric_id
        hidden = frame[frame["suppressed"]]
        assert hidden[["value", "numerator", "denominator"]].isna().all().all(), metric_id
        assert hidden["n"].isna().all(), metric_id


def test_some_cells_are_suppressed_and_most_are_not(results):
    frame = pd.concat(results.values())
    share = frame["suppressed"].mean()
    assert 0.05 < share < 0.8


@pytest.mark.parametrize("metric_id", ["ela_proficiency", "chronic_absenteeism", "enrollment"])
def test_hidden_cells_cannot_be_recovered_from_neighbours(results, metric_id, duck):
    """No sum a reader can write down (a total among its members) has exactly one unknown;
    the full check, by linear programming, is test_suppression_audit.py."""
    frame = results[metric_id].reset_index(drop=True)
    networks = school_networks(duck)
    # (a) within one entity, period and group dimension, the all-students cell included
    for keys, part in frame.groupby(["level", "entity_code", "grade", "period"]):
        total = part[part["group_dim"] == "all"]["suppressed"].sum()
        for _dim, groups in part[part["group_dim"] != "all"].groupby("group_dim"):
            assert groups["suppressed"].sum() + total != 1, keys
    # (b) the children of a parent with the parent: schools of a network, grades of a school
    schools = frame[frame["level"] == "school"].copy()
    schools["parent"] = schools["entity_code"].map(networks)
    grades = frame[frame["level"] == "grade"].copy()
    grades["parent"] = grades["entity_code"]
    for part, parent_level in ((schools, "network"), (grades, "school")):
        parents = frame[(frame["level"] == parent_level) & (frame["grade"] == "")]
        parent_hidden = parents.set_index(["entity_code", "period", "group_dim", "group_value"])[
            "suppressed"
        ]
        counts = part.groupby(["parent", "period", "group_dim", "group_value"])["suppressed"].sum()
        for key, hidden in counts.items():
            assert hidden + int(parent_hidden.get(key, False)) != 1, key


def test_a_cell_one_row_short_of_the_minimum_is_hidden_with_its_complement():
    from districtpm.metrics.suppression import suppress

    rows = pd.DataFrame(
        [
            # a school with 30 students: 9 in one group (hidden) and 21 in the other
            {
                "level": "school",
                "entity_code": "S",
                "grade": "",
                "period": "p",
                "group_dim": "all",
                "group_value": "all",
                "n": 30,
                "numerator": 15.0,
                "denominator": 30.0,
                "value": 0.5,
            },
            {
                "level": "school",
                "entity_code": "S",
                "grade": "",
                "period": "p",
                "group_dim": "ell",
                "group_value": "yes",
                "n": 9,
                "numerator": 3.0,
                "denominator": 9.0,
                "value": 1 / 3,
            },
            {
                "level": "school",
                "entity_code": "S",
                "grade": "",
                "period": "p",
                "group_dim": "ell",
                "group_value": "no",
                "n": 21,
                "numerator": 12.0,
                "denominator": 21.0,
                "value": 12 / 21,
            },
        ]
    )
    out = suppress(rows, 10, {"S": "N"})
    assert list(out["suppressed"]) == [False, True, True]
    assert out.loc[2, "value"] != out.loc[2, "value"]  # NaN: the complement is blank too


def test_gap_is_reference_minus_focal(results):
    gap = results["ela_proficiency_gap_econ"]
    base = results["ela_proficiency"]
    # the shown gap of the most students (in this small store the district's income groups are
    # hidden: two networks cannot show one without the other)
    row = gap[~gap["suppressed"]].sort_values("n").iloc[-1]
    b = base[
        (base["level"] == row["level"])
        & (base["entity_code"] == row["entity_code"])
        & (base["grade"] == row["grade"])
        & (base["period"] == row["period"])
        & (base["group_dim"] == "econ_disadv")
    ].set_index("group_value")
    assert row["value"] == pytest.approx(b.loc["no", "value"] - b.loc["yes", "value"])
    shown = gap[~gap["suppressed"]]
    assert (shown["value"] > 0).mean() > 0.5  # the demo district has an income gap
