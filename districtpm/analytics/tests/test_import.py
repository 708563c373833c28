"""Importing files through mappings: the public files, bad files, re-imports, formats."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from districtpm.analytics import store
from districtpm.analytics.importer import ImportFailed, MappingError, import_file, load_mapping
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
