"""Bad student-data files are refused clearly; no non-finite number reaches the store.

Each case is one the hardening review found (issue 9, findings 7-10): the importer function, the
`districtpm data import` command and the web upload, with the store checked unchanged after.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from districtpm.analytics import store
from districtpm.analytics.importer import ImportFailed, import_file
from districtpm.metrics.models import DataImport

MAPPINGS = Path(__file__).resolve().parents[1] / "mappings"
MAPPING = MAPPINGS / "state-assessment-results.yaml"
HEADER = "StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP\n"
GOOD_ROW = "S1,2025-26,101,03,ELA,701,3,50\n"


def counts(path: Path) -> dict[str, int]:
    with store.connect(path) as con:
        return store.table_counts(con)


@pytest.fixture
def one_row_store(tmp_path) -> Path:
    """A store holding one good row, so "unchanged" is checked against something."""
    path = tmp_path / "a.duckdb"
    good = tmp_path / "good.csv"
    good.write_text(HEADER + GOOD_ROW)
    import_file(good, MAPPING, store_path=path)
    assert counts(path)["assessments"] == 1
    return path


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def row_errors(path: Path, db: Path) -> list[tuple[int, str, str]]:
    """The file's row errors, after checking the import failed and left the store unchanged."""
    before = counts(db)
    with pytest.raises(ImportFailed) as failure:
        import_file(path, MAPPING, store_path=db)
    assert counts(db) == before
    return [(e.line, e.column, e.reason) for e in failure.value.result.errors]


def refusal(path: Path, db: Path) -> str:
    """The message a file refused as a whole gets, after checking the store is unchanged."""
    before = counts(db)
    with pytest.raises(ValueError) as refused:  # intake.InputRefused is a ValueError
        import_file(path, MAPPING, store_path=db)
    assert not isinstance(refused.value, ImportFailed)
    assert counts(db) == before
    message = str(refused.value)
    assert str(path.parent) not in message  # never a server path
    return message


def xlsx(rows: list[list], *, blank_rows: int = 0) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for i in range(blank_rows):  # styled but empty cells, as a formatted column leaves
        sheet.cell(row=len(rows) + 1 + i, column=1).number_format = "0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_sheet_xml(data: bytes, sheet_xml: bytes) -> bytes:
    """The workbook with its first sheet's XML replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            target.writestr(item, sheet_xml if item.filename.endswith("sheet1.xml") else body)
    return out.getvalue()


SHEET = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
ENTITY_BOMB = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    + b"]>\n"
    + SHEET
    + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    b"</sheetData></worksheet>"
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    + SHEET
    + b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&e;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


def bad_files() -> dict[str, bytes]:
    """Files that must be refused as a whole; each ended in a traceback before."""
    good_xlsx = xlsx([HEADER.strip().split(","), GOOD_ROW.strip().split(",")])
    not_xlsx = io.BytesIO()
    with zipfile.ZipFile(not_xlsx, "w") as z:
        z.writestr("a.txt", "x")
    return {
        "random.csv": bytes(range(256)) * 8,
        "random.xlsx": bytes(range(256)) * 8,
        "random.parquet": bytes(range(256)) * 8,
        "empty.csv": b"",
        "empty.xlsx": b"",
        "empty.parquet": b"",
        "latin1.csv": (HEADER + "S\xe9,2025-26,101,03,ELA,701,3,50\n").encode("latin-1"),
        "utf16-without-bom.csv": (HEADER + GOOD_ROW).encode("utf-16-le"),
        "entity-bomb.xlsx": with_sheet_xml(good_xlsx, ENTITY_BOMB),
        "external-entity.xlsx": with_sheet_xml(good_xlsx, EXTERNAL_ENTITY),
        "truncated.xlsx": with_sheet_xml(good_xlsx, SHEET + b"<sheetData><row r="),
        "zip-not-xlsx.xlsx": not_xlsx.getvalue(),
    }


# ------------------------------------------------------------------ finding 7: finite numbers


@pytest.mark.parametrize(
    "score",
    ["inf", "-inf", "Infinity", "nan", "NaN", "1e400", "9" * 400],
)
def test_a_non_finite_score_is_a_row_error(tmp_path, one_row_store, score):
    path = write(tmp_path, "scores.csv", HEADER + f"S2,2025-26,101,03,ELA,{score},3,50\n")
    [(line, column, reason)] = row_errors(path, one_row_store)
    assert (line, column) == (2, "ScaleScore")
    assert "finite" in reason or "too many digits" in reason
    assert len(reason) < 120  # a huge value is quoted shortened


def test_a_school_code_longer_than_any_school_code_is_a_row_error(tmp_path, one_row_store):
    # It would become a metric value's entity code (30 characters on PostgreSQL: a 500).
    path = write(tmp_path, "long.csv", HEADER + "S2,2025-26," + "7" * 5000 + ",03,ELA,700,3,50\n")
    [(line, column, reason)] = row_errors(path, one_row_store)
    assert (line, column) == (2, "SchoolCode")
    assert "at most 20 characters" in reason and len(reason) < 120


def test_a_ten_million_digit_score_is_a_row_error(tmp_path, one_row_store):
    path = write(
        tmp_path, "huge.csv", HEADER + "S2,2025-26,101,03,ELA," + "9" * 10_000_000 + ",3,\n"
    )
    [(line, column, reason)] = row_errors(path, one_row_store)
    assert (line, column) == (2, "ScaleScore")
    assert "at most 10,000" in reason


@pytest.mark.parametrize("level", ["inf", "nan", "1e30", "99999999999999999999"])
def test_a_non_finite_or_huge_whole_number_is_a_row_error_not_a_crash(
    tmp_path, one_row_store, level
):
    path = write(tmp_path, "levels.csv", HEADER + f"S2,2025-26,101,03,ELA,700,{level},50\n")
    [(line, column, _)] = row_errors(path, one_row_store)
    assert (line, column) == (2, "PerfLevel")


def test_no_stored_number_is_infinite_or_nan(tmp_path, one_row_store):
    # the largest finite values are still accepted, and stored as they are
    path = write(tmp_path, "edge.csv", HEADER + "S2,2025-26,101,03,ELA,1.7e308,3,-0\n")
    import_file(path, MAPPING, store_path=one_row_store)
    with store.connect(one_row_store) as con:
        bad = con.execute(
            "SELECT count(*) FROM assessments WHERE NOT isfinite(scale_score) "
            "OR NOT isfinite(growth_percentile)"
        ).fetchone()[0]
        assert con.execute("SELECT max(scale_score) FROM assessments").fetchone()[0] == 1.7e308
    assert bad == 0


def test_an_infinite_parquet_value_is_a_row_error(tmp_path, one_row_store):
    frame = pd.DataFrame(
        {
            "StudentID": ["S2"],
            "SchoolYear": ["2025-26"],
            "SchoolCode": ["101"],
            "Grade": ["3"],
            "Subject": ["ELA"],
            "ScaleScore": [float("inf")],
            "PerfLevel": ["3"],
            "SGP": ["50"],
        }
    )
    path = tmp_path / "scores.parquet"
    frame.to_parquet(path, index=False)
    assert [(e[0], e[1]) for e in row_errors(path, one_row_store)] == [(1, "ScaleScore")]


# ------------------------------------------------------------------ finding 8: no tracebacks


@pytest.mark.parametrize("name", sorted(bad_files()))
def test_a_bad_file_is_refused_with_a_clear_message(tmp_path, one_row_store, name):
    path = write(tmp_path, name, bad_files()[name])
    message = refusal(path, one_row_store)
    assert name in message
    for internal in ("Error", "Traceback", "codec", "0x", "zip file", "magic"):
        assert internal not in message, message


@pytest.mark.parametrize("name", ["random.xlsx", "latin1.csv", "entity-bomb.xlsx", "empty.parquet"])
def test_the_command_refuses_a_bad_file_without_a_traceback(tmp_path, settings, name):
    settings.ANALYTICS_PATH = tmp_path / "cli.duckdb"
    path = write(tmp_path, name, bad_files()[name])
    with pytest.raises(CommandError) as error:
        call_command("data", "import", str(path), "--mapping", str(MAPPING), "--no-recompute")
    assert name in str(error.value) and "Nothing was imported" in str(error.value)
    assert str(tmp_path) not in str(error.value)
    assert counts(settings.ANALYTICS_PATH)["assessments"] == 0


def test_the_installed_command_prints_no_traceback(tmp_path):
    """The real `districtpm` program, in a fresh process with its own var folder."""
    program = Path(sys.executable).parent / "districtpm"
    env = {**os.environ, "DISTRICTPM_VAR": str(tmp_path / "var")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("DATABASE_URL", None)  # its own SQLite file, never the suite's server database
    for name in ("random.csv", "entity-bomb.xlsx"):
        path = write(tmp_path, name, bad_files()[name])
        done = subprocess.run(
            [
                str(program),
                "data",
                "import",
                str(path),
                "--mapping",
                str(MAPPING),
                "--no-recompute",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )
        assert done.returncode != 0
        assert "Traceback" not in done.stderr, done.stderr[-2000:]
        assert name in done.stderr and "Nothing was imported" in done.stderr


# ------------------------------------------------------------------ finding 9: size and rows


def test_a_file_over_the_size_limit_is_refused_before_reading(tmp_path, one_row_store, settings):
    settings.DISTRICTPM_MAX_UPLOAD_MB = 0.001  # about 1 KB
    path = write(tmp_path, "big.csv", HEADER + GOOD_ROW.replace("S1", "S2") * 100)
    assert "at most" in refusal(path, one_row_store)


def test_a_csv_over_the_row_limit_is_refused(tmp_path, one_row_store, settings):
    settings.DISTRICTPM_MAX_ROWS = 10
    rows = "".join(f"S{i},2025-26,101,03,ELA,701,3,50\n" for i in range(11))
    assert "more than 10 rows" in refusal(write(tmp_path, "many.csv", HEADER + rows), one_row_store)


def test_a_workbook_of_blank_rows_is_refused_by_the_row_limit(tmp_path, one_row_store, settings):
    settings.DISTRICTPM_MAX_ROWS = 100
    data = xlsx([HEADER.strip().split(",")], blank_rows=1000)
    assert "more than 100 rows" in refusal(write(tmp_path, "blank.xlsx", data), one_row_store)


def test_a_workbook_over_the_expanded_limit_is_refused(tmp_path, one_row_store, settings):
    settings.DISTRICTPM_MAX_EXPANDED_MB = 0.01  # about 10 KB expanded
    rows = [HEADER.strip().split(",")] + [["S1", "2025-26", "101", "3", "ELA", "x" * 50]] * 300
    assert "expands to" in refusal(write(tmp_path, "wide.xlsx", xlsx(rows)), one_row_store)


# ------------------------------------------------------------------ finding 10: no silent guesses


def test_duplicate_headers_are_refused_in_every_format(tmp_path, one_row_store):
    headers = HEADER.strip().split(",") + ["scalescore "]
    values = GOOD_ROW.strip().split(",") + ["999"]
    csv_path = write(tmp_path, "dup.csv", ",".join(headers) + "\n" + ",".join(values) + "\n")
    xlsx_path = write(tmp_path, "dup.xlsx", xlsx([headers, values]))
    for path in (csv_path, xlsx_path):
        message = refusal(path, one_row_store)
        assert "appears twice" in message and "(columns 6 and 9)" in message


def test_nul_bytes_and_overlong_fields_are_row_errors(tmp_path, one_row_store):
    text = (
        HEADER
        + "S2\x00,2025-26,101,03,ELA,701,3,50\n"  # line 2: a NUL byte
        + "S3,2025-26,101,03,ELA,701,3,50\n"  # line 3: fine
        + f"S4,2025-26,101,03,{'E' * 10_001},701,3,50\n"  # line 4: over the field limit
        + "S5,2025-26,101,03,ELA,701,3,50,extra\n"  # line 5: a value with no column
    )
    errors = row_errors(write(tmp_path, "fields.csv", text), one_row_store)
    errors.sort()
    assert [(line, column) for line, column, _ in errors] == [
        (2, "StudentID"),
        (4, "Subject"),
        (5, "(after the last)"),
    ]
    assert "NUL" in errors[0][2] and "at most 10,000" in errors[1][2]


# ------------------------------------------------------------------ the web upload


def post(client, name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return client.post(
        reverse("metrics:import"), {"file": f, "mapping": "state-assessment-results"}
    )


def test_the_web_import_refuses_bad_files_and_infinite_numbers(world, login, store_copy):
    client = login(world.users["pm"])
    before = counts(store_copy)
    post(client, "scores.csv", (HEADER + "X1,2025-26,101,03,ELA,inf,3,55\n").encode())
    task = DataImport.objects.latest("pk")
    assert task.status == "failed" and task.errors[0]["column"] == "ScaleScore"
    post(client, "bomb.xlsx", bad_files()["entity-bomb.xlsx"])
    task = DataImport.objects.latest("pk")
    # the import's own refusal reaches the page, not a generic "could not be read"
    assert task.status == "failed" and "bomb.xlsx" in task.summary
    assert "entit" in task.summary.lower() and "Nothing was changed" in task.summary
    assert "Traceback" not in task.summary
    assert counts(store_copy) == before


def test_the_web_import_refuses_a_file_over_the_size_limit(world, login, store_copy, settings):
    settings.DISTRICTPM_MAX_UPLOAD_MB = 0.001
    client = login(world.users["pm"])
    response = post(client, "big.csv", (HEADER + GOOD_ROW * 100).encode())
    assert response.status_code == 400
    assert "big.csv is" in response.content.decode() and "at most" in response.content.decode()
    assert not DataImport.objects.exists()
    uploads = store_copy.parent / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())  # nothing stored
