"""`make bench-scale`: the whole pipeline from a district to a state, scale by scale.

For each scale (small, medium and large districts, a 300,000-student and a 1,000,000-student
state, three school years each) a demo organisation is built once under
var/bench-scale/<scale> with its student data: every table written to the store directly except
the state test results and the monthly attendance, which are written as the CSV files a state
portal and a student information system export. Then, each step in a fresh process so that its
peak memory is its own:

1. import: each file through the product's importer (the shipped mapping), next to DuckDB's own
   read of the same file with the same conversions and checks, inserted into a scratch store;
2. recompute: every metric, split into computing (reading the store), suppressing and storing
   the values in the app database;
3. pages: the district scorecard, a school scorecard and a metric page, median time over
   repeated requests and the number of database queries of each.

The figures of each scale are printed as it finishes, then a table of all scales, then the
growth of each figure from one scale to the next (the next scale's figure over this one's,
beside the growth in store rows), and last one line of `key=value` figures per scale.

With `--engine spark` (`make bench-scale ENGINE=spark`) the store is on Spark in local mode
on this machine's cores (ANALYTICS_ENGINE=spark), in var/bench-scale/<scale>-spark: the imports
check the files as always and Spark loads them; the baseline is still DuckDB's own read.

    python -m districtpm.demo.bench_scale [--scales small,medium,...] [--engine spark] [--rebuild]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

SCALES = ["small", "medium", "large", "state-300k", "state"]
SPARK_CONF = {
    "spark.driver.host": "127.0.0.1",
    "spark.driver.memory": "6g",
    "spark.sql.shuffle.partitions": "8",
}
YEARS = 3
# each table's mapping, and whether its file is one per school year (as systems export them,
# and as the import limits, which a state's deployment raises (below), need)
FILES = {
    "assessments": ("state-assessment-results.yaml", False),
    "attendance": ("sis-monthly-attendance.yaml", True),
}
# A state's files are larger than a district's: the limits a state's deployment would set.
STATE_LIMITS = {"DISTRICTPM_MAX_UPLOAD_MB": "2048", "DISTRICTPM_MAX_ROWS": "50000000"}
MAPPINGS = Path(__file__).resolve().parents[1] / "analytics" / "mappings"
ROOT = Path(__file__).resolve().parents[2] / "var" / "bench-scale"


def _setup_django(var: Path) -> None:
    """Django with the scale's own folder, app database and store."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "districtpm.settings"
    os.environ["DISTRICTPM_VAR"] = str(var)
    os.environ["ANALYTICS_PATH"] = str(var / "analytics.duckdb")
    for name in ("ANALYTICS_URL", "DATABASE_URL"):
        os.environ.pop(name, None)
    import django

    django.setup()


# ------------------------------------------------------------------ building a scale


def build(folder: Path, scale: str, seed: int) -> dict:
    """The organisation, the store's tables other than the two files, and the two files."""
    import duckdb
    import pyarrow as pa
    from django.core.management import call_command
    from django.utils import timezone

    from districtpm.analytics import spark_store, store
    from districtpm.analytics.demo_data import generate
    from districtpm.demo.generator import build_demo
    from districtpm.demo.student_data import school_specs
    from districtpm.org.models import SchoolYear

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_demo(scale, seed, years=YEARS)
    years = [y.name for y in SchoolYear.objects.order_by("start_date")]
    tables = generate(school_specs(scale), years, seed=seed, as_of=timezone.localdate())
    assessments = tables["assessments"]
    state = (assessments["test"] == "state").to_numpy()
    files = {"assessments": assessments[state], "attendance": tables.pop("attendance")}
    tables["assessments"] = assessments[~state]
    if spark_store.enabled():
        spark_store.sync_schools(store._schools_frame())
        staged = {name: spark_store.stage_frame(frame, name) for name, frame in tables.items()}
        logs = [
            {"file_name": "bench-scale generator", "table_name": n, "rows": len(f)}
            for n, f in tables.items()
        ]
        spark_store.write_import(staged, logs)
    else:
        with store.connect() as con:
            store.sync_schools(con)
            for name, frame in tables.items():
                store.replace_rows(con, name, frame)
    con = duckdb.connect()
    con.register("state", pa.Table.from_pandas(files["assessments"], preserve_index=False))
    con.register("attendance", pa.Table.from_pandas(files["attendance"], preserve_index=False))
    year = "school_year[1:5] || school_year[8:9]"  # 2025-2026 as portals write it, 2025-26
    subject = "CASE subject WHEN 'ela' THEN 'ELA' WHEN 'math' THEN 'Math' ELSE 'Science' END"
    exports = {
        "assessments": f"""
            SELECT student_id AS StudentID, {year} AS SchoolYear, school_code AS SchoolCode,
                   CASE WHEN grade IN ('K', 'PK') THEN grade ELSE lpad(grade, 2, '0') END
                     AS Grade,
                   {subject} AS Subject, CAST(CAST(scale_score AS BIGINT) AS VARCHAR)
                     AS ScaleScore,
                   CAST(performance_level AS VARCHAR) AS PerfLevel,
                   CAST(CAST(growth_percentile AS BIGINT) AS VARCHAR) AS SGP
            FROM state ORDER BY student_id, school_year, subject""",
        "attendance": f"""
            SELECT student_id AS StudentID, {year} AS SchoolYear, school_code AS SchoolCode,
                   grade AS Grade, month AS Month, days_enrolled AS DaysEnrolled,
                   days_present AS DaysPresent
            FROM attendance ORDER BY student_id, school_year, month""",
    }
    rows = {}
    for table, query in exports.items():
        if FILES[table][1]:
            for name in years:
                short = name[:5] + name[-2:]
                part = f"SELECT * FROM ({query}) WHERE SchoolYear = '{short}'"
                target = folder / f"{table}-{short}.csv"
                con.execute(f"COPY ({part}) TO '{target}' (HEADER, DELIMITER ',')")
        else:
            con.execute(f"COPY ({query}) TO '{folder / f'{table}.csv'}' (HEADER, DELIMITER ',')")
        rows[table] = len(files[table])
    con.close()
    return {"build_s": time.perf_counter() - started, "file_rows": rows}


# ------------------------------------------------------------------ the steps


def files_of(folder: Path, table: str) -> list[Path]:
    return sorted(folder.glob(f"{table}*.csv"))


def step_import(folder: Path, table: str) -> dict:
    """The table's files through the product's importer into the scale's store, one after
    another (its rows removed first, so each run imports into the same state)."""
    from districtpm.analytics import importer, spark_store, sql_import, store

    if spark_store.enabled():
        spark_store.drop(table)
    else:
        with store.connect() as con:
            con.execute(f"DELETE FROM {table}")
            con.execute("DELETE FROM _imports WHERE table_name = ?", [table])
            con.execute("CHECKPOINT")
    mapping = MAPPINGS / FILES[table][0]
    started = time.perf_counter()
    rows = 0
    for path in files_of(folder, table):
        rows += importer.import_file(path, mapping).rows[table]
    seconds = time.perf_counter() - started
    if sql_import.paths_taken["python"]:
        raise RuntimeError(f"{table}: an import did not take the SQL path")
    return {"seconds": seconds, "rows": rows}


def step_baseline(folder: Path, table: str) -> dict:
    """DuckDB's own read of each file, the same conversions and checks written by hand, and
    the insert into a scratch store, each file in one transaction."""
    import duckdb

    from districtpm.analytics import bench_import
    from districtpm.analytics.schema import TABLES, ddl

    spec = TABLES[table]
    scratch = folder / f"baseline-{table}.duckdb"
    for suffix in ("", ".wal"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    con = duckdb.connect(str(scratch))
    con.execute(f"SET threads = {os.cpu_count()}")
    con.execute("SET preserve_insertion_order = false")
    con.execute(ddl(spec))
    keys = ", ".join(spec.key)
    cols = ", ".join(spec.column_names)
    written = bench_import.baseline_sql if table == "assessments" else attendance_sql
    rows = 0
    for path in files_of(folder, table):
        con.execute(f"CREATE OR REPLACE TEMP TABLE staged AS {written(str(path))}")
        bad, count = con.execute("SELECT count_if(bad), count(*) FROM staged").fetchone()
        repeated = con.execute(
            f"SELECT EXISTS (SELECT 1 FROM staged GROUP BY {keys} HAVING count(*) > 1)"
        ).fetchone()[0]
        if bad or repeated:
            raise RuntimeError(f"the baseline found {bad} bad row(s), repeated keys: {repeated}")
        con.execute("BEGIN TRANSACTION")
        con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM staged")
        con.execute("COMMIT")
        rows += count
    con.close()
    seconds = time.perf_counter() - started
    for suffix in ("", ".wal"):
        Path(f"{scratch}{suffix}").unlink(missing_ok=True)
    return {"seconds": seconds, "rows": rows}


def attendance_sql(csv_path: str) -> str:
    """The attendance mapping by hand, as bench_import.baseline_sql writes the assessments'."""
    from districtpm.analytics.schema import GRADES

    header = ["StudentID", "SchoolYear", "SchoolCode", "Grade", "Month", "DaysEnrolled"]
    columns = ", ".join(f"'{h}': 'VARCHAR'" for h in [*header, "DaysPresent"])
    grades = ", ".join(f"'{g}'" for g in GRADES)
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
        Month AS month,
        TRY_CAST(DaysEnrolled AS BIGINT) AS days_enrolled,
        TRY_CAST(DaysPresent AS BIGINT) AS days_present
      FROM src
    )
    SELECT *,
      student_id IS NULL OR school_year IS NULL OR school_code IS NULL
      OR strlen(school_code) > 20 OR grade IS NULL OR grade NOT IN ({grades})
      OR month IS NULL OR days_enrolled IS NULL OR days_present IS NULL
      AS bad
    FROM typed
    """


def step_recompute(folder: Path) -> dict:
    from districtpm.analytics import spark_store, store
    from districtpm.metrics.compute import recompute

    if spark_store.enabled():
        store_rows = sum(spark_store.table_counts().values())
    else:
        with store.connect(read_only=True) as con:
            store_rows = sum(store.table_counts(con).values())
    timings: dict[str, float] = {}
    started = time.perf_counter()
    run = recompute(timings=timings)
    return {
        "seconds": time.perf_counter() - started,
        "values": run.rows,
        "store_rows": store_rows,
        **timings,
    }


def step_plan(folder: Path) -> dict:
    """The demo's strategic plan on the computed values, and the pages' static files (not
    timed)."""
    from django.core.management import call_command

    from districtpm.demo.plan_data import build_demo_plan
    from districtpm.plans.models import Plan
    from districtpm.plans.progress import after_recompute

    if not Plan.objects.exists():
        build_demo_plan()
    after_recompute()
    call_command("collectstatic", interactive=False, verbosity=0)
    return {}


def step_pages(folder: Path, requests: int = 15) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from districtpm.org.models import School

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="pm.office"))
    school = School.objects.order_by("code").first()
    pages = {
        "district_scorecard": reverse("plans:district_scorecard"),
        "school_scorecard": reverse("plans:school_scorecard", args=[school.code]),
        "metric_page": reverse("metrics:metric", args=["ela_proficiency"]),
    }
    out = {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        out[f"{name}_queries"] = len(captured)
    times: dict[str, list[float]] = {name: [] for name in pages}
    for _ in range(requests):
        for name, url in pages.items():
            begun = time.perf_counter()
            client.get(url)
            times[name].append((time.perf_counter() - begun) * 1000)
            reset_queries()
    for name, values in times.items():
        out[f"{name}_ms"] = statistics.median(values)
    return out


STEPS = {
    "build": lambda folder, scale, seed, arg: build(folder, scale, seed),
    "import": lambda folder, scale, seed, arg: step_import(folder, arg),
    "baseline": lambda folder, scale, seed, arg: step_baseline(folder, arg),
    "recompute": lambda folder, scale, seed, arg: step_recompute(folder),
    "plan": lambda folder, scale, seed, arg: step_plan(folder),
    "pages": lambda folder, scale, seed, arg: step_pages(folder),
}


def _child_main(step: str, folder: Path, scale: str, seed: int, arg: str, engine: str) -> None:
    if scale.startswith("state"):
        os.environ.update(STATE_LIMITS)
    if engine == "spark":
        os.environ.update(ANALYTICS_ENGINE="spark", SPARK_MASTER=f"local[{os.cpu_count()}]")
        os.environ.setdefault("SPARK_CONF", json.dumps(SPARK_CONF))
    _setup_django(folder)
    figures = STEPS[step](folder, scale, seed, arg)
    # this process's peak, and the largest of the processes it started (the suppression's)
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    figures["workers_peak_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print("FIGURES " + json.dumps(figures), flush=True)


def run_step(step: str, folder: Path, scale: str, seed: int, arg: str = "") -> dict:
    """One step in a fresh interpreter: its figures and its wall seconds."""
    command = [sys.executable, "-m", "districtpm.demo.bench_scale", "--step", step]
    command += ["--folder", str(folder), "--scales", scale, "--seed", str(seed), "--arg", arg]
    command += ["--engine", ENGINE[0]]
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{scale}: the {step} step {arg} failed (exit {done.returncode})")
    line = next(x for x in reversed(done.stdout.splitlines()) if x.startswith("FIGURES "))
    figures = json.loads(line[len("FIGURES ") :])
    figures["wall_s"] = time.perf_counter() - started
    return figures


ENGINE = ["duckdb"]


def measure_scale(scale: str, seed: int, rebuild: bool, say) -> dict:
    folder = ROOT / (scale if ENGINE[0] == "duckdb" else f"{scale}-{ENGINE[0]}")
    marker = folder / "built.json"
    if rebuild or not marker.exists() or json.loads(marker.read_text()).get("seed") != seed:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        built = run_step("build", folder, scale, seed)
        marker.write_text(json.dumps({"seed": seed, **built}))
        say(f"{scale}: built in {built['wall_s']:.0f} s ({built['file_rows']})")
    figures: dict = {"scale": scale}
    for table in FILES:
        # alternate which goes first from one scale to the next
        sides = ["import", "baseline"] if SCALES.index(scale) % 2 else ["baseline", "import"]
        for side in sides:
            got = run_step(side, folder, scale, seed, table)
            figures[f"{table}_{side}_s"] = got["seconds"]
            figures[f"{table}_{side}_peak_mb"] = got["peak_mb"]
            figures[f"{table}_rows"] = got["rows"]
        figures[f"{table}_ratio"] = figures[f"{table}_import_s"] / figures[f"{table}_baseline_s"]
    got = run_step("recompute", folder, scale, seed)
    for key in ("compute_s", "suppress_s", "store_s", "values", "store_rows"):
        figures[key] = got[key]
    figures["recompute_s"] = got["seconds"]
    figures["recompute_peak_mb"] = got["peak_mb"]
    figures["recompute_workers_peak_mb"] = got["workers_peak_mb"]
    figures["compute_us_per_row"] = got["compute_s"] / got["store_rows"] * 1e6
    run_step("plan", folder, scale, seed)
    figures.update({k: v for k, v in run_step("pages", folder, scale, seed).items() if k in PAGE})
    say(_line(figures))
    return figures


PAGE = [
    f"{page}_{what}"
    for page in ("district_scorecard", "school_scorecard", "metric_page")
    for what in ("ms", "queries")
]
TABLE = [
    ("store rows", "store_rows", "{:,.0f}"),
    ("values", "values", "{:,.0f}"),
    ("import assessments s", "assessments_import_s", "{:.1f}"),
    ("  duckdb's own s", "assessments_baseline_s", "{:.1f}"),
    ("  ratio", "assessments_ratio", "{:.2f}"),
    ("  peak MB", "assessments_import_peak_mb", "{:,.0f}"),
    ("import attendance s", "attendance_import_s", "{:.1f}"),
    ("  duckdb's own s", "attendance_baseline_s", "{:.1f}"),
    ("  ratio", "attendance_ratio", "{:.2f}"),
    ("  peak MB", "attendance_import_peak_mb", "{:,.0f}"),
    ("recompute s", "recompute_s", "{:.1f}"),
    ("  compute s", "compute_s", "{:.1f}"),
    ("  suppress s", "suppress_s", "{:.1f}"),
    ("  store values s", "store_s", "{:.1f}"),
    ("  peak MB", "recompute_peak_mb", "{:,.0f}"),
    ("  worker peak MB", "recompute_workers_peak_mb", "{:,.0f}"),
    ("compute µs per store row", "compute_us_per_row", "{:.2f}"),
    ("district scorecard ms", "district_scorecard_ms", "{:.1f}"),
    ("  queries", "district_scorecard_queries", "{:.0f}"),
    ("school scorecard ms", "school_scorecard_ms", "{:.1f}"),
    ("  queries", "school_scorecard_queries", "{:.0f}"),
    ("metric page ms", "metric_page_ms", "{:.1f}"),
    ("  queries", "metric_page_queries", "{:.0f}"),
]


def _line(figures: dict) -> str:
    return " ".join(
        f"{key}={figures[key]:.2f}" if isinstance(figures[key], float) else f"{key}={figures[key]}"
        for _, key, _ in TABLE
        if key in figures
    )


def report(results: list[dict], say) -> None:
    names = [r["scale"] for r in results]
    say("")
    say(f"{'':<26}" + "".join(f"{n:>14}" for n in names))
    for label, key, fmt in TABLE:
        say(f"{label:<26}" + "".join(f"{fmt.format(r[key]):>14}" for r in results))
    if len(results) > 1:
        say("")
        say("growth, scale to scale (next / this):")
        pairs = list(zip(results, results[1:], strict=False))
        say(f"{'':<26}" + "".join(f"{a['scale'][:6] + '→' + b['scale'][:6]:>14}" for a, b in pairs))
        for label, key, _ in TABLE:
            cells = []
            for a, b in pairs:
                cells.append(f"{b[key] / a[key]:.2f}" if a[key] else "-")
            say(f"{label:<26}" + "".join(f"{c:>14}" for c in cells))
    say("")
    for r in results:
        say(f"{r['scale']}: {_line(r)}")


def main(scales: list[str], seed: int, rebuild: bool, say=print) -> None:
    say(
        f"engine: {ENGINE[0]}; scales: {', '.join(scales)}; {YEARS} school years each; "
        f"{os.cpu_count()} cores; "
        f"kept in {ROOT}; attendance imported one school year's file at a time; the states "
        f"with {', '.join(f'{k}={v}' for k, v in STATE_LIMITS.items())}"
    )
    results = [measure_scale(scale, seed, rebuild, say) for scale in scales]
    report(results, say)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default=",".join(SCALES))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--step", choices=sorted(STEPS))
    parser.add_argument("--folder")
    parser.add_argument("--arg", default="")
    parser.add_argument("--engine", choices=["duckdb", "spark"], default="duckdb")
    args = parser.parse_args()
    ENGINE[0] = args.engine
    if args.step:
        _child_main(args.step, Path(args.folder), args.scales, args.seed, args.arg, args.engine)
    else:
        chosen = [s.strip() for s in args.scales.split(",") if s.strip()]
        unknown = sorted(set(chosen) - set(SCALES))
        if unknown:
            parser.error(f"unknown scale(s) {', '.join(unknown)}; choose from {', '.join(SCALES)}")
        main(chosen, args.seed, args.rebuild)
