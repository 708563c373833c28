"""Every shipped metric over a published source, worked by hand on a few published rows.

Each example writes a handful of `school_values` rows (two schools in two networks) into a fresh
DuckDB store, computes the metric with the engine, and compares the district cell with numbers
worked out by hand; the pandas reference and the hand-written SQL of `make bench` must give the
same cells at every level. A suppressed cell is unknown wherever it is added, never a 0.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command

from districtpm.analytics import store
from districtpm.metrics import engine
from districtpm.metrics.compute import affected_metrics
from districtpm.metrics.definitions import DefinitionError, MetricDefinition, parse_definition
from districtpm.metrics.suppression import suppress
from districtpm.metrics.tests.test_worked_examples import (
    DEFINITIONS,
    _frame,
    assert_same_cells,
    compute_three_ways,
)

NYC = "nyc-doe-demo-ela-math"
MA = "ma-dese-profiles"
YEAR = "2016-2017"
NETWORKS = {"101": "N1", "102": "N2"}
PUBLISHED = {k: d for k, d in DEFINITIONS.items() if d.published}


def row(
    source: str,
    measure: str,
    school: str,
    grade: str,
    numerator: float | None = None,
    denominator: float | None = None,
    value: float | None = None,
    *,
    suppressed: bool = False,
    group: str = "all",
    level: str = "school",
) -> dict:
    """One published figure, as the importer stores it."""
    if value is None and numerator is not None and denominator:
        value = numerator / denominator
    return {
        "source": source,
        "entity_level": level,
        "entity_code": school,
        "entity_name": f"School {school}",
        "grade": grade,
        "period": YEAR,
        "group_name": group,
        "measure": measure,
        "numerator": numerator,
        "denominator": denominator,
        "value": value,
        "suppressed": suppressed,
    }


@dataclass
class Example:
    rows: list[dict]
    n: int
    numerator: float | None
    denominator: float | None
    value: float | None


EXAMPLES: dict[str, Example] = {
    "nyc_math_proficiency_published": Example(
        [
            row(NYC, "math_proficient", "101", "3", 4, 21),
            row(NYC, "math_proficient", "101", "4", 5, 15),
            row(NYC, "math_proficient", "101", "all", 10, 36),  # not read: rolled up from grades
            row(NYC, "math_proficient", "102", "6", 7, 20),
            row(NYC, "math_proficient", "102", "7", 3, 10),
            row(NYC, "ela_proficient", "102", "7", 9, 10),  # another measure
            row(NYC, "math_proficient", "102", "7", 1, 9, group="ell"),  # a group: not read
            row(NYC, "math_proficient", "NYC", "all", 1, 2, level="district"),  # not a school
        ],
        n=66,  # tested: 21 + 15 + 20 + 10
        numerator=19,  # at level 3 or 4: 4 + 5 + 7 + 3
        denominator=66,
        value=19 / 66,
    ),
    "nyc_ela_proficiency_published": Example(
        [
            row(NYC, "ela_proficient", "101", "3", 6, 20),
            # suppressed: "s" for the count and the percent, but 4 tested is kept
            row(NYC, "ela_proficient", "101", "4", None, 4, suppressed=True),
            row(NYC, "ela_proficient", "102", "6", 5, 25),
        ],
        n=49,  # tested: 20 + 4 + 25, as published
        numerator=None,  # unknown: grade 4 of school 101 is suppressed (not 6 + 0 + 5)
        denominator=49,
        value=None,
    ),
    "nyc_ela_mean_scale_score_published": Example(
        [
            row(NYC, "ela_mean_scale_score", "101", "3", None, 20, 290),
            row(NYC, "ela_mean_scale_score", "101", "4", None, 20, 312),
            row(NYC, "ela_mean_scale_score", "101", "all", None, 40, 301),  # the school's figure
            row(NYC, "ela_mean_scale_score", "102", "all", None, 10, 320),
        ],
        n=50,  # tested: 40 + 10 (the schools' all-grades rows)
        numerator=15240,  # points: 301 × 40 + 320 × 10
        denominator=50,
        value=304.8,  # 15240 / 50
    ),
    "nyc_math_mean_scale_score_published": Example(
        [
            row(NYC, "math_mean_scale_score", "101", "3", None, 30, 280),
            row(NYC, "math_mean_scale_score", "101", "all", None, 30, 280),
            # -1 in the file: suppressed, 3 tested
            row(NYC, "math_mean_scale_score", "102", "all", None, 3, None, suppressed=True),
        ],
        n=33,  # tested: 30 + 3
        numerator=None,  # unknown: school 102's mean is suppressed
        denominator=33,
        value=None,
    ),
    "ma_math_proficiency_published": Example(
        [
            row(MA, "math_proficient_advanced", "101", "3", 30, 40),
            row(MA, "math_proficient_advanced", "102", "10", 80, 100),
            row(MA, "ela_proficient_advanced", "102", "10", 90, 100),  # another measure
        ],
        n=140,  # included: 40 + 100
        numerator=110,  # proficient or advanced: 30 + 80
        denominator=140,
        value=110 / 140,
    ),
    "ma_ela_proficiency_published": Example(
        [
            row(MA, "ela_proficient_advanced", "101", "4", 15, 20),
            row(MA, "ela_proficient_advanced", "101", "5", 12, 24),
            row(MA, "ela_proficient_advanced", "102", "10", 45, 50),
            row(NYC, "ela_proficient_advanced", "102", "10", 1, 50),  # another publisher
        ],
        n=94,  # included: 20 + 24 + 50
        numerator=72,  # 15 + 12 + 45
        denominator=94,
        value=72 / 94,
    ),
    "ma_graduation_rate_published": Example(
        [
            # published as a percentage of the cohort only: 94.7% of 114, 50% of 10
            row(MA, "graduated_4yr", "101", "all", None, 114, 0.947),
            row(MA, "graduated_4yr", "102", "all", None, 10, 0.5),
        ],
        n=124,  # the cohorts: 114 + 10
        numerator=0.947 * 114 + 5,  # 107.958 + 5 graduates, as each school's rate implies
        denominator=124,
        value=(0.947 * 114 + 5) / 124,  # 0.9109…, not the mean of 94.7% and 50%
    ),
    "ma_enrollment_published": Example(
        [
            row(MA, "enrollment", "101", "all", 452),  # the file's TOTAL
            row(MA, "enrollment", "101", "9", 124),  # grade rows: not added to the total
            row(MA, "enrollment", "101", "10", 109),
            row(MA, "enrollment", "102", "all", 300),
        ],
        n=752,  # 452 + 300
        numerator=752,
        denominator=None,
        value=752,
    ),
}


def write_rows(path: Path, rows: list[dict]) -> None:
    with store.connect(path) as con:
        store.replace_rows(con, "school_values", _frame("school_values", rows))
        schools = pd.DataFrame(
            {
                "school_code": list(NETWORKS),
                "school_name": [f"School {code}" for code in NETWORKS],
                "network_code": list(NETWORKS.values()),
                "level": ["school"] * len(NETWORKS),
            }
        )
        con.register("_s", schools)
        con.execute("INSERT INTO schools SELECT * FROM _s")


def _cell(frame: pd.DataFrame, level: str, code: str, grade: str = "") -> pd.Series:
    cells = frame[
        (frame["level"] == level)
        & (frame["entity_code"] == code)
        & (frame["grade"].fillna("") == grade)
        & (frame["period"] == YEAR)
    ]
    assert len(cells) == 1, cells
    return cells.iloc[0]


def _same(actual: float, expected: float | None) -> bool:
    if expected is None:
        return bool(pd.isna(actual))
    return actual == pytest.approx(expected, rel=1e-12)


def test_every_shipped_published_definition_has_a_worked_example():
    assert PUBLISHED and set(EXAMPLES) == set(PUBLISHED)


@pytest.mark.parametrize("metric_id", sorted(PUBLISHED))
def test_worked_example(metric_id, tmp_path):
    example, d = EXAMPLES[metric_id], PUBLISHED[metric_id]
    path = tmp_path / "example.duckdb"
    write_rows(path, example.rows)
    results = compute_three_ways(path, d)
    district = _cell(results.engine, "district", "district")
    assert int(district["n"]) == example.n
    for part in ("numerator", "denominator", "value"):
        assert _same(district[part], getattr(example, part)), (part, district[part])
    assert set(results.engine["level"]) == set(d.levels)
    assert set(results.engine["group_dim"]) == {"all"}
    assert_same_cells(results.engine, results.reference, "pandas reference")
    assert_same_cells(results.engine, results.sql, "hand-written SQL")


def test_a_suppressed_grade_leaves_its_school_network_and_district_unknown(tmp_path):
    d = PUBLISHED["nyc_ela_proficiency_published"]
    path = tmp_path / "example.duckdb"
    write_rows(path, EXAMPLES[d.id].rows)
    frame = compute_three_ways(path, d).engine
    grade = _cell(frame, "grade", "101", "4")
    assert (grade["n"], grade["denominator"]) == (4, 4.0)
    assert pd.isna(grade["numerator"]) and pd.isna(grade["value"])
    for level, code in (("school", "101"), ("network", "N1"), ("district", "district")):
        cell = _cell(frame, level, code)
        assert pd.isna(cell["numerator"]) and pd.isna(cell["value"]), (level, cell)
    # the other school, in the other network, is known: 5 of 25
    assert _cell(frame, "school", "102")["value"] == pytest.approx(0.2)
    assert _cell(frame, "network", "N2")["value"] == pytest.approx(0.2)
    # after the product's own suppression nothing unknown has become a number
    hidden = suppress(frame, 1, NETWORKS)
    unknown = frame["numerator"].isna()
    assert hidden.loc[unknown, "value"].isna().all()
    assert hidden.loc[unknown, "numerator"].isna().all()


def test_school_total_reads_the_grade_rows_or_the_files_own_row(tmp_path):
    path = tmp_path / "example.duckdb"
    rows = EXAMPLES["nyc_math_proficiency_published"].rows
    write_rows(path, rows)
    d = PUBLISHED["nyc_math_proficiency_published"]
    assert d.school_total == "grades"
    from_grades = compute_three_ways(path, d).engine
    as_published = compute_three_ways(path, replace(d, school_total="published"))
    assert_same_cells(as_published.engine, as_published.reference, "pandas reference")
    assert_same_cells(as_published.engine, as_published.sql, "hand-written SQL")
    assert _cell(from_grades, "school", "101")["value"] == pytest.approx(9 / 36)  # 4 + 5 of 36
    assert _cell(as_published.engine, "school", "101")["value"] == pytest.approx(10 / 36)
    # the grade level is the file's grade rows either way; a school without an all-grades row
    # has no school figure when the file's own rows are asked for
    assert _cell(as_published.engine, "grade", "101", "3")["value"] == pytest.approx(4 / 21)
    schools = as_published.engine[as_published.engine["level"] == "school"]
    assert set(schools["entity_code"]) == {"101"}


def test_an_unknown_count_measured_hides_the_cell(tmp_path):
    path = tmp_path / "example.duckdb"
    write_rows(
        path,
        [
            row(NYC, "math_proficient", "101", "3", 4, 21),
            row(NYC, "math_proficient", "101", "4", None, None, suppressed=True),  # all hidden
            row(NYC, "math_proficient", "102", "6", 7, 20),
        ],
    )
    d = PUBLISHED["nyc_math_proficiency_published"]
    results = compute_three_ways(path, d)
    assert_same_cells(results.engine, results.reference, "pandas reference")
    assert_same_cells(results.engine, results.sql, "hand-written SQL")
    school = _cell(results.engine, "school", "101")
    # how many were tested is unknown too: not 21, and so n is 0 and the cell is hidden
    assert school["n"] == 0 and pd.isna(school["denominator"]) and pd.isna(school["value"])
    shown = suppress(results.engine, d.min_n, NETWORKS)
    assert shown.set_index(["level", "entity_code", "grade"]).loc[
        ("school", "101", ""), "suppressed"
    ]


def test_an_import_of_published_figures_recomputes_the_published_metrics():
    chosen = affected_metrics(DEFINITIONS, {"school_values"})
    assert set(chosen) == set(PUBLISHED)
    assert not set(affected_metrics(DEFINITIONS, {"assessments"})) & set(PUBLISHED)


BASE = {
    "id": "published_rate",
    "name": "A published rate",
    "source": "school_values",
    "filter": 'measure == "ela_proficient"',
    "measure": {"kind": "ratio_of_sums", "numerator": "numerator", "denominator": "denominator"},
}


def _parse(**changes) -> MetricDefinition:
    raw = {**BASE, **changes}
    return parse_definition({k: v for k, v in raw.items() if v is not None}, "test.yaml", 10)


def test_a_published_definition_defaults_to_grade_rows_and_no_groups():
    d = _parse()
    assert d.published and d.school_total == "grades" and d.groups == ()
    assert d.levels == ("district", "network", "school", "grade")
    assert _parse(school_total="published").school_total == "published"
    assert not DEFINITIONS["ela_proficiency"].published
    assert DEFINITIONS["ela_proficiency"].school_total == ""


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"groups": ["ell"]}, "without student groups"),
        ({"measure": {"kind": "rate", "condition": "value >= 0.5"}}, "rolls its counts up"),
        ({"measure": {"kind": "mean", "column": "value"}}, "rolls its counts up"),
        ({"measure": {"kind": "median", "column": "value"}}, "rolls its counts up"),
        (
            {"measure": {"kind": "ratio_of_sums", "numerator": "value", "denominator": "value"}},
            "rolls its counts up",
        ),
        ({"measure": {"kind": "sum", "column": "value"}}, "rolls its counts up"),
        ({"school_total": "average"}, "school_total must be grades"),
        ({"rollup": {"numerator": "sum"}}, "remove rollup"),
        ({"period": "window"}, "no window column"),
        ({"filter": 'value >= "high"'}, "filter"),
    ],
)
def test_a_published_definition_that_would_not_roll_up_is_refused(changes, problem):
    with pytest.raises(DefinitionError) as error:
        _parse(**changes)
    assert problem in str(error.value)


def test_school_total_belongs_to_published_sources_only():
    raw = {
        "id": "proficient",
        "name": "Proficient",
        "source": "assessments",
        "measure": {"kind": "rate", "condition": "performance_level >= 3"},
        "school_total": "grades",
    }
    with pytest.raises(DefinitionError, match="school_total is for a published source"):
        parse_definition(raw, "test.yaml", 10)


def test_rollup_check_compares_a_metrics_roll_up_with_the_files_figures(tmp_path, settings, capsys):
    path = tmp_path / "example.duckdb"
    write_rows(
        path,
        [
            row(NYC, "math_proficient", "101", "3", 4, 21),
            row(NYC, "math_proficient", "101", "4", 7, 31),
            row(NYC, "math_proficient", "101", "all", None, 52, 0.212),  # 11 of 52 is 21.15%
            row(NYC, "math_proficient", "102", "6", 7, 20),
            row(NYC, "math_proficient", "102", "all", None, 20, 0.4),  # 7 of 20 is 35%
            row(NYC, "math_proficient", "103", "6", None, 3, suppressed=True),
            row(NYC, "math_proficient", "103", "7", 3, 10),
            row(NYC, "math_proficient", "103", "all", 4, 13),
        ],
    )
    settings.ANALYTICS_PATH = path
    call_command("data", "rollup-check", "--metric", "nyc_math_proficiency_published")
    out = capsys.readouterr().out
    assert "2 school-years with both figures, 1 (50.0%) within 0.1" in out
    assert "1 unknown when rolled up" in out
    d = PUBLISHED["nyc_math_proficiency_published"]
    con = store.ibis_connection(path)
    try:
        check = engine.school_total_check(con, d).set_index("entity_code")
    finally:
        con.disconnect()
    assert check.loc["101", "value_grades"] == pytest.approx(11 / 52)
    assert math.isnan(check.loc["103", "value_grades"])
    assert check.loc["103", "value_published"] == pytest.approx(4 / 13)
