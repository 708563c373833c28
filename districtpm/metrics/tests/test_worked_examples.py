"""Every shipped metric definition, worked by hand on a handful of students.

Each example writes a few students' rows into a fresh DuckDB store (two schools in two
networks), computes the metric with the engine, and compares the district's all-students cell
with numbers worked out by hand: the arithmetic is in the comment beside them. The pandas
reference and the hand-written SQL of `make bench` must give the same cells, at every level.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from districtpm.analytics import store
from districtpm.analytics.schema import TABLES
from districtpm.metrics import bench, engine, reference
from districtpm.metrics.definitions import MetricDefinition, load_all, parse_definition

FOLDER = Path(engine.__file__).parent / "definitions"
DEFINITIONS = load_all(FOLDER)
YEAR = "2025-2026"
NETWORKS = {"101": "N1", "102": "N2"}
KEYS = ["level", "entity_code", "grade", "period", "group_dim", "group_value"]
NO_GROUPS = {"econ_disadv": False, "ell": False, "swd": False, "race": "White", "gender": "F"}


# ---------------------------------------------------------------- rows in the canonical schema


def attendance(student: str, school: str, month: str, enrolled: int, present: int) -> dict:
    return {
        "student_id": student,
        "school_year": YEAR,
        "school_code": school,
        "grade": "4",
        "month": month,
        "days_enrolled": enrolled,
        "days_present": present,
    }


def assessment(
    student: str,
    subject: str,
    test: str,
    *,
    level: int | None = None,
    score: float | None = None,
    growth: float | None = None,
    school: str = "101",
) -> dict:
    return {
        "student_id": student,
        "school_year": YEAR,
        "school_code": school,
        "grade": "5",
        "subject": subject,
        "test": test,
        "test_window": "annual" if test == "state" else "fall",
        "scale_score": score,
        "performance_level": level,
        "growth_percentile": growth,
    }


def incident(number: int, student: str, consequence: str, days: float) -> dict:
    return {
        "incident_id": f"I{number}",
        "student_id": student,
        "school_year": YEAR,
        "school_code": "101",
        "grade": "7",
        "incident_date": dt.date(2025, 10, 1),
        "consequence": consequence,
        "days_removed": days,
    }


def enrolled(student: str, school: str = "101", year: str = YEAR, **groups: Any) -> dict:
    return {
        "student_id": student,
        "school_year": year,
        "school_code": school,
        "grade": "7",
        **NO_GROUPS,
        **groups,
    }


def credits(student: str, grade: str, earned: float, core_failures: int) -> dict:
    return {
        "student_id": student,
        "school_year": YEAR,
        "school_code": "102",
        "grade": grade,
        "credits_attempted": 7.0,
        "credits_earned": earned,
        "core_failures": core_failures,
    }


def cohort(student: str, graduated: bool, school: str = "102") -> dict:
    return {
        "student_id": student,
        "school_year": YEAR,
        "school_code": school,
        "grade": "12",
        "graduated_4yr": graduated,
        "still_enrolled": not graduated,
        "dropped_out": False,
    }


def survey(student: str, construct: str, score: float) -> dict:
    return {
        "student_id": student,
        "school_year": YEAR,
        "school_code": "101",
        "grade": "8",
        "construct": construct,
        "score": score,
    }


# ---------------------------------------------------------------- the examples


@dataclass(frozen=True)
class Example:
    """Rows of the canonical tables and the district's all-students cell worked out by hand.

    `student_years` is made from the other tables' rows (every student without a group) unless
    given; `groups` sets some students' groups there."""

    rows: dict[str, list[dict]]
    n: int
    value: float
    numerator: float | None = None  # None: the measure has none (a median, a percentile)
    denominator: float | None = None
    period: str = YEAR
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)


ELA_PROFICIENCY = [
    assessment("P1", "ela", "state", level=1, score=690),
    assessment("P2", "ela", "state", level=2, score=720),
    assessment("P3", "ela", "state", level=3, score=760, school="102"),
    assessment("P4", "ela", "state", level=4, score=800, school="102"),
    assessment("P5", "ela", "state", level=3, score=765),
    assessment("P6", "ela", "state", score=700),  # no level: not among the students tested
    assessment("P1", "math", "state", level=4, score=810),  # another subject
    assessment("P2", "ela", "interim", level=4, score=790),  # another test
]
MATH_PROFICIENCY = [
    assessment("Q1", "math", "state", level=2, score=700),
    assessment("Q2", "math", "state", level=3, score=755),
    assessment("Q3", "math", "state", level=1, score=650, school="102"),
    assessment("Q4", "math", "state", level=4, score=820, school="102"),
    assessment("Q5", "math", "state"),  # no level: not among the students tested
    assessment("Q1", "ela", "state", level=4, score=800),  # another subject
]
ELA_INTERIM = [
    assessment("F1", "ela", "interim", level=3, score=750),
    assessment("F2", "ela", "interim", level=2, score=730),
    assessment("F3", "ela", "interim", level=4, score=790, school="102"),
    assessment("F4", "ela", "interim", score=740),  # no level: not counted
    assessment("F5", "ela", "interim", level=1, score=700, school="102"),
    assessment("F1", "ela", "state", level=1, score=690),  # the state test, not the interim
    assessment("F2", "math", "interim", level=4, score=800),  # another subject
]
MATH_INTERIM = [
    assessment("G1", "math", "interim", level=1, score=690),
    assessment("G2", "math", "interim", level=3, score=755, school="102"),
    assessment("G3", "math", "interim", level=2, score=720),
    assessment("G1", "ela", "interim", level=4, score=800),  # another subject
]
ELA_INTERIM_SCORES = [
    assessment("H1", "ela", "interim", level=2, score=710),
    assessment("H2", "ela", "interim", level=1, score=700, school="102"),
    assessment("H3", "ela", "interim", level=3, score=760),
    assessment("H4", "ela", "interim", level=3, score=730, school="102"),
    assessment("H5", "ela", "interim", level=2),  # no score: not among the scores
    assessment("H1", "ela", "state", level=1, score=600),  # the state test, not the interim
]
ELA_SCORES = [
    assessment("M1", "ela", "state", level=2, score=700, growth=30),
    assessment("M2", "ela", "state", level=3, score=720, growth=60, school="102"),
    assessment("M3", "ela", "state", level=3, score=745, growth=90),
    assessment("M4", "ela", "state", level=2, growth=45, school="102"),  # a level, no score
    assessment("M5", "ela", "state", level=3, score=760),  # no prior year: no growth
    assessment("M1", "math", "state", level=4, score=900, growth=99),  # another subject
]
MATH_SCORES = [
    assessment("N1", "math", "state", level=2, score=710, growth=20),
    assessment("N2", "math", "state", level=4, score=790, growth=80, school="102"),
    assessment("N3", "math", "state", level=3, score=750, growth=50),
    assessment("N4", "math", "state", level=1),  # no score, no growth
    assessment("N1", "ela", "state", level=4, score=900, growth=99),  # another subject
]
CHRONIC = [
    # A: 18 of 180 days absent, exactly 10%, over two months: counts
    attendance("A", "101", "2025-09", 90, 81),
    attendance("A", "101", "2025-10", 90, 81),
    # B: 17 of 180 absent, 9.4%: does not count
    attendance("B", "101", "2025-09", 180, 163),
    # C: 3 of 30 absent, exactly 10% (where 0.1 × 30 is 3.0000000000000004 in floating point)
    attendance("C", "101", "2025-09", 30, 27),
    # D: 1 of 10 absent, at the 10-day minimum: counts
    attendance("D", "102", "2025-09", 10, 9),
    # E: enrolled 9 days, under the minimum: in neither numerator nor denominator
    attendance("E", "102", "2025-09", 9, 0),
    # F: never absent
    attendance("F", "102", "2025-09", 100, 100),
    # G: 5 of 40 absent over two months, 12.5%: counts
    attendance("G", "102", "2025-09", 20, 20),
    attendance("G", "102", "2025-10", 20, 15),
]
ATTENDANCE = [
    attendance("T1", "101", "2025-09", 20, 18),
    attendance("T1", "101", "2025-10", 21, 21),
    attendance("T2", "102", "2025-09", 20, 15),
    attendance("T3", "102", "2025-09", 10, 10),
]

EXAMPLES: dict[str, Example] = {
    "attendance_by_month": Example(
        {"attendance": ATTENDANCE},
        period="2025-09",
        n=3,  # T1, T2 and T3 were enrolled in September
        numerator=43,  # 18 + 15 + 10 days present
        denominator=50,  # 20 + 20 + 10 days enrolled
        value=0.86,  # 43 / 50
    ),
    "average_daily_attendance": Example(
        {"attendance": ATTENDANCE},
        n=3,  # T1, T2, T3
        numerator=64,  # (18 + 21) + 15 + 10 days present
        denominator=71,  # (20 + 21) + 20 + 10 days enrolled
        value=0.9014084507042254,  # 64 / 71
    ),
    "chronic_absenteeism": Example(
        {"attendance": CHRONIC},
        n=6,  # A, B, C, D, F, G (E has fewer than 10 days)
        numerator=4,  # A (18/180), C (3/30), D (1/10), G (5/40)
        denominator=6,
        value=0.6666666666666666,  # 4 / 6
    ),
    "days_removed": Example(
        {
            "student_years": [enrolled("R1"), enrolled("R2"), enrolled("R3", school="102")],
            "discipline": [
                incident(1, "R1", "out_of_school_suspension", 3),
                incident(2, "R1", "in_school_suspension", 1),
                incident(3, "R2", "none", 0),
                incident(4, "R3", "expulsion", 2.5),
                incident(5, "R9", "out_of_school_suspension", 5),  # R9 not enrolled: not counted
            ],
        },
        n=3,  # the students enrolled: R1, R2, R3
        numerator=6.5,  # 3 + 1 + 0 + 2.5 days
        value=6.5,  # a total: the sum itself
    ),
    "ela_interim_on_track": Example(
        {"assessments": ELA_INTERIM},
        period=f"{YEAR} fall",
        n=4,  # F1, F2, F3, F5 have an ELA interim level (F4 has none)
        numerator=2,  # F1 (level 3), F3 (level 4)
        denominator=4,
        value=0.5,  # 2 / 4
    ),
    "ela_interim_p25": Example(
        {"assessments": ELA_INTERIM_SCORES},
        period=f"{YEAR} fall",
        n=4,  # four ELA interim scores: 700, 710, 730, 760
        value=707.5,  # position 0.25 × (4 - 1) = 0.75 between 700 and 710: 700 + 0.75 × 10
    ),
    "ela_mean_scale_score": Example(
        {"assessments": ELA_SCORES},
        n=4,  # M1, M2, M3, M5 have a state ELA score (M4 has none)
        numerator=2925,  # 700 + 720 + 745 + 760
        denominator=4,
        value=731.25,  # 2925 / 4
    ),
    "ela_median_growth": Example(
        {"assessments": ELA_SCORES},
        n=4,  # growth percentiles 30, 45, 60, 90 (M5 has none)
        value=52.5,  # the midpoint of the two middle ones: (45 + 60) / 2
    ),
    "ela_proficiency": Example(
        {"assessments": ELA_PROFICIENCY},
        n=5,  # P1-P5 have a state ELA level (P6 has none)
        numerator=3,  # P3 (3), P4 (4), P5 (3)
        denominator=5,
        value=0.6,  # 3 / 5
    ),
    "enrollment": Example(
        {
            "student_years": [
                enrolled("E1"),
                enrolled("E2"),
                enrolled("E3"),
                enrolled("E4", school="102"),
                enrolled("E5", school="102"),
                enrolled("E1", year="2024-2025"),  # last year: another period
            ]
        },
        n=5,  # E1-E5 in 2025-2026
        numerator=5,
        value=5,  # a count: 3 at school 101 + 2 at school 102
    ),
    "graduation_rate": Example(
        {
            "graduation_cohorts": [
                cohort("C1", True),
                cohort("C2", True, school="101"),
                cohort("C3", False),
                cohort("C4", False),
                cohort("C5", True),
            ]
        },
        n=5,  # the cohort: C1-C5
        numerator=3,  # C1, C2, C5 graduated in four years
        denominator=5,
        value=0.6,  # 3 / 5
    ),
    "math_interim_on_track": Example(
        {"assessments": MATH_INTERIM},
        period=f"{YEAR} fall",
        n=3,  # G1, G2, G3 have a math interim level
        numerator=1,  # G2 (level 3)
        denominator=3,
        value=0.3333333333333333,  # 1 / 3
    ),
    "math_mean_scale_score": Example(
        {"assessments": MATH_SCORES},
        n=3,  # N1, N2, N3 have a state math score (N4 has none)
        numerator=2250,  # 710 + 790 + 750
        denominator=3,
        value=750,  # 2250 / 3
    ),
    "math_median_growth": Example(
        {"assessments": MATH_SCORES},
        n=3,  # growth percentiles 20, 50, 80
        value=50,  # the middle one
    ),
    "math_proficiency": Example(
        {"assessments": MATH_PROFICIENCY},
        n=4,  # Q1-Q4 have a state math level (Q5 has none)
        numerator=2,  # Q2 (3), Q4 (4)
        denominator=4,
        value=0.5,  # 2 / 4
    ),
    "ninth_grade_on_track": Example(
        {
            "credits": [
                credits("K1", "9", 7.0, 0),  # on track
                credits("K2", "9", 6.0, 1),  # on track: exactly six credits, one failure
                credits("K3", "9", 5.5, 1),  # not: half a credit short
                credits("K4", "9", 7.0, 2),  # not: two core failures
                credits("K5", "10", 7.0, 0),  # a tenth grader: not counted
            ]
        },
        n=4,  # K1-K4 are ninth graders
        numerator=2,  # K1, K2
        denominator=4,
        value=0.5,  # 2 / 4
    ),
    "survey_belonging": Example(
        {
            "survey_responses": [
                survey("V1", "belonging", 4.0),  # favourable: exactly 4
                survey("V2", "belonging", 3.99),
                survey("V3", "belonging", 4.5),
                survey("V4", "belonging", 2.0),
                survey("V5", "belonging", 3.0),
                survey("V1", "climate", 1.0),  # another construct
            ]
        },
        n=5,  # V1-V5 answered the belonging questions
        numerator=2,  # V1 (4.0), V3 (4.5)
        denominator=5,
        value=0.4,  # 2 / 5
    ),
    "survey_climate": Example(
        {
            "survey_responses": [
                survey("W1", "climate", 3.5),
                survey("W2", "climate", 4.25),
                survey("W3", "climate", 2.75),
                survey("W4", "climate", 4.0),
                survey("W1", "belonging", 1.0),  # another construct
            ]
        },
        n=4,  # W1-W4 answered the climate questions
        numerator=14.5,  # 3.5 + 4.25 + 2.75 + 4.0
        denominator=4,
        value=3.625,  # 14.5 / 4
    ),
    "suspension_rate": Example(
        {
            "student_years": [
                enrolled("U1"),
                enrolled("U2"),
                enrolled("U3", school="102"),
                enrolled("U4", school="102"),
            ],
            "discipline": [
                incident(1, "U1", "out_of_school_suspension", 2),
                incident(2, "U1", "out_of_school_suspension", 1),  # still one student
                incident(3, "U2", "in_school_suspension", 1),  # not out of school
                incident(4, "U3", "expulsion", 5),  # not a suspension
            ],
        },
        n=4,  # U1-U4 enrolled
        numerator=1,  # U1
        denominator=4,
        value=0.25,  # 1 / 4
    ),
    # Gaps: the reference group's value minus the focal group's; numerator and denominator hold
    # the focal and reference values, n the smaller group's n.
    "ela_proficiency_gap_econ": Example(
        {"assessments": ELA_PROFICIENCY},
        groups={"P1": {"econ_disadv": True}, "P3": {"econ_disadv": True}},
        n=2,  # 2 economically disadvantaged students (P1, P3), 3 others (P2, P4, P5)
        numerator=0.5,  # disadvantaged: 1 of 2 proficient (P3)
        denominator=0.6666666666666666,  # the others: 2 of 3 (P4, P5)
        value=0.16666666666666663,  # 2/3 - 1/2
    ),
    "math_proficiency_gap_ell": Example(
        {"assessments": MATH_PROFICIENCY},
        groups={"Q1": {"ell": True}, "Q2": {"ell": True}, "Q3": {"ell": True}},
        n=1,  # 3 English learners (Q1-Q3), 1 other (Q4)
        numerator=0.3333333333333333,  # English learners: 1 of 3 (Q2)
        denominator=1.0,  # the others: 1 of 1 (Q4)
        value=0.6666666666666667,  # 1 - 1/3
    ),
    "graduation_gap_swd": Example(
        {
            "graduation_cohorts": [
                cohort("C1", True),
                cohort("C2", True, school="101"),
                cohort("C3", False),
                cohort("C4", False),
                cohort("C5", True),
            ]
        },
        groups={"C3": {"swd": True}, "C4": {"swd": True}, "C5": {"swd": True}},
        n=2,  # 3 students with disabilities (C3-C5), 2 without (C1, C2)
        numerator=0.3333333333333333,  # with disabilities: 1 of 3 graduated (C5)
        denominator=1.0,  # without: 2 of 2
        value=0.6666666666666667,  # 1 - 1/3
    ),
}


# ---------------------------------------------------------------- the store and the engines

_DTYPES = {"string": "object", "int64": "Int64", "float64": "float64", "boolean": "boolean"}


def _frame(table: str, rows: list[dict]) -> pd.DataFrame:
    spec = TABLES[table]
    frame = pd.DataFrame(rows, columns=spec.column_names)
    for column in spec.columns:
        if column.type in _DTYPES:
            frame[column.name] = frame[column.name].astype(_DTYPES[column.type])
    return frame


def _student_years(example: Example) -> list[dict]:
    """The examples' students, one row per student and year, from the rows that name them."""
    if "student_years" in example.rows:
        return example.rows["student_years"]
    seen: dict[tuple[str, str], dict] = {}
    for rows in example.rows.values():
        for row in rows:
            key = (row["student_id"], row["school_year"])
            seen.setdefault(
                key,
                {
                    "student_id": row["student_id"],
                    "school_year": row["school_year"],
                    "school_code": row["school_code"],
                    "grade": row["grade"],
                    **NO_GROUPS,
                    **example.groups.get(row["student_id"], {}),
                },
            )
    return list(seen.values())


def write_example(path: Path, example: Example) -> None:
    tables = {**example.rows, "student_years": _student_years(example)}
    with store.connect(path) as con:
        for name, rows in tables.items():
            store.replace_rows(con, name, _frame(name, rows))
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


@dataclass
class Results:
    """One metric computed three ways on the same store."""

    engine: pd.DataFrame
    reference: pd.DataFrame
    sql: pd.DataFrame


def compute_three_ways(path: Path, d: MetricDefinition) -> Results:
    con = store.ibis_connection(path)
    try:
        ours = engine.compute(con, d)
    finally:
        con.disconnect()
    theirs = reference.compute(reference.load_tables(str(path)), d)
    duck = duckdb.connect(str(path), read_only=True)
    try:
        sql = duck.execute(bench.metric_sql(d)).df()
    finally:
        duck.close()
    return Results(ours, theirs, sql)


def assert_same_cells(a: pd.DataFrame, b: pd.DataFrame, what: str) -> None:
    a, b = a.copy(), b.copy()
    for frame in (a, b):
        frame["grade"] = frame["grade"].fillna("")
        frame["entity_code"] = frame["entity_code"].astype(str)
    merged = a.merge(b, on=KEYS, how="outer", suffixes=("", "_other"), indicator=True)
    assert (merged["_merge"] == "both").all(), (what, merged[merged["_merge"] != "both"])
    assert (merged["n"].astype(int) == merged["n_other"].astype(int)).all(), what
    for column in ("value", "numerator", "denominator"):
        x = merged[column].astype(float).fillna(-1)
        y = merged[f"{column}_other"].astype(float).fillna(-1)
        assert np.allclose(x, y, rtol=1e-12, atol=1e-12), (what, column)


def district_cell(frame: pd.DataFrame, period: str) -> pd.Series:
    cells = frame[
        (frame["level"] == "district") & (frame["group_dim"] == "all") & (frame["period"] == period)
    ]
    assert len(cells) == 1, cells
    return cells.iloc[0]


def assert_cell(cell: pd.Series, example: Example) -> None:
    assert int(cell["n"]) == example.n
    assert cell["value"] == pytest.approx(example.value, rel=1e-12)
    for part in ("numerator", "denominator"):
        expected = getattr(example, part)
        if expected is None:
            assert pd.isna(cell[part]), part
        else:
            assert cell[part] == pytest.approx(expected, rel=1e-12), part


# ---------------------------------------------------------------- the tests


def test_every_shipped_definition_has_a_worked_example():
    # the published definitions' examples are in test_published_worked_examples.py
    assert set(EXAMPLES) == {k for k, d in DEFINITIONS.items() if not d.published}


@pytest.mark.parametrize(
    "metric_id", sorted(k for k, d in DEFINITIONS.items() if not d.is_gap and not d.published)
)
def test_worked_example(metric_id, tmp_path):
    example, d = EXAMPLES[metric_id], DEFINITIONS[metric_id]
    path = tmp_path / "example.duckdb"
    write_example(path, example)
    results = compute_three_ways(path, d)
    assert_cell(district_cell(results.engine, example.period), example)
    assert_same_cells(results.engine, results.reference, "pandas reference")
    assert_same_cells(results.engine, results.sql, "hand-written SQL")


@pytest.mark.parametrize("metric_id", sorted(k for k, d in DEFINITIONS.items() if d.is_gap))
def test_worked_example_of_a_gap(metric_id, tmp_path):
    example, d = EXAMPLES[metric_id], DEFINITIONS[metric_id]
    base = DEFINITIONS[d.gap.metric]
    path = tmp_path / "example.duckdb"
    write_example(path, example)
    results = compute_three_ways(path, base)
    gaps = [
        engine.compute_gap(d, frame.assign(suppressed=False))
        for frame in (results.engine, results.reference)
    ]
    assert_cell(district_cell(gaps[0], example.period), example)
    assert_same_cells(gaps[0], gaps[1], "gap from the pandas reference")


def _chronic(**params: int) -> MetricDefinition:
    """The shipped chronic absenteeism definition with some of its parameters changed."""
    raw = yaml.safe_load((FOLDER / "chronic_absenteeism.yaml").read_text())
    raw["params"] = {**raw["params"], **params}
    return parse_definition(raw, "chronic_absenteeism.yaml", 10)


def test_chronic_absenteeism_counts_exactly_ten_percent_at_every_enrollment(tmp_path):
    # For every enrollment from 10 to 200 days in steps of 10: one student absent on exactly 10%
    # of the days (counted) and one absent a day less (not counted).
    rows = []
    for days in range(10, 201, 10):
        rows.append(attendance(f"X{days}", "101", "2025-09", days, days - days // 10))
        rows.append(attendance(f"Y{days}", "102", "2025-09", days, days - days // 10 + 1))
    example = Example({"attendance": rows}, n=40, numerator=20, denominator=40, value=0.5)
    path = tmp_path / "boundary.duckdb"
    write_example(path, example)
    results = compute_three_ways(path, DEFINITIONS["chronic_absenteeism"])
    assert_cell(district_cell(results.engine, YEAR), example)  # 20 of 40 students
    school = results.engine[
        (results.engine["level"] == "school") & (results.engine["group_dim"] == "all")
    ].set_index("entity_code")
    assert school.loc["101", "numerator"] == 20  # every X student: exactly 10% absent
    assert school.loc["102", "numerator"] == 0  # every Y student: a day short of 10%
    assert_same_cells(results.engine, results.reference, "pandas reference")
    assert_same_cells(results.engine, results.sql, "hand-written SQL")


def test_chronic_absenteeism_thresholds_are_parameters_of_the_definition(tmp_path):
    path = tmp_path / "example.duckdb"
    write_example(path, EXAMPLES["chronic_absenteeism"])
    d = _chronic(absent_percent=12, min_days_enrolled=5)
    results = compute_three_ways(path, d)
    changed = replace(
        EXAMPLES["chronic_absenteeism"],
        n=7,  # A-G: E's 9 days now reach the minimum of 5
        numerator=2,  # E (9 of 9 absent) and G (5 of 40, 12.5%); A, C, D (10%) are under 12%
        denominator=7,
        value=0.2857142857142857,  # 2 / 7
    )
    assert_cell(district_cell(results.engine, YEAR), changed)
    assert_same_cells(results.engine, results.reference, "pandas reference")
    assert_same_cells(results.engine, results.sql, "hand-written SQL")
