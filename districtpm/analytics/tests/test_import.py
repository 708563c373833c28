"""Importing files through mappings: the public files, bad files, re-imports, formats."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from districtpm.analytics import store
from districtpm.analytics.importer import (
    ImportFailed,
    MappingError,
    check_mapping,
    import_file,
    load_mapping,
)
from districtpm.analytics.published import rollup_check

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
PUBLIC = Path(__file__).resolve().parents[4] / "shared" / "data" / "public"


def _public(name: str) -> Path:
    path = PUBLIC / name
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing: CI must have shared/ beside the clone")
        pytest.skip(f"{path} is not on this machine")
    return path


def counts(path: Path) -> dict[str, int]:
    with store.connect(path) as con:
        return store.table_counts(con)


def test_the_two_public_files_import_through_their_mappings(tmp_path):
    db = tmp_path / "a.duckdb"
    nyc = import_file(
        _public("nyc-demo-ela-math-2016-2017.csv"),
        MAPPINGS / "nyc-demo-ela-math.yaml",
        store_path=db,
    )
    ma = import_file(
        _public("ma-public-schools-2017.csv"), MAPPINGS / "ma-public-schools.yaml", store_path=db
    )
    assert nyc.source_rows == 9389 and nyc.rows["school_values"] == 4 * 9389
    assert ma.source_rows == 1861 and ma.rows["school_values"] > 30000
    con = duckdb.connect(str(db), read_only=True)
    # suppressed cells stay unknown, not zero
    sup = con.execute(
        "SELECT count(*), count(numerator) FROM school_values "
        "WHERE suppressed AND measure = 'ela_proficient'"
    ).fetchone()
    assert sup[0] > 0 and sup[1] == 0
    row = con.execute(
        "SELECT numerator, denominator, value FROM school_values WHERE "
        "entity_code = '01M015' AND period = '2015-2016' AND grade = 'all' "
        "AND measure = 'math_proficient'"
    ).fetchone()
    assert row == (11.0, 52.0, pytest.approx(0.212))

    check = rollup_check(con)
    by_measure = {m: part for m, part in check.groupby("measure")}
    for measure, part in by_measure.items():
        comparable = part[part["comparable"]]
        assert len(comparable) > 0, measure
        # a school figure rolled up from its grade rows equals the published all-grades figure
        assert (comparable["rolled_numerator"] == comparable["published_numerator"]).all(), measure
        rates = comparable.dropna(subset=["published_rate"])
        if len(rates):
            assert (rates["rolled_rate"] - rates["published_rate"]).abs().max() < 1e-12
    assert len(by_measure["math_proficient"][by_measure["math_proficient"]["comparable"]]) == 2150
    assert len(by_measure["enrollment"]) == 1861 and by_measure["enrollment"]["comparable"].all()


def test_reimporting_a_file_changes_nothing(tmp_path):
    db = tmp_path / "a.duckdb"
    path = _public("nyc-demo-ela-math-2016-2017.csv")
    import_file(path, MAPPINGS / "nyc-demo-ela-math.yaml", store_path=db)
    first = counts(db)
    with store.connect(db) as con:
        before = con.execute("SELECT * FROM school_values ORDER BY ALL").df()
    import_file(path, MAPPINGS / "nyc-demo-ela-math.yaml", store_path=db)
    assert counts(db) == first
    with store.connect(db) as con:
        after = con.execute("SELECT * FROM school_values ORDER BY ALL").df()
    pd.testing.assert_frame_equal(before, after)


ASSESSMENT_MAPPING = {
    "outputs": [
        {
            "table": "assessments",
            "columns": {
                "student_id": "id",
                "school_year": "year",
                "school_code": "school",
                "grade": "grade",
                "subject": "subject",
                "scale_score": "score",
                "performance_level": "level",
            },
            "constants": {"test": "state", "test_window": "annual"},
            "values": {"subject": {"ELA": "ela", "Math": "math"}},
            "periods": {"school_year": "year_end"},
        }
    ]
}


def test_a_bad_file_is_refused_with_every_bad_row_named(tmp_path):
    db = tmp_path / "a.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(
        "id,year,school,grade,subject,score,level\n"
        "S1,2026,101,03,ELA,701,3\nS2,2026,101,3,Math,650,2\n"
    )
    import_file(good, ASSESSMENT_MAPPING, store_path=db)
    before = counts(db)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,year,school,grade,subject,score,level\n"
        "S3,2026,101,3,ELA,abc,3\n"  # line 2: score is not a number
        "S4,2026,101,14,ELA,700,3\n"  # line 3: unknown grade
        "S5,2026,101,4,Art,700,3\n"  # line 4: unknown subject code
        "S6,2026,101,4,ELA,700,2.5\n"  # line 5: level is not whole
        ",2026,101,4,ELA,700,3\n"  # line 6: missing student
        "S7,2026,101,4,ELA,700,3\n"
    )  # line 7: fine
    with pytest.raises(ImportFailed) as failure:
        import_file(bad, ASSESSMENT_MAPPING, store_path=db)
    errors = {(e.line, e.column) for e in failure.value.result.errors}
    assert errors == {(2, "score"), (3, "grade"), (4, "subject"), (5, "level"), (6, "id")}
    messages = [str(e) for e in failure.value.result.errors]
    assert (
        "bad.csv, line 4, column subject: unknown code 'Art'; expected one of ela, math, science"
        in messages
    )
    assert counts(db) == before


def test_missing_columns_and_repeated_keys_are_refused(tmp_path):
    db = tmp_path / "a.duckdb"
    short = tmp_path / "short.csv"
    short.write_text("id,year,school,grade,subject,score\nS1,2026,101,3,ELA,700\n")
    with pytest.raises(ImportFailed) as failure:
        import_file(short, ASSESSMENT_MAPPING, store_path=db)
    assert str(failure.value.result.errors[0]) == (
        "short.csv, line 1, column level: missing column(s) the mapping needs"
    )
    twice = tmp_path / "twice.csv"
    twice.write_text(
        "id,year,school,grade,subject,score,level\n"
        "S1,2026,101,3,ELA,700,3\nS1,2026,101,3,ELA,710,3\n"
    )
    with pytest.raises(ImportFailed) as failure:
        import_file(twice, ASSESSMENT_MAPPING, store_path=db)
    assert failure.value.result.errors[0].line == 3
    assert "repeats the assessments row of line 2" in failure.value.result.errors[0].reason
    assert counts(db)["assessments"] == 0


def test_xlsx_and_parquet_import_like_csv(tmp_path):
    frame = pd.DataFrame(
        {
            "id": ["S1", "S2"],
            "year": ["2026", "2026"],
            "school": ["101", "101"],
            "grade": ["3", "4"],
            "subject": ["ELA", "Math"],
            "score": ["701", "650"],
            "level": ["3", "2"],
        }
    )
    frame.to_excel(tmp_path / "f.xlsx", index=False)
    frame.to_parquet(tmp_path / "f.parquet", index=False)
    for name in ("f.xlsx", "f.parquet"):
        db = tmp_path / f"{name}.duckdb"
        result = import_file(tmp_path / name, ASSESSMENT_MAPPING, store_path=db)
        assert result.rows == {"assessments": 2}
        with store.connect(db) as con:
            assert con.execute(
                "SELECT school_year, subject FROM assessments ORDER BY 1, 2"
            ).fetchall() == [("2025-2026", "ela"), ("2025-2026", "math")]


def test_a_mapping_with_mistakes_is_refused_before_reading(tmp_path):
    bad = tmp_path / "m.yaml"
    bad.write_text(
        "outputs:\n  - table: assessments\n    columns: {student_id: id, shoe_size: x}\n"
    )
    with pytest.raises(MappingError) as error:
        load_mapping(bad)
    assert "assessments has no column(s) shoe_size" in str(error.value)
    assert "nothing fills required column(s)" in str(error.value)


def _nyc_lines(tmp_path: Path, numbers: list[int]) -> tuple[Path, list[dict[str, str]]]:
    """A few lines of the real NYC file (by line number, 1 being the header) as a file of their
    own, and those lines as the file's text, column by column."""
    import csv

    lines = _public("nyc-demo-ela-math-2016-2017.csv").read_text(encoding="utf-8").splitlines()
    chosen = [lines[0]] + [lines[n - 1] for n in numbers]
    path = tmp_path / "nyc-few.csv"
    path.write_text("\n".join(chosen) + "\n", encoding="utf-8")
    return path, list(csv.DictReader(chosen))


def _stored(con, row: dict[str, str], measure: str) -> tuple:
    grade = "all" if row["grade"] == "All Grades" else row["grade"]
    return con.execute(
        "SELECT numerator, denominator, value, suppressed FROM school_values WHERE "
        "entity_code = ? AND period = ? AND grade = ? AND measure = ?",
        [row["dbn"], f"{int(row['year']) - 1}-{row['year']}", grade, measure],
    ).fetchone()


def test_nyc_mean_scale_scores_are_stored_as_published_and_percentages_as_shares(tmp_path):
    # Lines 2-5: P.S. 015's grades 3, 4, 5 and all grades in 2016; line 150: a grade whose math
    # results are suppressed ("s", and -1 for the mean scale score) but whose ELA results are not.
    path, rows = _nyc_lines(tmp_path, [2, 3, 4, 5, 150])
    db = tmp_path / "a.duckdb"
    result = import_file(path, MAPPINGS / "nyc-demo-ela-math.yaml", store_path=db)
    assert result.rows == {"school_values": 4 * 5}
    con = duckdb.connect(str(db), read_only=True)
    first = rows[0]
    assert (first["mean_scale_score_math"], first["level3_4_math"]) == ("275", "19.0")
    assert _stored(con, first, "math_mean_scale_score") == (None, 21.0, 275.0, False)
    assert _stored(con, first, "math_proficient") == (4.0, 21.0, pytest.approx(0.19), False)
    for row in rows[:4]:
        math_score = _stored(con, row, "math_mean_scale_score")
        ela_score = _stored(con, row, "ela_mean_scale_score")
        assert math_score[2] == float(row["mean_scale_score_math"])  # as published, like 275
        assert ela_score[2] == float(row["mean_scale_score"])
        math = _stored(con, row, "math_proficient")
        ela = _stored(con, row, "ela_proficient")
        assert math[2] == pytest.approx(float(row["level3_4_math"]) / 100)  # 19.0% as 0.19
        assert ela[2] == pytest.approx(float(row["level_3_4_1"]) / 100)
    suppressed = rows[4]
    assert (suppressed["mean_scale_score_math"], suppressed["level3_4_math"]) == ("-1", "s")
    assert _stored(con, suppressed, "math_mean_scale_score") == (None, 5.0, None, True)
    assert _stored(con, suppressed, "math_proficient")[2:] == (None, True)
    assert _stored(con, suppressed, "ela_mean_scale_score") == (None, 6.0, 319.0, False)
    assert _stored(con, suppressed, "ela_proficient") == (3.0, 6.0, pytest.approx(0.5), False)


def test_a_scale_applies_only_to_the_columns_it_names(tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("school,year,pct,mean\n101,2026,21.2,275\n")
    entries = [
        {"set": {"measure": "ela_proficient"}, "columns": {"value": "pct"}},
        {"set": {"measure": "ela_mean_scale_score"}, "columns": {"value": "mean"}},
    ]
    base = {
        "table": "school_values",
        "constants": {"source": "t", "entity_level": "school", "grade": "all", "group_name": "all"},
        "columns": {"entity_code": "school", "period": "year"},
        "periods": {"period": "year_end"},
    }
    # one scale for the whole output would divide the mean score too: refused, saying where to go
    with pytest.raises(MappingError) as error:
        import_file(path, {"outputs": [{**base, "scale": {"value": 0.01}, "rows": entries}]})
    assert "put scale in the entries it is for" in str(error.value)
    scaled = [{**entries[0], "scale": {"value": 0.01}}, entries[1]]
    db = tmp_path / "a.duckdb"
    import_file(path, {"outputs": [{**base, "rows": scaled}]}, store_path=db)
    with store.connect(db) as con:
        values = dict(con.execute("SELECT measure, value FROM school_values").fetchall())
    assert values == {"ela_proficient": pytest.approx(0.212), "ela_mean_scale_score": 275.0}


@pytest.mark.parametrize(
    "scale, problem",
    [
        ({"entity_code": 2}, "school_values has no number column entity_code"),
        ({"numerator": 2}, "numerator is not filled from the file here"),
        ({"value": "a hundredth"}, "scale.value must be a number"),
        ({"value": True}, "scale.value must be a number"),
        ([0.01], "scale maps columns to factors"),
    ],
)
def test_a_scale_that_names_no_column_it_could_scale_is_refused(scale, problem):
    mapping = {
        "outputs": [
            {
                "table": "school_values",
                "constants": {
                    "source": "t",
                    "entity_level": "school",
                    "grade": "all",
                    "group_name": "all",
                    "measure": "m",
                },
                "columns": {"entity_code": "school", "period": "year", "value": "pct"},
                "scale": scale,
            }
        ]
    }
    with pytest.raises(MappingError) as error:
        check_mapping(mapping)
    assert problem in str(error.value)
