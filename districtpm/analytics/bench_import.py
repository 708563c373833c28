"""`make bench-import`: importing a large student assessment CSV, the product against DuckDB.

    python -m districtpm.analytics.bench_import --rows 2000000

Generates a realistic state-assessment export for the shipped mapping
(mappings/state-assessment-results.yaml): StudentID, SchoolYear like 2025-26, SchoolCode,
Grade 03…08, Subject ELA/Math/Science, ScaleScore, PerfLevel, SGP (empty in grade 3, a few
suppressed markers). Then, in separate forked processes so each one's peak memory can be read,
interleaved over a few runs (the machine may be busy):

(a) the product: `importer.import_file` into a fresh store;
(b) the baseline, what a DuckDB specialist would write for the same job: DuckDB's read_csv of
    the same file, the mapping and its checks in SQL (required values, numbers, codes, grades,
    code length, repeated keys), the rows replacing any with the same key in the same canonical
    table of a fresh DuckDB file, with the same thread count.

Both stores are then checked to hold the same rows. The last line printed is
`import_s=… duckdb_s=… ratio=… import_peak_mb=… duckdb_peak_mb=…`: the median seconds of each
side, the median of the runs' ratios, and the largest peak memory of each side.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

MAPPING = Path(__file__).resolve().parent / "mappings" / "state-assessment-results.yaml"
HEADER = ["StudentID", "SchoolYear", "SchoolCode", "Grade", "Subject", "ScaleScore", "PerfLevel"]
HEADER += ["SGP"]
YEARS = ["2024-25", "2025-26"]
SUBJECTS = ["ELA", "Math", "Science"]
SCHOOLS = 60
MARKERS = ["*", "N/A", "<10"]


def _setup_django(var: Path) -> None:
    """Django with its own var folder and store, so the benchmark never touches a real one."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "districtpm.settings"
    os.environ["DISTRICTPM_VAR"] = str(var)
    os.environ["ANALYTICS_PATH"] = str(var / "analytics.duckdb")
    os.environ.pop("ANALYTICS_URL", None)
    os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()


# ------------------------------------------------------------------ the file


def write_csv(path: Path, rows: int, seed: int) -> None:
    """A state assessment export of `rows` rows: each student tested in three subjects in two
    school years (a grade higher in the second), sorted by student as portals export them."""
    rng = np.random.default_rng(seed)
    students = -(-rows // (len(YEARS) * len(SUBJECTS)))
    first_grade = rng.integers(3, 8, students)  # 3…7, so 4…8 in the second year
    school = rng.integers(0, SCHOOLS, students)
    moved = rng.random(students) < 0.08  # a few change school between the years
    per_student = len(YEARS) * len(SUBJECTS)
    n = students * per_student
    sid = np.repeat(np.arange(1, students + 1), per_student)
    year = np.tile(np.repeat(np.arange(len(YEARS)), len(SUBJECTS)), students)
    grade = np.repeat(first_grade, per_student) + year
    school_of = np.repeat(school, per_student)
    school_of = np.where(
        np.repeat(moved, per_student) & (year == 1), (school_of + 7) % SCHOOLS, school_of
    )
    score = np.clip(rng.normal(2500, 90, n).round(), 2100, 2900).astype(np.int64)
    sgp = rng.integers(1, 100, n)
    marker = rng.random(n)
    frame = {
        "sid": sid,
        "year": year,
        "school": 101 + school_of,
        "grade": grade,
        "subject": np.tile(np.arange(len(SUBJECTS)), students * len(YEARS)),
        "score": score,
        "sgp": sgp,
        "marker": marker,
    }
    data = pd.DataFrame({k: v[:rows] for k, v in frame.items()})
    con = duckdb.connect()
    con.register("g", data)
    years = "[" + ", ".join(f"'{y}'" for y in YEARS) + "]"
    subjects = "[" + ", ".join(f"'{s}'" for s in SUBJECTS) + "]"
    markers = "[" + ", ".join(f"'{m}'" for m in MARKERS) + "]"
    con.execute(
        f"""
        COPY (
          SELECT printf('S%07d', sid) AS StudentID,
                 {years}[year + 1] AS SchoolYear,
                 CAST(school AS VARCHAR) AS SchoolCode,
                 printf('%02d', grade) AS Grade,
                 {subjects}[subject + 1] AS Subject,
                 CASE WHEN marker < 0.002 THEN {markers}[1 + CAST(floor(marker * 1500) AS INTEGER)]
                      ELSE CAST(score AS VARCHAR) END AS ScaleScore,
                 CASE WHEN marker < 0.002 THEN NULL
                      ELSE CAST(least(4, greatest(1, (score - 2350) // 100 + 1)) AS VARCHAR)
                 END AS PerfLevel,
                 CASE WHEN grade = 3 THEN NULL
                      WHEN marker > 0.99 THEN {markers}[1 + CAST(floor((marker - 0.99) * 299) AS INTEGER)]
                      ELSE CAST(sgp AS VARCHAR) END AS SGP
          FROM g ORDER BY sid, year, subject
        ) TO '{path}' (HEADER, DELIMITER ',')
        """
    )
    con.close()


# ------------------------------------------------------------------ (a) the product


def run_product(csv_path: str, db_path: str) -> dict:
    from districtpm.analytics import importer, sql_import

    started = time.perf_counter()
    result = importer.import_file(Path(csv_path), MAPPING, store_path=Path(db_path))
    seconds = time.perf_counter() - started
    if sql_import.paths_taken["sql"] != 1:
        raise RuntimeError("the import did not take the SQL path")
    return {"seconds": seconds, "rows": result.rows["assessments"]}


# ------------------------------------------------------------------ (b) the baseline


def baseline_sql(csv_path: str) -> str:
    """The mapping written by hand in DuckDB SQL: every column as text, the same conversions
    and checks as the mapping's, a `bad` flag on any row that fails one."""
    from districtpm.analytics.importer import DEFAULT_MARKERS
    from districtpm.analytics.schema import GRADES, SUBJECTS

    columns = ", ".join(f"'{h}': 'VARCHAR'" for h in HEADER)
    markers = ", ".join(f"'{m}'" for m in DEFAULT_MARKERS)
    grades = ", ".join(f"'{g}'" for g in GRADES)
    subjects = ", ".join(f"'{s}'" for s in SUBJECTS)
    return f"""
    WITH src AS (
      SELECT * FROM read_csv('{csv_path}', header = true, auto_detect = false, delim = ',',
                             quote = '"', escape = '"', columns = {{{columns}}})
    ), typed AS (
      SELECT
        StudentID AS student_id,
        CASE WHEN regexp_full_match(SchoolYear, '[0-9]{{4}}-[0-9]{{2}}')
             AND CAST(SchoolYear[6:7] AS INTEGER) = (CAST(SchoolYear[1:4] AS INTEGER) + 1) % 100
             THEN SchoolYear[1:4] || '-' || CAST(CAST(SchoolYear[1:4] AS INTEGER) + 1 AS VARCHAR)
        END AS school_year,
        SchoolCode AS school_code,
        CASE WHEN upper(Grade) IN ('K', 'KG', '0', '00') THEN 'K'
             WHEN upper(Grade) IN ('PK', 'P', 'PRE-K') THEN 'PK'
             ELSE CAST(TRY_CAST(Grade AS INTEGER) AS VARCHAR) END AS grade,
        CASE Subject WHEN 'ELA' THEN 'ela' WHEN 'Math' THEN 'math'
             WHEN 'Science' THEN 'science' WHEN 'English Language Arts' THEN 'ela'
             ELSE Subject END AS subject,
        'state' AS test,
        'annual' AS test_window,
        CASE WHEN ScaleScore IN ({markers}) THEN NULL ELSE TRY_CAST(ScaleScore AS DOUBLE) END
          AS scale_score,
        CASE WHEN PerfLevel IN ({markers}) THEN NULL ELSE TRY_CAST(PerfLevel AS BIGINT) END
          AS performance_level,
        CASE WHEN SGP IN ({markers}) THEN NULL ELSE TRY_CAST(SGP AS DOUBLE) END
          AS growth_percentile,
        ScaleScore NOT IN ({markers}) AS score_given,
        PerfLevel NOT IN ({markers}) AS level_given,
        SGP NOT IN ({markers}) AS sgp_given
      FROM src
    )
    SELECT * EXCLUDE (score_given, level_given, sgp_given),
      student_id IS NULL OR school_year IS NULL OR school_code IS NULL
      OR strlen(school_code) > 20 OR grade IS NULL OR grade NOT IN ({grades})
      OR subject IS NULL OR subject NOT IN ({subjects})
      OR (score_given AND (scale_score IS NULL OR NOT isfinite(scale_score)))
      OR (level_given AND performance_level IS NULL)
      OR (sgp_given AND (growth_percentile IS NULL OR NOT isfinite(growth_percentile)))
      AS bad
    FROM typed
    """


def run_baseline(csv_path: str, db_path: str) -> dict:
    from districtpm.analytics.schema import TABLES, ddl

    spec = TABLES["assessments"]
    cols = ", ".join(spec.column_names)
    keys = ", ".join(spec.key)
    started = time.perf_counter()
    con = duckdb.connect(db_path)
    con.execute(f"SET threads = {os.cpu_count()}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(ddl(spec))
    con.execute(
        "CREATE TABLE IF NOT EXISTS _imports (file_hash VARCHAR, file_name VARCHAR, "
        "table_name VARCHAR, rows BIGINT, school_years VARCHAR, task_id VARCHAR, "
        "imported_at TIMESTAMP DEFAULT current_timestamp)"
    )
    con.execute(f"CREATE TEMP TABLE staged AS {baseline_sql(csv_path)}")
    bad, rows = con.execute("SELECT count_if(bad), count(*) FROM staged").fetchone()
    repeated = con.execute(
        f"SELECT EXISTS (SELECT 1 FROM staged GROUP BY {keys} HAVING count(*) > 1)"
    ).fetchone()[0]
    if bad or repeated:
        raise RuntimeError(f"the baseline found {bad} bad row(s), repeated keys: {repeated}")
    years = [r[0] for r in con.execute("SELECT DISTINCT school_year FROM staged").fetchall()]
    on = " AND ".join(f"t.{k} IS NOT DISTINCT FROM s.{k}" for k in spec.key)
    con.execute("BEGIN TRANSACTION")
    con.execute(f"DELETE FROM assessments t USING staged s WHERE {on}")
    con.execute(f"INSERT INTO assessments ({cols}) SELECT {cols} FROM staged")
    con.execute(
        "INSERT INTO _imports (file_name, table_name, rows, school_years) VALUES (?, ?, ?, ?)",
        [Path(csv_path).name, "assessments", rows, ",".join(sorted(years))],
    )
    con.execute("COMMIT")
    con.close()
    return {"seconds": time.perf_counter() - started, "rows": rows}


# ------------------------------------------------------------------ measuring


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # every thread of this process
    return usage.ru_utime + usage.ru_stime


def _child(fn: Callable[[str, str], dict], csv_path: str, db_path: str, queue) -> None:
    try:
        cpu = _cpu_seconds()
        stats = fn(csv_path, db_path)
        stats["cpu_s"] = _cpu_seconds() - cpu
        stats["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        queue.put(stats)
    except BaseException as exc:  # report to the parent instead of leaving it waiting
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def measure(fn: Callable[[str, str], dict], csv_path: str, db_path: str) -> dict:
    """Run `fn` in a forked process; its seconds, CPU seconds, rows and peak memory."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=_child, args=(fn, csv_path, db_path, queue))
    process.start()
    stats = queue.get()
    process.join()
    if "error" in stats or process.exitcode:
        raise RuntimeError(f"{fn.__name__} failed: {stats.get('error')}")
    return stats


def same_rows(a: str, b: str) -> tuple[bool, str]:
    """Whether two stores hold the same assessments, compared by an order-free checksum."""
    checks = []
    for path in (a, b):
        con = duckdb.connect(path, read_only=True)
        checks.append(
            con.execute(
                "SELECT count(*), sum(hash(student_id, school_year, school_code, grade, subject, "
                "test, test_window, scale_score, performance_level, growth_percentile)) "
                "FROM assessments"
            ).fetchone()
        )
        con.close()
    return checks[0] == checks[1], f"{checks[0][0]:,} rows"


def main(rows: int, runs: int, seed: int, say: Callable[[str], None] = print) -> None:
    with tempfile.TemporaryDirectory(prefix="districtpm-bench-import-") as tmp:
        folder = Path(tmp)
        (folder / "var").mkdir()
        _setup_django(folder / "var")
        from districtpm.analytics import importer  # noqa: F401  (loaded before the forks)

        csv_path = folder / "state-assessment-results.csv"
        started = time.perf_counter()
        write_csv(csv_path, rows, seed)
        size_mb = csv_path.stat().st_size / 2**20
        say(
            f"file: {rows:,} rows, {size_mb:.0f} MB, written in "
            f"{time.perf_counter() - started:.1f} s; mapping {MAPPING.name}; "
            f"{os.cpu_count()} threads; {runs} interleaved runs"
        )
        pairs = []
        for run in range(1, runs + 1):
            sides = [("import", run_product), ("duckdb", run_baseline)]
            if run % 2 == 0:
                sides.reverse()  # alternate which goes first
            stats = {}
            for name, fn in sides:
                stats[name] = measure(fn, str(csv_path), str(folder / f"{name}-{run}.duckdb"))
            ok, detail = same_rows(
                str(folder / f"import-{run}.duckdb"), str(folder / f"duckdb-{run}.duckdb")
            )
            if not ok:
                raise SystemExit(f"run {run}: the two stores differ ({detail})")
            a, b = stats["import"], stats["duckdb"]
            ratio = a["seconds"] / b["seconds"]
            pairs.append((a, b, ratio))
            say(
                f"run {run}: import {a['seconds']:6.2f} s ({rows / a['seconds']:>9,.0f} rows/s, "
                f"cpu {a['cpu_s']:5.1f} s, peak {a['peak_mb']:4.0f} MB)  "
                f"duckdb {b['seconds']:6.2f} s ({rows / b['seconds']:>9,.0f} rows/s, "
                f"cpu {b['cpu_s']:5.1f} s, peak {b['peak_mb']:4.0f} MB)  "
                f"ratio {ratio:.2f}  same rows: {detail}"
            )
            for name in ("import", "duckdb"):
                for suffix in ("", ".wal"):
                    Path(folder / f"{name}-{run}.duckdb{suffix}").unlink(missing_ok=True)
        import_s = statistics.median(p[0]["seconds"] for p in pairs)
        duckdb_s = statistics.median(p[1]["seconds"] for p in pairs)
        cpu = [statistics.median(p[i]["cpu_s"] for p in pairs) for i in (0, 1)]
        say(
            f"rows/s: import {rows / import_s:,.0f}  duckdb {rows / duckdb_s:,.0f}; "
            f"cpu seconds: import {cpu[0]:.1f}  duckdb {cpu[1]:.1f} (ratio {cpu[0] / cpu[1]:.2f}; "
            f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
        )
        say(
            f"import_s={import_s:.2f} duckdb_s={duckdb_s:.2f} "
            f"ratio={statistics.median(p[2] for p in pairs):.2f} "
            f"import_peak_mb={max(p[0]['peak_mb'] for p in pairs):.0f} "
            f"duckdb_peak_mb={max(p[1]['peak_mb'] for p in pairs):.0f}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    main(args.rows, args.runs, args.seed)
