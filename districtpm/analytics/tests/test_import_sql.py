"""The SQL path of CSV imports (sql_import.py) against the Python path it must agree with.

Each file test imports the same bytes twice, once with the SQL path on and once with it off
(DISTRICTPM_IMPORT_SQL), and compares what each import left in its store, or the row errors
or the refusal each one gave. `sql_import.paths_taken` tells which path an import took: good
files the SQL path reads must take it, and a file with any bad row must end in the Python
path's report. The cell tests run the compiled SQL over thousands of single cells and check
each verdict against the Python path's: never looser, and the same value whenever both accept.
"""

from __future__ import annotations

import codecs
import random
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from districtpm.analytics import importer, sql_import, store
from districtpm.analytics.bench_import import write_csv
from districtpm.analytics.importer import ImportFailed, import_file, load_mapping
from districtpm.analytics.schema import TABLES
from districtpm.core.intake import InputRefused, limits

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
STATE = MAPPINGS / "state-assessment-results.yaml"
PUBLIC = Path(__file__).resolve().parents[4] / "shared" / "data" / "public"
HEADER = "StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP\n"


# ------------------------------------------------------------------ importing twice


@dataclass
class Outcome:
    kind: str  # imported, failed (row errors) or refused (the file as a whole)
    detail: Any
    tables: dict[str, list[tuple]]
    path: str  # the path that finished the import: sql or python


def stored(db: Path) -> dict[str, list[tuple]]:
    """Every canonical table's rows and the import log, in an order of their own."""
    with store.connect(db) as con:
        tables = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in TABLES}
        tables["_imports"] = con.execute(
            "SELECT file_hash, file_name, table_name, rows, school_years, task_id "
            "FROM _imports ORDER BY ALL"
        ).fetchall()
    return tables


def run(path: Path, mapping: Any, db: Path, *, sql: bool, django_settings) -> Outcome:
    django_settings.DISTRICTPM_IMPORT_SQL = sql
    before = sql_import.paths_taken["sql"]
    try:
        r = import_file(path, mapping, store_path=db)
        kind, detail = "imported", (r.file, r.file_hash, r.rows, r.school_years, r.source_rows)
    except ImportFailed as failure:
        kind = "failed"
        detail = [(e.file, e.line, e.column, e.reason) for e in failure.result.errors]
    except InputRefused as refusal:
        kind, detail = "refused", str(refusal)
    path_taken = "sql" if sql_import.paths_taken["sql"] > before else "python"
    return Outcome(kind, detail, stored(db), path_taken)


def both(folder: Path, data: bytes | str, mapping: Any, django_settings, name: str = "f.csv"):
    """The same file imported by the SQL path (falling back as it must) and the Python path."""
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    fast = run(path, mapping, folder / "sql.duckdb", sql=True, django_settings=django_settings)
    slow = run(path, mapping, folder / "py.duckdb", sql=False, django_settings=django_settings)
    assert slow.path == "python"
    return fast, slow


def assert_same(fast: Outcome, slow: Outcome) -> None:
    assert (fast.kind, fast.detail) == (slow.kind, slow.detail)
    assert fast.tables == slow.tables
    if fast.kind != "imported":
        assert fast.path == "python"  # the SQL path never writes a file with a bad row


# ------------------------------------------------------------------ the shipped mappings


def _first_lines(name: str, count: int) -> bytes:
    path = PUBLIC / name
    if not path.exists():
        pytest.skip(f"{path} is not on this machine")
    return b"".join(path.read_bytes().splitlines(keepends=True)[: count + 1])


def test_the_shipped_state_assessment_mapping(tmp_path, settings):
    write_csv(tmp_path / "state.csv", 3000, seed=5)
    fast, slow = both(tmp_path, (tmp_path / "state.csv").read_bytes(), STATE, settings)
    assert_same(fast, slow)
    assert fast.path == "sql" and fast.detail[2] == {"assessments": 3000}
    assert any(r[9] is None for r in fast.tables["assessments"])  # suppressed and grade-3 SGPs


@pytest.mark.parametrize(
    ("file", "mapping", "lines"),
    [
        # quoted names, spaces at the ends of values, "s" and -1 markers, a filter, rows entries
        ("nyc-demo-ela-math-2016-2017.csv", "nyc-demo-ela-math.yaml", 400),
        # CRLF line ends, text beyond ASCII, quoted fields, wide melts, a percentage scaled
        ("ma-public-schools-2017.csv", "ma-public-schools.yaml", 150),
    ],
)
def test_the_shipped_public_file_mappings(tmp_path, settings, file, mapping, lines):
    fast, slow = both(tmp_path, _first_lines(file, lines), MAPPINGS / mapping, settings, file)
    assert_same(fast, slow)
    assert fast.path == "sql" and fast.kind == "imported"
    assert len(fast.tables["school_values"]) > lines


# ------------------------------------------------------------------ mapping features

SV = {"source": "t", "entity_level": "school", "group_name": "all"}

FEATURES = {
    "melt with fields, keys and a value map, skip_if_empty, year_end": (
        {
            "outputs": [
                {
                    "table": "school_values",
                    "constants": {**SV, "measure": "m"},
                    "columns": {"entity_code": "code", "entity_name": "name", "period": "year"},
                    "periods": {"period": "year_end"},
                    "melt": {
                        "pattern": r"(?P<grade>K|TOTAL|\d+)_(?P<field>n|d)",
                        "keys": {"grade": "grade"},
                        "fields": {"n": "numerator", "d": "denominator"},
                    },
                    "values": {"grade": {"TOTAL": "all"}},
                    "skip_if_empty": ["numerator", "denominator"],
                }
            ]
        },
        "code,name,year,K_n,K_d,3_n,3_d,TOTAL_n,TOTAL_d\n"
        '101,"Aspen, Elementary",2017,5,10,,,"1,205",2400\n'
        '102,Birch,"2,017",*,20,3,9,12,29\n'
        "103,Cedar,2018,0,0,,,0,0\n",
    ),
    "melt of one value, no fields": (
        {
            "outputs": [
                {
                    "table": "school_values",
                    "constants": {**SV, "grade": "all"},
                    "columns": {"entity_code": "school", "period": "year"},
                    "periods": {"period": "year_start"},
                    "melt": {
                        "pattern": r"(?P<measure>ela|math|science)_rate",
                        "keys": {"measure": "measure"},
                    },
                }
            ]
        },
        "school,year,ela_rate,math_rate,science_rate\n101,2025,0.5,0.25,\n102,2025,1,-,0\n",
    ),
    "rows entries, their own scales, a filter, markers, a derived value": (
        {
            "suppressed": ["s", "-1"],
            "outputs": [
                {
                    "table": "school_values",
                    "filter": {"cat": "All Students"},
                    "constants": {**SV},
                    "columns": {"entity_code": "dbn", "period": "year", "grade": "grade"},
                    "values": {"grade": {"All Grades": "all"}},
                    "periods": {"period": "school_year"},
                    "rows": [
                        {
                            "set": {"measure": "share"},
                            "columns": {"numerator": "n", "denominator": "d", "value": "pct"},
                            "scale": {"value": 0.01},
                        },
                        {
                            "set": {"measure": "rate"},
                            "columns": {"numerator": "n", "denominator": "d"},
                        },
                        {
                            "set": {"measure": "mean"},
                            "columns": {"value": "mean", "denominator": "d"},
                        },
                    ],
                }
            ],
        },
        "dbn,year,grade,cat,n,d,pct,mean\n"
        "01M015,2015-16,3,All Students,11,52,21.2,275\n"
        "01M015,2015-16,All Grades,All Students,s,52,s,-1\n"
        "01M015,2015-16,4,Girls,1,2,50,300\n"
        "01M019,2016-2017,5,All Students,0,0,,-1\n"
        "01M019,2016 - 17,6,All Students,3,-1,12.5%,301.5\n",
    ),
    "a whole-number scale, the month and date period parsers": (
        {
            "outputs": [
                {
                    "table": "attendance",
                    "columns": {
                        "student_id": "id",
                        "school_year": "day",
                        "school_code": "school",
                        "grade": "grade",
                        "month": "day",
                        "days_enrolled": "enrolled",
                        "days_present": "present",
                    },
                    "periods": {"school_year": "date", "month": "month"},
                    "scale": {"days_enrolled": 2},
                }
            ]
        },
        "id,day,school,grade,enrolled,present\n"
        'S1,2025-09-01,101,3,10,9\nS1,2026-01-15,101,3,"1,000",7\nS2,2025-06-30,102,K,+5,005\n',
    ),
    "dates, an empty optional date, the school_year parser's forms": (
        {
            "outputs": [
                {
                    "table": "enrollments",
                    "columns": {
                        "student_id": "id",
                        "school_year": "year",
                        "school_code": "school",
                        "entry_date": "entry",
                        "exit_date": "exit",
                    },
                    "periods": {"school_year": "school_year"},
                }
            ]
        },
        "id,year,school,entry,exit\n"
        "S1,2025-2026,101,2025-08-20,\nS2,2025-26,101,2025-08-20,2026-01-09\n"
        "S3,2025 / 26,102,2025-09-02,\nS4,2025–26,102,2025-09-02,\nS5,1999-2000,102,2000-01-01,\n",
    ),
    "booleans, codes through value maps, constants": (
        {
            "outputs": [
                {
                    "table": "student_years",
                    "columns": {
                        "student_id": "id",
                        "school_code": "school",
                        "grade": "grade",
                        "econ_disadv": "frl",
                        "ell": "ell",
                        "swd": "iep",
                        "race": "race",
                        "gender": "sex",
                    },
                    "constants": {"school_year": "2025-2026"},
                    "values": {
                        "race": {"B": "Black", "W": "White", "H": "Hispanic"},
                        "gender": {"Female": "F", "Male": "M"},
                    },
                }
            ]
        },
        "id,school,grade,frl,ell,iep,race,sex\n"
        "S1,101,K,Y,no,1,B,Female\nS2,101,pk,TRUE,f,,W,M\nS3,102,Pre-K,0.0,Yes,T,H,X\n",
    ),
    "a filter": (
        {
            "outputs": [
                {
                    "table": "credits",
                    "filter": {"note": "ok"},
                    "columns": {
                        "student_id": "id",
                        "school_year": "year",
                        "school_code": "school",
                        "grade": "grade",
                        "credits_attempted": "att",
                        "credits_earned": "earned",
                        "core_failures": "fails",
                    },
                    "periods": {"school_year": "year_end"},
                }
            ]
        },
        "id,year,school,grade,att,earned,fails,note\n"
        "S1,2026,104,9,6,5.5,1,ok\nS2,2026,104,10,7.25,7.25,0,ok\nS3,2026,104,11,x,y,z,\nS4,2026,104,11,x,y,z,moved\n",
    ),
    "two outputs into two tables": (
        {
            "outputs": [
                {
                    "table": "graduation_cohorts",
                    "columns": {
                        "student_id": "id",
                        "school_year": "year",
                        "school_code": "school",
                        "graduated_4yr": "grad",
                        "still_enrolled": "still",
                        "dropped_out": "drop",
                    },
                    "constants": {"grade": "12"},
                },
                {
                    "table": "discipline",
                    "columns": {
                        "incident_id": "incident",
                        "student_id": "id",
                        "school_year": "year",
                        "school_code": "school",
                        "incident_date": "day",
                        "consequence": "what",
                        "days_removed": "days",
                    },
                    "constants": {"grade": "12"},
                    "skip_if_empty": ["incident_id"],
                },
            ]
        },
        "id,year,school,grad,still,drop,incident,day,what,days\n"
        "S1,2025-2026,104,yes,no,no,I1,2025-10-01,none,\nS2,2025-2026,104,no,no,yes,,,,\n",
    ),
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_each_mapping_feature_stores_the_same_rows(tmp_path, settings, feature):
    mapping, text = FEATURES[feature]
    fast, slow = both(tmp_path, text, mapping, settings)
    assert slow.kind == "imported", slow.detail  # the cases are good files
    assert_same(fast, slow)
    assert fast.path == "sql"


# ------------------------------------------------------------------ how files are written

ROWS = ["S1,2025-26,101,03,ELA,701,3,50", "S2,2025-26,101,3,Math,650.5,2,*"]
ROWS += ["S3,2024-2025,102,KG,English Language Arts,599,1,"]


def _crlf(text: str) -> str:
    return text.replace("\n", "\r\n")


WRITTEN = {
    "plain": (HEADER + "\n".join(ROWS) + "\n").encode(),
    "no final line end": (HEADER + "\n".join(ROWS)).encode(),
    "byte-order mark": codecs.BOM_UTF8 + (HEADER + "\n".join(ROWS) + "\n").encode(),
    "CRLF": _crlf(HEADER + "\n".join(ROWS) + "\n").encode(),
    "CR": (HEADER + "\n".join(ROWS) + "\n").replace("\n", "\r").encode(),
    "blank lines": (HEADER + "\n\n".join(ROWS) + "\n\n\n").encode(),
    "every field quoted": (
        HEADER + "\n".join(",".join(f'"{v}"' for v in r.split(",")) for r in ROWS) + "\n"
    ).encode(),
    "quoted commas and quotes": (
        HEADER + 'S1,2025-26,101,03,ELA,"2,604",3,50\n"S""2",2025-26,101,4,Math,"1,000.5",2,\n'
    ).encode(),
    "spaces and tabs at the ends": (
        HEADER + " S1 ,2025-26 , 101,\t03,ELA , 701 ,3\t, 50\nS2,2025-26,101,4,Math,7,2,   \n"
    ).encode(),
    "white space beyond ASCII": (
        HEADER + "S1\u00a0,2025-26,101,03,\u2003ELA,701,3,50\u3000\nZoë,2025-26,101,3,Math,7,2,\n"
    ).encode(),
    "empty values beyond the header": (HEADER + "S1,2025-26,101,03,ELA,701,3,50,,\n").encode(),
    "percent signs and numbers written differently": (
        HEADER + "S1,2025-26,101,03,ELA,+701.50,03,45%\nS2,2025-26,101,3,Math,.5e3,2.0,5 %\n"
        "S3,2025-26,101,3,Science,7.,+4,-0\n"
    ).encode(),
    "a header alone": HEADER.encode(),
    "grades written differently": (
        HEADER + "S1,2025-26,101,k,ELA,1,1,1\nS2,2025-26,101,012,ELA,1,1,1\n"
        "S3,2025-26,101,Pre-K,ELA,1,1,1\nS4,2025-26,101,Kf,ELA,1,1,1\n"
    ).encode(),
}


@pytest.mark.parametrize("written", sorted(WRITTEN))
def test_a_file_written_any_way_the_sql_path_reads_stores_the_same_rows(
    tmp_path, settings, written
):
    fast, slow = both(tmp_path, WRITTEN[written], STATE, settings)
    assert slow.kind == "imported", slow.detail
    assert_same(fast, slow)
    assert fast.path == "sql"


LEFT_TO_PYTHON = {
    # good files the SQL path does not vouch for
    "a quoted value over two lines": HEADER + '"S\n1",2025-26,101,03,ELA,701,3,50\n',
    "a space before a quote": HEADER + 'S1, "2025-26",101,03,ELA,701,3,50\n',
    "characters after a closing quote": HEADER + '"S"1,2025-26,101,03,ELA,701,3,50\n',
    "a row shorter than the header": HEADER + "S1,2025-26,101,03,ELA,701\n",
    "a line of spaces": HEADER + "S1,2025-26,101,03,ELA,701,3,50\n   \n",
    "mixed line ends": HEADER + "S1,2025-26,101,03,ELA,701,3,50\r\nS2,2025-26,101,3,Math,7,2,\n",
    "UTF-16 with a byte-order mark": (HEADER + ROWS[0] + "\n").encode("utf-16"),
    "a whole number written 1e1": HEADER + "S1,2025-26,101,03,ELA,701,1e1,50\n",
    "a space inside a value beyond the header": HEADER + "S1,2025-26,101,03,ELA,701,3,50, \n",
    # bad files, reported by the Python path
    "bad cells": HEADER + "S1,2025-27,101,03,Art,abc,2.5,inf\n,2025-26,101,14,ELA,1,1,1\n",
    "a repeated key": HEADER + "S1,2025-26,101,03,ELA,701,3,50\nS1,2025-26,102,04,ELA,1,1,1\n",
    "a value beyond the header": HEADER + "S1,2025-26,101,03,ELA,701,3,50,extra\n",
    "a NUL character": HEADER + "S1\x00,2025-26,101,03,ELA,701,3,50\n",
    "a control character": HEADER + "S1\x07,2025-26,101,03,ELA,701,3,50\n",
    "a missing column": "StudentID,SchoolYear\nS1,2025-26\n",
    "a marker where a value is required": HEADER + "*,2025-26,101,03,ELA,701,3,50\n",
    "Latin-1": (HEADER + "Sé,2025-26,101,03,ELA,701,3,50\n").encode("latin-1"),
    "duplicate headers": HEADER.strip() + ",grade\nS1,2025-26,101,03,ELA,701,3,50,3\n",
    "a single column": "StudentID\nS1\n",
    "empty": b"",
}


@pytest.mark.parametrize("case", sorted(LEFT_TO_PYTHON))
def test_what_the_sql_path_cannot_vouch_for_goes_to_the_python_path(tmp_path, settings, case):
    fast, slow = both(tmp_path, LEFT_TO_PYTHON[case], STATE, settings)
    assert_same(fast, slow)
    assert fast.path == "python"


def test_a_filter_on_an_empty_cell_is_left_to_the_python_path(tmp_path, settings):
    # The Python path compares str(cell): "None" for an empty cell of a column pandas holds
    # as objects (all empty), "nan" for one it holds as text.
    mapping, _ = FEATURES["a filter"]
    text = "id,year,school,grade,att,earned,fails,note\nS1,2026,104,9,6,5.5,1,\n"
    text += "S2,2026,104,10,7.25,7.25,0,None\nS3,2026,104,11,x,y,z,nan\n"
    for wanted in (None, "nan"):
        filtered = {"outputs": [{**mapping["outputs"][0], "filter": {"note": wanted}}]}
        for body in (text, "\n".join(line.rsplit(",", 1)[0] + "," for line in text.split("\n"))):
            with tempfile.TemporaryDirectory() as folder:
                fast, slow = both(Path(folder), body, filtered, settings)
            assert_same(fast, slow)
            assert fast.path == "python"


def test_a_value_map_to_text_with_spaces_is_left_to_the_python_path(tmp_path, settings):
    mapping = load_mapping(STATE)
    mapping["outputs"][0]["values"]["subject"]["Math"] = " math "
    fast, slow = both(tmp_path, HEADER + "\n".join(ROWS) + "\n", mapping, settings)
    assert_same(fast, slow)
    assert fast.path == "python" and fast.kind == "failed"  # " math " is no subject


def test_limits_hold_on_the_sql_path(tmp_path, settings):
    settings.DISTRICTPM_MAX_ROWS = 2
    fast, slow = both(tmp_path, HEADER + "\n".join(ROWS) + "\n", STATE, settings)
    assert_same(fast, slow)
    assert fast.kind == "refused" and "more than 2 rows" in fast.detail
    settings.DISTRICTPM_MAX_ROWS = 10
    settings.DISTRICTPM_MAX_FIELD_CHARS = 5
    fast, slow = both(tmp_path, HEADER + "S123456,2025-26,101,03,ELA,1,1,1\n", STATE, settings)
    assert_same(fast, slow)
    assert fast.kind == "failed" and "at most 5" in fast.detail[0][3]


def test_a_good_file_takes_the_sql_path_and_reimporting_it_replaces_its_rows(tmp_path, settings):
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    db = tmp_path / "store.duckdb"
    first = run(path, STATE, db, sql=True, django_settings=settings)
    again = run(path, STATE, db, sql=True, django_settings=settings)
    assert first.path == again.path == "sql"
    assert first.tables["assessments"] == again.tables["assessments"]
    assert len(again.tables["_imports"]) == 2
    changed = tmp_path / "changed.csv"
    changed.write_text(HEADER + "S1,2025-26,101,03,ELA,999,4,99\nS9,2025-26,101,3,ELA,1,1,1\n")
    fast = run(changed, STATE, db, sql=True, django_settings=settings)
    slow_db = tmp_path / "slow.duckdb"
    for file in (path, path, changed):
        slow = run(file, STATE, slow_db, sql=False, django_settings=settings)
    assert fast.path == "sql" and fast.tables == slow.tables
    scores = {r[0]: r[7] for r in fast.tables["assessments"]}
    assert scores == {"S1": 999.0, "S2": 650.5, "S3": 599.0, "S9": 1.0}


def test_an_error_after_the_commit_never_imports_the_file_twice(tmp_path, settings, monkeypatch):
    def failing_cleanup(con, plan):
        raise duckdb.IOException("the disk went away")

    monkeypatch.setattr(sql_import, "_drop_stages", failing_cleanup)
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    outcome = run(path, STATE, tmp_path / "s.duckdb", sql=True, django_settings=settings)
    assert outcome.kind == "imported" and outcome.path == "sql"
    assert len(outcome.tables["_imports"]) == 1 and len(outcome.tables["assessments"]) == 3


def test_a_bad_file_gets_its_report_even_when_the_store_is_busy(tmp_path, settings):
    # Another process writing to the store holds its lock; the Python path reports a bad file
    # without opening the store, and so must an import that tries the SQL path first.
    db = tmp_path / "busy.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(db)!r}); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        bad = tmp_path / "bad.csv"
        bad.write_text(HEADER + "S1,2025-26,101,03,Art,701,3,50\n")
        settings.DISTRICTPM_IMPORT_SQL = True
        with pytest.raises(ImportFailed) as failure:
            import_file(bad, STATE, store_path=db)
        assert [e.column for e in failure.value.result.errors] == ["Subject"]
    finally:
        holder.kill()
        holder.wait()


def test_the_sql_path_reports_progress_to_the_end(tmp_path, settings):
    path = tmp_path / "scores.csv"
    path.write_text(HEADER + "\n".join(ROWS) + "\n")
    calls = []
    settings.DISTRICTPM_IMPORT_SQL = True
    before = sql_import.paths_taken["sql"]
    import_file(path, STATE, store_path=tmp_path / "s.duckdb", progress=lambda *a: calls.append(a))
    assert sql_import.paths_taken["sql"] == before + 1
    assert calls[-1] == (3, 3)


def test_whitespace_is_what_str_strip_removes_from_a_field():
    line_breaks_and_controls = {chr(c) for c in (*range(0x0A, 0x0E), *range(0x1C, 0x20))}
    spaces = {chr(c) for c in range(0x110000) if chr(c).isspace()} - line_breaks_and_controls
    assert set(sql_import.WHITESPACE) == spaces


# ------------------------------------------------------------------ bad cells, at random

GOOD = {
    "SchoolYear": ["2025-26", "2025-2026", " 2024-25", "2024 - 25"],
    "SchoolCode": ["101", "7", "A-12"],
    "Grade": ["03", "3", "K", "kg", "12", " 8 "],
    "Subject": ["ELA", "Math", "Science", "math"],
    "ScaleScore": ["701", "650.5", "", "*", "1,234", "1e3", "-0", "2.5%"],
    "PerfLevel": ["1", "4", "", "N/A", "+2", "03"],
    "SGP": ["50", "", "*", "99.5", "<10"],
}
BAD = {
    "StudentID": ["", "*", "x" * 30 + "\x01"],
    "SchoolYear": ["2025-27", "2025", "", "25-26", "2025-2026-27"],
    "SchoolCode": ["", "7" * 21, "s"],
    "Grade": ["14", "all", "", "0000", "3rd"],
    "Subject": ["Art", "", "ELA2"],
    "ScaleScore": ["abc", "inf", "nan", "1e999", "9" * 41, "1,2,3a"],
    "PerfLevel": ["2.5", "x", "1e30", "99999999999999999999"],
    "SGP": ["-inf", "1..2", "five"],
}
COLUMNS = HEADER.strip().split(",")
FUZZ = hypothesis_settings(
    max_examples=20,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@st.composite
def assessment_files(draw) -> tuple[str, bool]:
    """A file of up to 200 rows of good cells (each a form the SQL path reads), some cells
    replaced by bad ones; and whether any was."""
    count = draw(st.integers(1, 200))
    rng = random.Random(draw(st.integers(0, 2**32)))
    bad_share = draw(st.sampled_from([0.0, 0.0, 0.002, 0.02, 0.2]))
    lines, any_bad = [], False
    for i in range(count):
        cells = [f"S{i}"] + [rng.choice(GOOD[c]) for c in COLUMNS[1:]]
        if rng.random() < bad_share:
            at = rng.randrange(len(COLUMNS))
            cells[at] = rng.choice(BAD[COLUMNS[at]])
            any_bad = True
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    if draw(st.booleans()) and count > 1:
        lines.append(lines[rng.randrange(count)])  # a repeated key
        any_bad = True
    return HEADER + "\n".join(lines) + "\n", any_bad


@FUZZ
@given(file=assessment_files())
def test_random_bad_cells_make_both_paths_reject_with_the_same_errors(settings, file):
    text, any_bad = file
    with tempfile.TemporaryDirectory() as folder:
        fast, slow = both(Path(folder), text, STATE, settings)
    assert_same(fast, slow)
    if any_bad:
        assert slow.kind == "failed" and fast.path == "python"
    else:
        assert slow.kind == "imported" and fast.path == "sql"


# ------------------------------------------------------------------ cell by cell

CONSTANTS = {
    "assessments": {
        "student_id": "S1",
        "school_year": "2025-2026",
        "school_code": "101",
        "grade": "3",
        "subject": "ela",
        "test": "state",
        "test_window": "annual",
    },
    "attendance": {
        "student_id": "S1",
        "school_year": "2025-2026",
        "school_code": "101",
        "grade": "3",
        "month": "2025-09",
        "days_enrolled": 20,
        "days_present": 18,
    },
    "school_values": {**SV, "entity_code": "101", "grade": "all", "period": "2025-2026"},
    "student_years": {
        "student_id": "S1",
        "school_year": "2025-2026",
        "school_code": "101",
        "grade": "3",
        "race": "Asian",
        "gender": "F",
    },
    "enrollments": {
        "student_id": "S1",
        "school_year": "2025-2026",
        "school_code": "101",
        "entry_date": "2025-08-20",
    },
}
# Each case: the table and column read from the file, what else the output says, and forms a
# file usually holds that the SQL path must take as they are.
CELLS = {
    "float": (
        "assessments",
        "scale_score",
        {},
        ["701", "650.5", "-3", ".5", "1e3", "45%", "1,000.5", " 3 ", "*", ""],
    ),
    "whole number": (
        "assessments",
        "performance_level",
        {},
        ["3", "03", "+3", "3.0", "-3", "1,000", "N/A"],
    ),
    "grade": ("assessments", "grade", {}, ["03", "3", "K", "kg", "Pre-K", "12", "pk"]),
    "code list through a value map": (
        "assessments",
        "subject",
        {"values": {"subject": {"ELA": "ela", "Math": "math", "Sci": "science", "M": "Art"}}},
        ["ELA", "Math", "Sci", "ela", " science"],
    ),
    "code length": ("assessments", "school_code", {}, ["101", "A-12", "é" * 20]),
    "free text": ("assessments", "student_id", {}, ["S1", "Zoë", " S 1 ", "\u00a0S2"]),
    "school_year parser": (
        "assessments",
        "school_year",
        {"periods": {"school_year": "school_year"}},
        ["2025-26", "2025-2026", "2025 - 26", "2025/26", "2025–26", "1999-2000"],
    ),
    "year_end parser": (
        "assessments",
        "school_year",
        {"periods": {"school_year": "year_end"}},
        ["2026", "2,026", "2026.0", "+2026"],
    ),
    "year_start parser": (
        "assessments",
        "school_year",
        {"periods": {"school_year": "year_start"}},
        ["2025", "2025.00"],
    ),
    "date parser": (
        "assessments",
        "school_year",
        {"periods": {"school_year": "date"}},
        ["2025-09-01", "2026-06-30", "2025-07-01"],
    ),
    "month parser": ("attendance", "month", {"periods": {"month": "month"}}, ["2025-09-01"]),
    "whole number scaled": (
        "attendance",
        "days_present",
        {"scale": {"days_present": 3}},
        ["3", "12", "0"],
    ),
    "percentage scaled, markers of its own": (
        "school_values",
        "value",
        {"scale": {"value": 0.01}, "constants": {"measure": "m", "denominator": 10.0}},
        ["21.2", "21.2%", "s", "*", "-1", ""],
    ),
    "suppressed marker -1 in a number": (
        "school_values",
        "numerator",
        {"constants": {"measure": "m", "denominator": 4.0}},
        ["-1", "3", "s", "0"],
    ),
    "boolean": ("student_years", "ell", {}, ["yes", "Y", "0", "TRUE", "f", "No", ""]),
    "date": ("enrollments", "entry_date", {}, ["2025-09-01", "2024-02-29"]),
}
EDGES = [
    *["", " ", "3", " 3 ", "03", "003", "0003", "+3", "-3", "-0", "3.0", "3.", "3.5", "3.50"],
    *["1e3", "1E3", "1e-3", ".5", "5.", "1,000", "1,000.5", "1,", ",1", "45%", "45 %", "45%%"],
    *["%", "inf", "-inf", "nan", "NaN", "Infinity", "1e400", "9" * 41, "9" * 40, "1_000"],
    *["9007199254740993", "9223372036854775807", "9223372036854775808", "0x10", "٣", "３"],
    *["\u00a03\u00a0", "\t3\t", "3\u2003", "\u30003", "K", "k", "KG", "kf", "Pre-K", "pre-k"],
    *["P", "PK", "0", "00", "all", "ALL", "Ungraded", "13", "012", "ß", "ǅ", "ı", "İ", "ﬀ"],
    *["2025-26", "2025-2026", "2025 - 26", "2025/26", "2025–26", "2025 – 2026", "2099-00"],
    *["1999-2000", "0999-00", "0999-1000", "2025-27", "2025-2027", "2025", "2026.0", "20,26"],
    *["2025-09-01", "2025-9-1", "2025-02-30", "2024-02-29", "1677-01-01", "2262-12-31"],
    *["2025-09-01T10:00", "09/01/2025", "2025-09", "2025-06-30", "2025-07-01", " 2025-09-01"],
    *["yes", "Y", "no", "N", "TRUE", "true", "t", "F", "1", "1.0", "0.0", "Yes ", "y\u00a0"],
    *["*", "s", "-", "--", "N/A", "NA", "n/a", "~", "<5", "<10", "n<10", "-1", "-1.0"],
    *["ELA", "Math", "Sci", "M", "Science", "ela", "Art", "x" * 25, "é" * 20, "é" * 21, "Zoë"],
]
TEXT = "0123456789+-.,eE% \t\u00a0\u2003Kk/–x_*s"


def _cells() -> list[str]:
    """The edge cases, and strings of the characters that number, date and code text hold."""
    rng = random.Random(2026)
    made = ["".join(rng.choice(TEXT) for _ in range(rng.randint(1, 9))) for _ in range(1500)]
    made += [f"{rng.randint(1990, 2030)}-{rng.randint(0, 99):02d}" for _ in range(200)]
    made += [str(rng.uniform(-1e6, 1e6)) for _ in range(200)]
    return EDGES + made


def _cell_mapping(table: str, column: str, extra: dict) -> dict:
    constants = {**CONSTANTS[table], **extra.get("constants", {})}
    constants.pop(column, None)
    out = {"table": table, "columns": {column: "v"}, "constants": constants}
    out.update({k: v for k, v in extra.items() if k != "constants"})
    return {"suppressed": ["s", "*", "N/A", "-1"], "outputs": [out]}


def _python_verdicts(mapping: dict, values: list[str], monkeypatch) -> dict[int, dict | None]:
    """The Python path's verdict on each value as the cell of a row: its typed row, or None
    for a row error (importer._convert_output itself, without the reading)."""
    out = mapping["outputs"][0]
    table = TABLES[out["table"]]
    rules = importer._CellRules(
        types={c.name: c for c in table.columns},
        value_maps=out.get("values", {}),
        periods=out.get("periods", {}),
        markers={str(m) for m in mapping["suppressed"]},
        field_cap=limits().max_field_chars,
    )
    frame = pd.DataFrame({"v": [v if v != "" else None for v in values]}, dtype=object)
    source = importer.Source(frame, list(range(len(values))))
    result = importer.ImportResult(file="f.csv", file_hash="")
    monkeypatch.setattr(importer, "MAX_ERRORS", len(values) + 1)  # every verdict, not 1000
    counter = importer._Progress(lambda *a: None, len(values))
    rows = importer._convert_output(out, table, rules, source, result, counter)
    verdicts: dict[int, dict | None] = {r.pop("_line"): r for r in rows}
    verdicts.update({e.line: None for e in result.errors})
    return verdicts


def _sql_verdicts(mapping: dict, values: list[str]) -> list[tuple[bool, dict]]:
    """The compiled SQL's verdict on each value: (bad, typed row), in the values' order."""
    facts = sql_import.FileFacts(
        headers=["v"],
        longest_line=10**6,
        ascii=False,
        spaces=True,
        tabs=True,
        quotes=True,
        percent=True,
    )
    plan = sql_import.compile_mapping(mapping, facts)
    [(table, [entry])] = plan.entries.items()
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE cells AS SELECT unnest(range(len($1))) AS i, unnest($1) AS c0",
        [[v if v != "" else None for v in values]],
    )
    source = sql_import.source_sql("(SELECT c0 FROM cells ORDER BY i)", plan, facts, 10_000)
    con.execute(f"CREATE VIEW {sql_import.SOURCE} AS {source}")
    cursor = con.execute(entry)
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert len(rows) == len(values)
    return [(r.pop("_bad"), r) for r in rows if r.pop("_keep")]


@pytest.mark.parametrize("case", sorted(CELLS))
def test_the_sql_verdict_on_each_cell_is_never_looser_than_the_python_one(case, monkeypatch):
    table, column, extra, usual = CELLS[case]
    mapping = _cell_mapping(table, column, extra)
    values = usual + _cells()
    python = _python_verdicts(mapping, values, monkeypatch)
    sql = _sql_verdicts(mapping, values)
    for index, (bad, row) in enumerate(sql):
        expected = python[index]
        if expected is None:
            assert bad, f"{values[index]!r}: the Python path refuses it, the SQL path took it"
        elif not bad:
            got = {k: row[k] for k in expected}
            assert got == expected, values[index]
            assert all(type(got[k]) is type(expected[k]) for k in got if got[k] is not None)
        else:  # stricter than the Python path is allowed, though not for the usual forms
            assert index >= len(usual), f"{values[index]!r}: the SQL path refuses a usual form"
    assert all(python[i] is not None for i in range(len(usual)))  # the usual forms are good
