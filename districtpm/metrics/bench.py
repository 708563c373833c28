"""`make bench`: the full recompute of every shipped metric, three ways, on one data set.

1. the product's engine (metric definitions compiled to Ibis, run on DuckDB, a worker per core);
2. expert hand-written DuckDB SQL for the same results, run with the engine's parallelism (a
   thread per worker, each its own cursor on one read-only connection): for an additive measure
   one GROUP BY of the student rows into cells (school × grade × period × every group attribute
   as its own column), then GROUPING SETS over the small cells table for every level × group
   dimension; for a median or percentile, which cannot roll up from cells, GROUPING SETS
   straight over the student rows (timed against a UNION ALL of GROUP BYs, which is printed
   beside it);
3. a straightforward pandas implementation (metrics/reference.py).

Each first runs in its own forked process so its peak memory can be read, and results are
checked equal row for row. Then, in one more forked process, engine and SQL run again
interleaved (`--rounds` times, after a warm-up, so the engine's compiled-SQL cache is warm as in
a long-lived worker): all metrics at once, and then each metric alone; the per-metric table
and the totals report medians of the pairwise ratios, the machine being noisy. Metrics over a
published source (a file's figures per school, grade and year) have SQL of their own: GROUPING
SETS over the file's rows, a figure empty when any count it adds is.
The last line printed is `engine_vs_duckdb_sql=R1 pandas_vs_engine=R2 large_recompute_s=S`
(R1 the median warm ratio of the interleaved rounds; S the median warm engine run plus the
suppression of the first run, spread over the workers as a recompute spreads it). S leaves out
storing the values in the app database, which this command does not touch: the "metric
values (N s)" line of `districtpm demo build` and `districtpm data compute` include it.
"""

from __future__ import annotations

import ast
import datetime as dt
import multiprocessing
import os
import resource
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from districtpm.analytics import store
from districtpm.analytics.demo_data import SchoolSpec, generate
from districtpm.metrics import engine, measures, reference
from districtpm.metrics.definitions import Measure, MetricDefinition, load_all
from districtpm.metrics.suppression import Job, suppress_many

KEYS = ["metric", "level", "entity_code", "grade", "period", "group_dim", "group_value"]
LEVEL_MIX = [
    ("K", "5", 0.55, 420),
    ("6", "8", 0.17, 620),
    ("9", "12", 0.15, 1250),
    ("K", "8", 0.08, 560),
    ("6", "12", 0.05, 900),
]
SCALES = {"small": (12, 3, 5_000), "medium": (60, 8, 35_000), "large": (180, 20, 100_000)}


def build_store(path: Path, scale: str, seed: int) -> dict[str, int]:
    """A district of the given scale, written to a fresh DuckDB file."""
    n_schools, n_networks, students = SCALES[scale]
    rng = np.random.default_rng(seed)
    plan = []
    for low, high, share, mean in LEVEL_MIX:
        plan += [(low, high, mean)] * max(1, round(share * n_schools))
    plan = plan[:n_schools]
    total = sum(p[2] for p in plan)
    specs = [
        SchoolSpec(str(100 + i), low, high, round(students * mean / total * rng.uniform(0.7, 1.3)))
        for i, (low, high, mean) in enumerate(plan)
    ]
    years = ["2024-2025", "2025-2026", "2026-2027"]
    tables = generate(specs, years, seed=seed, as_of=dt.date(2026, 11, 20))
    with store.connect(path) as con:
        for name, frame in tables.items():
            store.replace_rows(con, name, frame)
        schools = pd.DataFrame(
            {
                "school_code": [s.code for s in specs],
                "school_name": [f"School {s.code}" for s in specs],
                "network_code": [f"N{i % n_networks + 1:02d}" for i in range(len(specs))],
                "level": ["school"] * len(specs),
            }
        )
        con.register("_s", schools)
        con.execute("INSERT INTO schools SELECT * FROM _s")
        return store.table_counts(con)


# ------------------------------------------------------------------ hand-written SQL


def _sql_expr(node: ast.AST) -> str:
    if isinstance(node, ast.Expression):
        return _sql_expr(node.body)
    if isinstance(node, ast.BoolOp):
        joiner = " AND " if isinstance(node.op, ast.And) else " OR "
        return "(" + joiner.join(_sql_expr(v) for v in node.values) + ")"
    if isinstance(node, ast.UnaryOp):
        return (
            f"(NOT {_sql_expr(node.operand)})"
            if isinstance(node.op, ast.Not)
            else f"(-{_sql_expr(node.operand)})"
        )
    if isinstance(node, ast.Name):
        return {"true": "TRUE", "false": "FALSE", "null": "NULL"}.get(node.id, node.id)
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool):
            return "TRUE" if node.value else "FALSE"
        if isinstance(node.value, str):
            return "'" + node.value.replace("'", "''") + "'"
        return repr(node.value)
    if isinstance(node, ast.BinOp):
        op = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/"}[type(node.op)]
        left = _sql_expr(node.left)
        if op == "/":
            left = f"CAST({left} AS DOUBLE)"
        return f"({left} {op} {_sql_expr(node.right)})"
    if isinstance(node, ast.Compare):
        parts, left = [], node.left
        for op, right in zip(node.ops, node.comparators, strict=True):
            l_sql, r_sql = _sql_expr(left), _sql_expr(right)
            if isinstance(op, ast.In | ast.NotIn):
                items = ", ".join(_sql_expr(e) for e in right.elts)
                parts.append(f"{l_sql} {'NOT IN' if isinstance(op, ast.NotIn) else 'IN'} ({items})")
            elif r_sql == "NULL":
                parts.append(f"{l_sql} IS {'NOT ' if isinstance(op, ast.NotEq) else ''}NULL")
            else:
                sym = {
                    ast.Eq: "=",
                    ast.NotEq: "<>",
                    ast.Lt: "<",
                    ast.LtE: "<=",
                    ast.Gt: ">",
                    ast.GtE: ">=",
                }[type(op)]
                parts.append(f"{l_sql} {sym} {r_sql}")
            left = right
        return "(" + " AND ".join(parts) + ")"
    raise ValueError(type(node).__name__)


class _Params(ast.NodeTransformer):
    """The definition's parameters written in as the literals they stand for."""

    def __init__(self, params: dict[str, Any]) -> None:
        self.params = params

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.params:
            return ast.copy_location(ast.Constant(self.params[node.id]), node)
        return node


def _sql(text: str, params: dict[str, Any] | None = None) -> str:
    # The text was checked against the filter language when the definitions were loaded.
    return _sql_expr(_Params(params or {}).visit(ast.parse(text, mode="eval")))


SOURCE_SQL = {
    "student_discipline": """
        SELECT y.*, coalesce(d.incidents, 0) AS incidents,
               coalesce(d.oss_incidents, 0) AS oss_incidents,
               coalesce(d.days_removed, 0.0) AS days_removed
        FROM student_years y LEFT JOIN (
            SELECT student_id, school_year, count(*) AS incidents,
                   sum(CASE WHEN consequence = 'out_of_school_suspension' THEN 1 ELSE 0 END) AS oss_incidents,
                   sum(days_removed) AS days_removed
            FROM discipline GROUP BY student_id, school_year) d USING (student_id, school_year)""",
}


_PERIOD_SQL = {
    "school_year": "school_year",
    "month": "month",
    "window": "school_year || ' ' || test_window",
}
_LEVEL_SETS = {
    "district": "()",
    "network": "(network_code)",
    "school": "(school_code)",
    "grade": "(school_code, grade)",
}
_LEVEL_FLAGS = {"network_code": "g_net", "school_code": "g_school", "grade": "g_grade"}


def _rows_sql(d: MetricDefinition) -> str:
    """The source rows after the filter, rolled up per student when the definition says so."""
    src = SOURCE_SQL.get(d.source, f"SELECT * FROM {d.source}")
    where = f"WHERE {_sql(d.filter, d.params)}" if d.filter else ""
    rows = f"SELECT * FROM ({src}) s {where}"
    if d.rollup:
        keys = ["student_id", "school_year", "school_code", "grade"] + (
            ["month"] if d.period == "month" else []
        )
        aggs = ", ".join(f"{how}({c}) AS {c}" for c, how in d.rollup.items())
        rows = f"SELECT {', '.join(keys)}, {aggs} FROM ({rows}) f GROUP BY {', '.join(keys)}"
    if d.rollup_filter:
        rows = f"SELECT * FROM ({rows}) g WHERE {_sql(d.rollup_filter, d.params)}"
    return rows


def _group_join(source: str) -> str:
    """The join that brings the student group columns to a source without them ("" if it has them)."""
    if source in ("student_years", "student_discipline"):
        return ""
    return (
        "LEFT JOIN (SELECT student_id, school_year, econ_disadv AS g_econ_disadv, ell AS g_ell, swd AS g_swd, "
        "race AS g_race, gender AS g_gender FROM student_years) y USING (student_id, school_year)"
    )


def _group_label(group: str, joined: bool) -> str:
    col = f"g_{group}" if joined else group
    if group in ("econ_disadv", "ell", "swd"):
        return f"coalesce(CASE WHEN {col} THEN 'yes' WHEN NOT {col} THEN 'no' END, 'unknown')"
    return f"coalesce(CAST({col} AS VARCHAR), 'unknown')"


def _part_sql(m: Measure, part: str, params: dict[str, Any]) -> str:
    """The SQL aggregate for one part of a measure (n, numerator or denominator)."""
    return {
        measures.ROWS: lambda: "count(*)",
        measures.VALUES: lambda: f"count({m.column})",
        measures.CONDITION: lambda: f"sum(CASE WHEN {_sql(m.condition, params)} THEN 1 ELSE 0 END)",
        measures.COLUMN: lambda: f"sum({m.column})",
        measures.NUMERATOR: lambda: f"sum({m.numerator})",
        measures.DENOMINATOR: lambda: f"sum({m.denominator})",
    }[part]()


def _double(m: Measure, part: str | None, params: dict[str, Any]) -> str:
    return f"{_part_sql(m, part, params)}::DOUBLE" if part else "NULL::DOUBLE"


def _aggregates(m: Measure, params: dict[str, Any]) -> tuple[str, str]:
    """The aggregate columns of a measure and the expression of its value over them."""
    how = m.kind.behaviour
    agg = (
        f"{_part_sql(m, how.n, params)} AS n, {_double(m, how.numerator, params)} AS numerator, "
        f"{_double(m, how.denominator, params)} AS denominator"
    )
    if how.value == measures.QUANTILE:
        agg += f", quantile_cont({m.column}, {m.kind.fraction(m.p)}) AS v"
        value = "v"
    elif m.kind.is_ratio:
        value = "numerator / nullif(denominator, 0)"
    else:
        value = "numerator"
    return agg, value


def _level_columns(levels: tuple[str, ...]) -> tuple[str, str]:
    """The level key columns (NULL where no level uses them) and their grouping flags."""
    used = {
        "network_code": "network" in levels,
        "school_code": bool({"school", "grade"} & set(levels)),
        "grade": "grade" in levels,
    }
    key_columns = ", ".join(c if on else f"NULL::VARCHAR AS {c}" for c, on in used.items())
    flags = ", ".join(
        f"grouping({c}) AS {_LEVEL_FLAGS[c]}" if on else f"1 AS {_LEVEL_FLAGS[c]}"
        for c, on in used.items()
    )
    return key_columns, flags


PUBLISHED_SQL = """
    SELECT source, entity_code AS school_code, entity_name AS school_name, grade,
           period AS school_year, measure,
           CASE WHEN suppressed THEN NULL ELSE coalesce(numerator, value * denominator) END
               AS numerator,
           denominator, value, suppressed
    FROM {table} WHERE entity_level = 'school' AND group_name = 'all'"""


def _published_select(d: MetricDefinition, levels: tuple[str, ...], rows_where: str) -> str:
    """The aggregates of the levels one set of the file's rows feeds (grade rows, or its
    all-grades rows), with how many counts each adds that are unknown."""
    m = d.measure
    num = m.numerator if m.kind.is_ratio else m.column
    den = m.denominator if m.kind.is_ratio else None
    key_columns, flags = _level_columns(levels)
    sets = ", ".join(
        "("
        + ", ".join(x for x in [_LEVEL_SETS[lv].strip("()"), "period", "school_year"] if x)
        + ")"
        for lv in levels
    )
    denominator = (
        f"sum({den})::DOUBLE AS denominator, count(*) - count({den}) AS den_unknown"
        if den
        else "NULL::DOUBLE AS denominator, 0 AS den_unknown"
    )
    return f"""
        SELECT {key_columns}, period, school_year, {flags},
               sum({num})::DOUBLE AS numerator, count(*) - count({num}) AS num_unknown,
               {denominator}
        FROM rows WHERE {rows_where}
        GROUP BY GROUPING SETS ({sets})"""


def published_metric_sql(d: MetricDefinition) -> str:
    src = PUBLISHED_SQL.format(table=d.source)
    where = f"WHERE {_sql(d.filter, d.params)}" if d.filter else ""
    grade_levels = tuple(lv for lv in d.levels if lv == "grade")
    school_levels = tuple(lv for lv in d.levels if lv != "grade")
    if d.school_total == "grades":
        selects = [_published_select(d, d.levels, "grade <> 'all'")]
    else:
        selects = [
            _published_select(d, levels, where_rows)
            for levels, where_rows in (
                (grade_levels, "grade <> 'all'"),
                (school_levels, "grade = 'all'"),
            )
            if levels
        ]
    known_num = "CASE WHEN num_unknown = 0 THEN numerator END"
    known_den = "CASE WHEN den_unknown = 0 THEN denominator END"
    if d.measure.kind.is_ratio:
        value, counted = f"{known_num} / nullif({known_den}, 0)", known_den
    else:
        value, counted = known_num, known_num
    return f"""
    WITH rows AS (
        SELECT r.*, sc.network_code, school_year AS period
        FROM (SELECT * FROM ({src}) s {where}) r
        LEFT JOIN (SELECT school_code, network_code FROM schools) sc USING (school_code)
    ), agg AS ({" UNION ALL ".join(selects)}
    )
    SELECT '{d.id}' AS metric,
           CASE WHEN g_school = 0 AND g_grade = 0 THEN 'grade' WHEN g_school = 0 THEN 'school'
                WHEN g_net = 0 THEN 'network' ELSE 'district' END AS level,
           CASE WHEN g_school = 0 THEN school_code WHEN g_net = 0 THEN coalesce(network_code, '')
                ELSE 'district' END AS entity_code,
           CASE WHEN g_grade = 0 THEN grade ELSE '' END AS grade,
           period, school_year, 'all' AS group_dim, 'all' AS group_value,
           coalesce(round({counted}), 0)::BIGINT AS n,
           {known_num} AS numerator, {known_den} AS denominator, {value} AS value
    FROM agg
    """


def _cell_labels(groups: tuple[str, ...], joined: bool) -> str:
    """Every group attribute as its own labelled column (gv_<dimension>)."""
    return "".join(f", {_group_label(g, joined)} AS gv_{g}" for g in groups)


def _set_keys(level: str, group: str) -> list[str]:
    """The columns one grouping set keeps: the level's keys, period, year, one group column."""
    keys = [_LEVEL_SETS[level].strip("()"), "period", "school_year", f"gv_{group}" if group else ""]
    return [k for k in keys if k]


def _dim_sets(levels: tuple[str, ...], groups: tuple[str, ...]) -> str:
    """GROUPING SETS for every level × group dimension ('all', then each group column)."""
    return ", ".join(
        "(" + ", ".join(_set_keys(lv, g)) + ")" for lv in levels for g in ("", *groups)
    )


def _dim_columns(groups: tuple[str, ...]) -> tuple[str, str]:
    """group_dim and group_value of a grouping-sets row, from the group column it kept."""
    if not groups:
        return "'all'", "'all'"
    dim = " ".join(f"WHEN grouping(gv_{g}) = 0 THEN '{g}'" for g in groups)
    value = " ".join(f"WHEN grouping(gv_{g}) = 0 THEN gv_{g}" for g in groups)
    return f"CASE {dim} ELSE 'all' END", f"CASE {value} ELSE 'all' END"


def _final_select(d: MetricDefinition, value: str) -> str:
    """The engine's output columns from the `agg` rows and their grouping flags."""
    return f"""
    SELECT '{d.id}' AS metric,
           CASE WHEN g_school = 0 AND g_grade = 0 THEN 'grade' WHEN g_school = 0 THEN 'school'
                WHEN g_net = 0 THEN 'network' ELSE 'district' END AS level,
           CASE WHEN g_school = 0 THEN school_code WHEN g_net = 0 THEN coalesce(network_code, '')
                ELSE 'district' END AS entity_code,
           CASE WHEN g_grade = 0 THEN grade ELSE '' END AS grade,
           period, school_year, group_dim, group_value, n, numerator, denominator,
           {value} AS value
    FROM agg"""


def _labelled_rows_sql(d: MetricDefinition) -> str:
    """The source rows with period, network and every group attribute as its own column."""
    group_join = _group_join(d.source)
    return f"""
        SELECT *, {_PERIOD_SQL[d.period]} AS period{_cell_labels(d.groups, bool(group_join))}
        FROM ({_rows_sql(d)}) r {group_join}
        LEFT JOIN (SELECT school_code, network_code FROM schools) sc USING (school_code)"""


def additive_metric_sql(d: MetricDefinition) -> str:
    """An additive measure the expert way: one GROUP BY of the student rows into cells
    (school × grade × period × every group attribute as its own column), then GROUPING SETS
    over that small cells table for every level × group dimension. Grade is kept in the cells
    only when grades are reported, as the engine does: fewer cells for everything else."""
    agg, value = _aggregates(d.measure, d.params)
    grade = "grade" if "grade" in d.levels else "NULL::VARCHAR AS grade"
    labels = "".join(f", gv_{g}" for g in d.groups)
    key_columns, flags = _level_columns(d.levels)
    group_dim, group_value = _dim_columns(d.groups)
    return f"""
    WITH rows AS ({_labelled_rows_sql(d)}
    ), cells AS (
        SELECT school_code, network_code, {grade}, period, school_year{labels}, {agg}
        FROM rows
        GROUP BY ALL
    ), agg AS (
        SELECT {key_columns}, period, school_year, {flags},
               {group_dim} AS group_dim, {group_value} AS group_value,
               sum(n) AS n, sum(numerator) AS numerator, sum(denominator) AS denominator
        FROM cells
        GROUP BY GROUPING SETS ({_dim_sets(d.levels, d.groups)})
    ){_final_select(d, value)}
    """


def quantile_metric_sql(d: MetricDefinition) -> str:
    """A median or percentile, which cannot roll up from cells: GROUPING SETS for every
    level × group dimension straight over the labelled student rows."""
    agg, value = _aggregates(d.measure, d.params)
    key_columns, flags = _level_columns(d.levels)
    group_dim, group_value = _dim_columns(d.groups)
    return f"""
    WITH rows AS ({_labelled_rows_sql(d)}
    ), agg AS (
        SELECT {key_columns}, period, school_year, {flags},
               {group_dim} AS group_dim, {group_value} AS group_value, {agg}
        FROM rows
        GROUP BY GROUPING SETS ({_dim_sets(d.levels, d.groups)})
    ){_final_select(d, value)}
    """


def quantile_union_sql(d: MetricDefinition) -> str:
    """The other way to write a quantile metric: a UNION ALL of one GROUP BY per level × group
    dimension over the same labelled rows (timed against quantile_metric_sql; see QUANTILE_SQL)."""
    agg, value = _aggregates(d.measure, d.params)
    selects = []
    for lv in d.levels:
        for g in ("", *d.groups):
            keys = _set_keys(lv, g)
            cols = {
                c: (c if c in keys else f"NULL::VARCHAR AS {c}")
                for c in ("network_code", "school_code", "grade")
            }
            flags = ", ".join(f"{0 if c in keys else 1} AS {_LEVEL_FLAGS[c]}" for c in _LEVEL_FLAGS)
            group_value = f"gv_{g}" if g else "'all'"
            selects.append(
                f"SELECT {', '.join(cols.values())}, period, school_year, {flags}, "
                f"'{g or 'all'}' AS group_dim, {group_value} AS group_value, "
                f"{agg} FROM rows GROUP BY {', '.join(keys)}"
            )
    return f"""
    WITH rows AS MATERIALIZED ({_labelled_rows_sql(d)}
    ), agg AS ({" UNION ALL ".join(selects)}
    ){_final_select(d, value)}
    """


def metric_sql(d: MetricDefinition) -> str:
    """The expert hand-written DuckDB SQL of one metric (see the module docstring)."""
    if d.published:
        return published_metric_sql(d)
    if d.additive:
        return additive_metric_sql(d)
    return QUANTILE_SQL(d)


QUANTILE_SQL = quantile_metric_sql


# ------------------------------------------------------------------ the three ways


def _definitions() -> list[MetricDefinition]:
    return [d for d in load_all().values() if not d.is_gap]


def run_engine(path: str) -> pd.DataFrame:
    """The product's engine as `districtpm data compute` runs it (a worker per core)."""
    frames = engine.compute_many(
        _definitions(), lambda: store.ibis_connection(path), workers=workers()
    )
    return pd.concat(frames.values(), ignore_index=True)


def workers() -> int:
    """The engine's parallelism (a worker per core, at most 4), used by every side."""
    return min(4, os.cpu_count() or 1)


def run_sql(path: str) -> pd.DataFrame:
    """The expert SQL of every metric, `workers()` at a time, each thread its own cursor on one
    read-only connection (cursors share the database, as the engine's connections do)."""
    con = duckdb.connect(path, read_only=True)
    local = threading.local()
    cursors: list[duckdb.DuckDBPyConnection] = []
    lock = threading.Lock()

    def one(d: MetricDefinition) -> pd.DataFrame:
        if not hasattr(local, "cur"):
            local.cur = con.cursor()
            with lock:
                cursors.append(local.cur)
        return local.cur.execute(metric_sql(d)).df()

    try:
        with ThreadPoolExecutor(max_workers=workers()) as pool:
            frames = list(pool.map(one, _definitions()))
    finally:
        for cur in cursors:
            cur.close()
        con.close()
    return pd.concat(frames, ignore_index=True)


def run_pandas(path: str) -> pd.DataFrame:
    """The pandas reference, metric by metric; each metric's seconds are kept for the table
    (pandas is the slow side, so it runs once rather than in the interleaved rounds)."""
    tables = reference.load_tables(path)
    started = time.perf_counter()
    frames, per_metric = [], {}
    for d in _definitions():
        t0 = time.perf_counter()
        frames.append(reference.compute(tables, d))
        per_metric[d.id] = time.perf_counter() - t0
    run_pandas.compute_seconds = time.perf_counter() - started  # type: ignore[attr-defined]
    run_pandas.per_metric = per_metric  # type: ignore[attr-defined]
    return pd.concat(frames, ignore_index=True)


def _child(fn: Callable[[str], pd.DataFrame], path: str, out: str, queue) -> None:
    try:
        _measured(fn, path, out, queue)
    except BaseException as exc:  # report to the parent instead of leaving it waiting
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def _measured(fn: Callable[[str], pd.DataFrame], path: str, out: str, queue) -> None:
    started = time.perf_counter()
    result = fn(path)
    seconds = time.perf_counter() - started
    compute_only = getattr(fn, "compute_seconds", seconds)
    extra: dict[str, Any] = {}
    if hasattr(fn, "per_metric"):
        extra["per_metric"] = fn.per_metric
    if fn is run_engine:
        s0 = time.perf_counter()
        networks = dict(
            duckdb.connect(path, read_only=True)
            .execute("SELECT school_code, coalesce(network_code, '') FROM schools")
            .fetchall()
        )
        definitions = load_all()
        # as a recompute suppresses: school years spread over the same number of workers
        jobs = {
            metric_id: Job(part, definitions[metric_id].min_n, definitions[metric_id].measure.kind)
            for metric_id, part in result.groupby("metric")
        }
        suppress_many(jobs, networks, workers=workers())
        extra["suppression_s"] = time.perf_counter() - s0
    result.to_parquet(out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    queue.put(
        {"rows": len(result), "seconds": compute_only, "wall": seconds, "peak_mb": peak_mb, **extra}
    )


def _forked(target: Callable, args: tuple, label: str) -> dict:
    """Run `target(*args, queue)` in a forked process and return what it puts on the queue."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    process = ctx.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    if "error" in result or process.exitcode:
        raise RuntimeError(f"{label} failed: {result.get('error')}")
    return result


def measure(fn: Callable[[str], pd.DataFrame], path: str, out: str) -> dict:
    return _forked(_child, (fn, path, out), fn.__name__)


def same(a: pd.DataFrame, b: pd.DataFrame) -> tuple[bool, str]:
    a = a.copy()
    b = b.copy()
    for frame in (a, b):
        frame["grade"] = frame["grade"].fillna("")
        frame["entity_code"] = frame["entity_code"].astype(str)
    merged = a.merge(b, on=KEYS, how="outer", suffixes=("", "_o"), indicator=True)
    if not (merged["_merge"] == "both").all():
        return False, f"{(merged['_merge'] != 'both').sum()} rows only on one side"
    if not (merged["n"].astype(int) == merged["n_o"].astype(int)).all():
        return False, "n differs"
    for c in ("value", "numerator", "denominator"):
        if not np.allclose(
            merged[c].astype(float).fillna(-1),
            merged[f"{c}_o"].astype(float).fillna(-1),
            rtol=1e-9,
            atol=1e-9,
        ):
            return False, f"{c} differs"
    return True, f"{len(merged)} rows equal"


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def _full_rounds(path: str, rounds: int) -> dict[str, list[float]]:
    """Every metric at once, engine and SQL interleaved `rounds` times after one warm-up each
    (so the engine's compiled-SQL cache is warm, as in a long-lived worker)."""
    run_engine(path)
    run_sql(path)
    full: dict[str, list[float]] = {"engine": [], "sql": []}
    for _ in range(rounds):
        full["engine"].append(_timed(lambda: run_engine(path)))
        full["sql"].append(_timed(lambda: run_sql(path)))
    return full


def _metric_rounds(path: str, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Each metric alone on one connection per side, engine and SQL interleaved. For quantile
    metrics the UNION-of-GROUP-BYs form of the SQL is timed too (`sql_union`)."""
    con = store.ibis_connection(path)
    duck = duckdb.connect(path, read_only=True)
    out: dict[str, dict[str, list[float]]] = {}
    for d in _definitions():
        times: dict[str, list[float]] = {"engine": [], "sql": [], "sql_union": []}
        engine.compute(con, d)  # warm the compiled-SQL cache, as the full rounds do
        for _ in range(rounds):
            times["engine"].append(_timed(lambda d=d: engine.compute(con, d)))
            times["sql"].append(_timed(lambda d=d: duck.execute(metric_sql(d)).df()))
            if not d.published and not d.additive:
                sql = quantile_union_sql(d)
                times["sql_union"].append(_timed(lambda sql=sql: duck.execute(sql).df()))
        out[d.id] = times
    con.disconnect()
    duck.close()
    return out


def timing_rounds(path: str, rounds: int) -> dict[str, Any]:
    """The interleaved timings, full runs then metric by metric (run in a child process)."""
    return {"full": _full_rounds(path, rounds), "per_metric": _metric_rounds(path, rounds)}


def _rounds_child(path: str, rounds: int, queue) -> None:
    try:
        queue.put(timing_rounds(path, rounds))
    except BaseException as exc:  # report to the parent instead of leaving it waiting
        queue.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def measure_rounds(path: str, rounds: int) -> dict[str, Any]:
    """timing_rounds in a fresh forked process, so the parent's state does not skew it."""
    return _forked(_rounds_child, (path, rounds), "timing rounds")


def _median_ratio(a: list[float], b: list[float]) -> float:
    """The median of the pairwise ratios a[i] / b[i] of interleaved runs (noise-robust)."""
    return float(np.median([x / y for x, y in zip(a, b, strict=True)]))


def report_rounds(
    timings: dict[str, Any], pandas_s: dict[str, float], rounds: int, say: Callable[[str], None]
) -> float:
    """Print the per-metric table and the totals; return the median engine/SQL ratio.
    pandas_s: each metric's seconds in the (single) pandas run."""
    say(
        f"per metric (one thread a side; engine and sql: median of {rounds} interleaved "
        "rounds, cache warm; pandas: its one run):"
    )
    say(f"{'metric':<36} {'engine s':>9} {'sql s':>9} {'ratio':>6} {'pandas s':>9}")
    union, sets = [], []
    for metric_id, t in timings["per_metric"].items():
        ratio = _median_ratio(t["engine"], t["sql"])
        say(
            f"{metric_id:<36} {np.median(t['engine']):9.3f} {np.median(t['sql']):9.3f} "
            f"{ratio:6.2f} {pandas_s.get(metric_id, float('nan')):9.3f}"
        )
        if t["sql_union"]:
            union.append(float(np.median(t["sql_union"])))
            sets.append(float(np.median(t["sql"])))
    if union:
        say(
            f"quantile SQL over student rows: GROUPING SETS {sum(sets):.3f} s, "
            f"UNION ALL of GROUP BYs {sum(union):.3f} s (the table uses GROUPING SETS)"
        )
    full = timings["full"]
    r1 = _median_ratio(full["engine"], full["sql"])
    pairs = zip(full["engine"], full["sql"], strict=True)
    say(
        f"totals, all metrics, {workers()} workers a side, median of {rounds} interleaved "
        f"rounds (cache warm): engine {np.median(full['engine']):.2f} s, "
        f"sql {np.median(full['sql']):.2f} s, engine/sql {r1:.2f} "
        f"(rounds: {', '.join(f'{e / q:.2f}' for e, q in pairs)})"
    )
    return r1


def main(scale: str, seed: int, say: Callable[[str], None], rounds: int = 3) -> None:
    with tempfile.TemporaryDirectory(prefix="districtpm-bench-") as tmp:
        path = str(Path(tmp) / "bench.duckdb")
        started = time.perf_counter()
        counts = build_store(Path(path), scale, seed)
        say(
            f"data: scale={scale} seed={seed} built in {time.perf_counter() - started:.1f} s — "
            + ", ".join(f"{k}={v:,}" for k, v in counts.items() if v)
        )
        say(f"metrics: {len(_definitions())} shipped definitions (gaps are derived from these)")
        results = {}
        for name, fn in (("engine", run_engine), ("duckdb_sql", run_sql), ("pandas", run_pandas)):
            out = str(Path(tmp) / f"{name}.parquet")
            stats = measure(fn, path, out)
            results[name] = (stats, out)
            note = " (compute only; loading the tables excluded)" if name == "pandas" else ""
            extra = (
                f", suppression {stats['suppression_s']:.2f} s" if "suppression_s" in stats else ""
            )
            say(
                f"{name:<11} rows={stats['rows']:>9,}  seconds={stats['seconds']:8.2f}  "
                f"peak_memory_mb={stats['peak_mb']:8.0f}{note}{extra}"
            )
        base = pd.read_parquet(results["engine"][1])
        for other in ("duckdb_sql", "pandas"):
            ok, detail = same(base, pd.read_parquet(results[other][1]))
            say(f"check engine == {other}: {'OK' if ok else 'MISMATCH'} ({detail})")
            if not ok:
                raise SystemExit(1)
        e = results["engine"][0]
        say(
            f"cold first runs (fresh process, empty caches): engine/sql "
            f"{e['seconds'] / results['duckdb_sql'][0]['seconds']:.2f}"
        )
        timings = measure_rounds(path, rounds)
        r1 = report_rounds(timings, results["pandas"][0]["per_metric"], rounds, say)
        engine_s = float(np.median(timings["full"]["engine"]))
        r2 = results["pandas"][0]["seconds"] / engine_s
        s = engine_s + e.get("suppression_s", 0.0)
        say(f"engine_vs_duckdb_sql={r1:.2f} pandas_vs_engine={r2:.1f} large_recompute_s={s:.1f}")
