"""Computing metric definitions through Ibis: the same code runs on DuckDB, PostgreSQL, Spark.

For each metric the source is filtered, optionally rolled up to one row per student (and those
rows filtered by the rollup filter), joined to the student's groups and school network, and then
aggregated. Filters and conditions read the definition's parameters by name. Additive measures (rate, mean,
count, sum, ratio of sums) are aggregated once at the finest grain — school × grade × period ×
group — and rolled up from those counts to school, network and district, so a rate is always
numerator over denominator and never an average of rates. Medians and percentiles are computed
from student rows at every level. Every level comes out of one query, labelled in the database.
Suppression happens after (see suppression.py).

A definition's query is built and compiled to SQL once per process: the text is kept, keyed by
the definition's digest and everything else the query depends on (see run_cached), and a later
compute sends it straight to the backend.

A published source (a file's figures per school, grade and year) is rolled up from its counts
too, with one difference: a cell whose count is unknown (the publisher suppressed it) makes
every figure it is part of unknown, never a sum that counts it as 0.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from districtpm.analytics.schema import GROUP_DIMENSIONS, TABLES
from districtpm.analytics.sources import SOURCES
from districtpm.metrics import measures
from districtpm.metrics.definitions import MetricDefinition
from districtpm.metrics.expressions import compile_to_ibis
from districtpm.metrics.measures import MeasureKind

OUTPUT_COLUMNS = [
    "metric",
    "level",
    "entity_code",
    "grade",
    "period",
    "school_year",
    "group_dim",
    "group_value",
    "n",
    "numerator",
    "denominator",
    "value",
]
GROUP_COLUMNS = list(GROUP_DIMENSIONS)


def prepared_source(
    con: ibis.BaseBackend, d: MetricDefinition, years: Iterable[str] | None = None
) -> ir.Table:
    """The metric's rows: filtered, rolled up per student, with groups, period and network."""
    source = SOURCES[d.source]
    t = source.build(con)
    if years is not None:
        t = t.filter(t.school_year.isin(list(years))) if "school_year" in t.columns else t
    if d.filter:
        t = t.filter(compile_to_ibis(d.filter, t, d.params))
    # One row per student (and per month for a monthly grain) when asked to roll up.
    keys = ["student_id", "school_year", "school_code", "grade"]
    if d.period == "month":
        keys.append("month")
    already_at_grain = d.source in TABLES and set(TABLES[d.source].key) <= set(keys)
    if d.rollup and not already_at_grain:
        t = t.group_by(keys).aggregate(
            **{col: getattr(t[col], how)() for col, how in d.rollup.items()}
        )
    if d.rollup_filter:
        t = t.filter(compile_to_ibis(d.rollup_filter, t, d.params))
    if d.period == "window":
        t = t.mutate(period=t.school_year.concat(" ", t.test_window))
    elif d.period == "month":
        t = t.mutate(period=t.month)
    else:
        t = t.mutate(period=t.school_year)
    if not source.has_groups:
        groups = con.table("student_years").select("student_id", "school_year", *GROUP_COLUMNS)
        t = t.left_join(groups, ["student_id", "school_year"])
        t = t.select(*[c for c in t.columns if not c.endswith("_right")])
    schools = con.table("schools").select("school_code", "network_code")
    t = t.left_join(schools, "school_code")
    t = t.select(*[c for c in t.columns if not c.endswith("_right")])
    for dim in GROUP_COLUMNS:
        column = t[dim]
        if column.type().is_boolean():
            t = t.mutate(**{dim: ibis.cases((column, "yes"), (~column, "no"), else_="unknown")})
        else:
            t = t.mutate(**{dim: column.cast("string").fill_null("unknown")})
    return t


def _aggregates(t: ir.Table, d: MetricDefinition) -> dict[str, ir.Value]:
    """n, numerator and denominator (or the value of a quantile) for the measure's kind."""
    m = d.measure
    assert m is not None
    how = m.kind.behaviour
    parts: dict[str, Callable[[], ir.Value]] = {
        measures.ROWS: lambda: t.count(),
        measures.VALUES: lambda: t[m.column].count(),
        measures.CONDITION: lambda: (
            compile_to_ibis(m.condition or "true", t, d.params).ifelse(1, 0).sum()
        ),
        measures.COLUMN: lambda: t[m.column].sum(),
        measures.NUMERATOR: lambda: t[m.numerator].sum(),
        measures.DENOMINATOR: lambda: t[m.denominator].sum(),
    }
    if how.value == measures.QUANTILE:
        col, q = t[m.column], m.kind.fraction(m.p)
        value = col.median() if q == 0.5 else col.quantile(q)
        return {"n": parts[how.n](), "value": value.cast("float64")}
    null_float = ibis.null().cast("float64")
    return {
        "n": parts[how.n](),
        "numerator": parts[how.numerator]().cast("float64") if how.numerator else null_float,
        "denominator": parts[how.denominator]().cast("float64") if how.denominator else null_float,
    }


def _value_from_counts(kind: MeasureKind, frame: pd.DataFrame) -> pd.Series:
    if kind.is_ratio:
        return frame["numerator"] / frame["denominator"].where(frame["denominator"] != 0)
    return frame["numerator"]


LEVEL_KEYS = {
    "district": [],
    "network": ["network_code"],
    "school": ["school_code"],
    "grade": ["school_code", "grade"],
}


def _unpivot(t: ir.Table, dims: list[str]) -> ir.Table:
    """One copy of every row per group dimension, with that dimension's value as group_value.

    The dimensions are unnested from an array literal (a cross join with the short list), so
    the source is read once, not once per dimension; a literal rather than an in-memory table,
    so the compiled SQL stands alone and can be cached and run on any connection."""
    u = t.mutate(group_dim=ibis.literal(dims, type="array<string>").unnest())
    value = (
        ibis.cases(*[(u.group_dim == dim, u[dim]) for dim in dims if dim != "all"], else_="all")
        if len(dims) > 1
        else ibis.literal("all")
    )
    return u.mutate(group_value=value)


GROUP_KEYS = ["period", "school_year", "group_dim", "group_value"]


COUNTS = ("n", "numerator", "denominator")


def _additive_query(
    con: ibis.BaseBackend, d: MetricDefinition, years: list[str] | None
) -> ir.Table:
    """An additive measure's counts at every level, period and group, labelled, in one query.

    One pass over the student rows into cells (school × grade × period × every group attribute
    at once); each group dimension is a sum of cells, and each level a sum of those, all in the
    database over the small cells table (rolling up in pandas after was most of the engine's
    time). Grade is kept only when grades are reported: fewer cells for everything else."""
    t = prepared_source(con, d, years)
    place = _place(d)
    cells = t.group_by([*place, "period", "school_year", *d.groups]).aggregate(**_aggregates(t, d))
    # A school without a network counts in the network "" (as its entity code says).
    cells = cells.mutate(network_code=cells.network_code.fill_null(""))
    c = _unpivot(cells, ["all", *d.groups])
    parts = [
        _labelled(
            c.group_by(LEVEL_KEYS[level] + GROUP_KEYS).aggregate(
                n=c.n.sum(), numerator=c.numerator.sum(), denominator=c.denominator.sum()
            ),
            level,
        )
        for level in d.levels
    ]
    return ibis.union(*parts)


def _labelled(agg: ir.Table, level: str, values: tuple[str, ...] = COUNTS) -> ir.Table:
    """One level's rows with its level, entity code and grade ("" above the grade level), as
    _label does for a frame, and the given value columns."""
    if level == "district":
        entity = ibis.literal("district")
    elif level == "network":
        entity = agg.network_code.fill_null("").cast("string")
    else:
        entity = agg.school_code.cast("string")
    grade = agg.grade.cast("string") if level == "grade" else ibis.literal("")
    return agg.select(
        level=ibis.literal(level),
        entity_code=entity,
        grade=grade,
        **{k: agg[k] for k in GROUP_KEYS},
        **{k: agg[k] for k in values},
    )


def _place(d: MetricDefinition) -> list[str]:
    return ["school_code", "network_code", *(["grade"] if "grade" in d.levels else [])]


def _quantile_query(
    con: ibis.BaseBackend, d: MetricDefinition, years: list[str] | None
) -> ir.Table:
    """A median or percentile at every level, from student rows (quantiles do not add up),
    labelled by level in the same query."""
    u = _unpivot(prepared_source(con, d, years), ["all", *d.groups])
    parts = [
        _labelled(
            u.group_by(LEVEL_KEYS[level] + GROUP_KEYS).aggregate(**_aggregates(u, d)),
            level,
            ("n", "value"),
        )
        for level in d.levels
    ]
    return ibis.union(*parts)


def compute(
    con: ibis.BaseBackend, d: MetricDefinition, years: Iterable[str] | None = None
) -> pd.DataFrame:
    """Values for every level, period and group of one (non-gap) metric, unsuppressed.

    One query gives every level, labelled (see _additive_query and _quantile_query); it is
    built and compiled once per process (see run_cached)."""
    if d.published:
        return compute_published(con, d, years)
    wanted = None if years is None else list(years)
    if d.additive:
        result = run_cached(con, d, wanted, "additive", _additive_query)
        result["value"] = _value_from_counts(d.measure.kind, result)
    else:
        result = run_cached(con, d, wanted, "quantile", _quantile_query)
        result["numerator"] = float("nan")
        result["denominator"] = float("nan")
    result["metric"] = d.id
    result["n"] = result["n"].astype("int64")
    return result[OUTPUT_COLUMNS].reset_index(drop=True)


# ------------------------------------------------------------------ the compiled-SQL cache

# (backend, tables' schemas, digest, definition, years, query) → (SQL text, result schema).
_SQL_CACHE: dict[tuple, tuple[str, ibis.Schema]] = {}
_SQL_LOCK = threading.Lock()
# Per connection: the schemas of the tables read, fetched once (a connection's tables do not
# change type while the engine computes with it).
_SCHEMAS: weakref.WeakKeyDictionary[ibis.BaseBackend, dict[str, tuple]] = (
    weakref.WeakKeyDictionary()
)


def _definition_key(d: MetricDefinition) -> tuple:
    """What of a definition its query depends on, beside its digest: a definition changed
    in code (dataclasses.replace, or built in a test without a digest) keeps its digest, or
    has none, and must still not be served another's SQL."""
    return (
        d.digest,
        d.id,
        d.source,
        d.filter,
        repr(d.measure),
        d.period,
        d.levels,
        d.groups,
        repr(sorted(d.rollup.items())),
        d.rollup_filter,
        repr(sorted(d.params.items())),
        d.school_total,
    )


def _schema_key(con: ibis.BaseBackend, d: MetricDefinition) -> tuple:
    """The schemas of the tables the definition's query reads on this connection: the compiled
    SQL depends on column types (a boolean group column is labelled yes/no, others cast)."""
    names = sorted({*SOURCES[d.source].tables, "student_years", "schools"})
    with _SQL_LOCK:
        known = _SCHEMAS.setdefault(con, {})
    missing = [n for n in names if n not in known]
    for name in missing:
        known[name] = tuple(con.get_schema(name).items())
    return tuple((n, known[n]) for n in names)


def _cache_key(
    con: ibis.BaseBackend, d: MetricDefinition, years: list[str] | None, query: str
) -> tuple:
    return (
        con.name,
        _schema_key(con, d),
        _definition_key(d),
        None if years is None else tuple(years),
        query,
    )


def build_count() -> int:
    """How many engine queries were built and compiled with Ibis (cache misses) so far."""
    return _BUILDS[0]


_BUILDS = [0]


def run_cached(
    con: ibis.BaseBackend,
    d: MetricDefinition,
    years: list[str] | None,
    query: str,
    build: Callable[[ibis.BaseBackend, MetricDefinition, list[str] | None], ir.Table],
) -> pd.DataFrame:
    """The result of the definition's query as a pandas frame, compiling it only once.

    Building the Ibis expression and compiling it to SQL is about a quarter of the engine's
    time, and the same for every run of a definition: the SQL text and the result's schema are
    kept, keyed by the definition's digest (and what else the query depends on), and a later
    run sends the text straight to the backend, converting the result exactly as Ibis does."""
    key = _cache_key(con, d, years, query)
    with _SQL_LOCK:
        cached = _SQL_CACHE.get(key)
    if cached is None:
        expr = build(con, d, years)
        cached = (con.compile(expr), expr.schema())
        with _SQL_LOCK:
            _BUILDS[0] += 1
            _SQL_CACHE[key] = cached
    return _execute(con, *cached).to_pandas()


def _execute(con: ibis.BaseBackend, sql: str, schema: ibis.Schema) -> pa.Table:
    """Run compiled SQL, returning the Arrow table Ibis's to_pyarrow would (same types)."""
    if con.name == "duckdb":
        # What the DuckDB backend's to_pyarrow does after compiling.
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        table = con.con.sql(sql).to_arrow_table()
        return DuckDBPyArrowData.convert_table(table, schema)
    return con.sql(sql, schema=schema).to_pyarrow()


def clear_sql_cache() -> None:
    """Forget every compiled query (tests; a long-lived process never needs to)."""
    with _SQL_LOCK:
        _SQL_CACHE.clear()


# ------------------------------------------------------------------ published sources

PUBLISHED_PARTS = ["numerator", "numerator_unknown", "denominator", "denominator_unknown"]


def published_parts(d: MetricDefinition) -> tuple[str, str | None]:
    """The columns a published metric adds up: its numerator and its denominator (None for a
    count). Its n, the students counted, is the denominator, or the count itself."""
    m = d.measure
    assert m is not None
    if m.kind.is_ratio:
        return str(m.numerator), str(m.denominator)
    return str(m.column), None


def _published_query(
    con: ibis.BaseBackend, d: MetricDefinition, years: list[str] | None
) -> ir.Table:
    """A published metric's file rows summed per school, grade and year, with how many of
    the counts each sum adds are unknown."""
    t = SOURCES[d.source].build(con)
    if years is not None:
        t = t.filter(t.school_year.isin(years))
    if d.filter:
        t = t.filter(compile_to_ibis(d.filter, t, d.params))
    t = t.mutate(period=t.school_year)
    schools = con.table("schools").select("school_code", "network_code")
    t = t.left_join(schools, "school_code")
    t = t.select(*[c for c in t.columns if not c.endswith("_right")])
    num, den = published_parts(d)
    null_float = ibis.null().cast("float64")
    return t.group_by(["school_code", "network_code", "grade", "period", "school_year"]).aggregate(
        numerator=t[num].sum().cast("float64"),
        numerator_unknown=t.count() - t[num].count(),
        denominator=t[den].sum().cast("float64") if den else null_float,
        denominator_unknown=(t.count() - t[den].count()) if den else ibis.literal(0),
    )


def compute_published(
    con: ibis.BaseBackend, d: MetricDefinition, years: Iterable[str] | None = None
) -> pd.DataFrame:
    """Values of a metric over a published source at every level, for all students.

    The file's rows are summed per school, grade and year once in the engine, with the number
    of rows whose count is unknown; every level then adds those up. The grade level reads the
    grade rows; the school level (and the network and district above it) reads the grade rows
    too, or the file's own all-grades rows when the definition says `school_total: published`.
    A figure with any unknown part is unknown: its numerator (and value) is empty, and so is
    its denominator when a denominator is unknown; its n, then unknown, is 0, so suppression
    hides it."""
    den = published_parts(d)[1]
    wanted = None if years is None else list(years)
    cells = run_cached(con, d, wanted, "published", _published_query)
    cells["network_code"] = cells["network_code"].fillna("")
    grade_rows = cells[cells["grade"] != "all"]
    school_rows = grade_rows if d.school_total == "grades" else cells[cells["grade"] == "all"]
    frames = []
    for level in d.levels:
        base = grade_rows if level == "grade" else school_rows
        rolled = base.groupby(
            LEVEL_KEYS[level] + ["period", "school_year"], as_index=False, dropna=False, sort=False
        )[PUBLISHED_PARTS].sum()
        frames.append(_label(rolled, level))
    result = pd.concat(frames, ignore_index=True)
    result["numerator"] = result["numerator"].where(result["numerator_unknown"] == 0)
    result["denominator"] = (
        result["denominator"].where(result["denominator_unknown"] == 0) if den else float("nan")
    )
    counted = result["denominator"] if den else result["numerator"]
    result["n"] = counted.fillna(0).round()
    result["value"] = _value_from_counts(d.measure.kind, result)
    result["group_dim"] = "all"
    result["group_value"] = "all"
    result["metric"] = d.id
    result["n"] = result["n"].astype("int64")
    return result[OUTPUT_COLUMNS].reset_index(drop=True)


def school_total_check(
    con: ibis.BaseBackend, d: MetricDefinition, years: Iterable[str] | None = None
) -> pd.DataFrame:
    """For a metric over a published source: each school-year's figure rolled up from the
    file's grade rows beside the file's own all-grades figure (value_grades, value_published,
    with their n), for every school-year that has either; NaN where a figure is unknown or the
    file has no such row. Unsuppressed: for checking a file, not for showing."""
    parts = {
        how: compute_published(con, replace(d, school_total=how, levels=("school",)), years)
        for how in ("grades", "published")
    }
    keys = ["entity_code", "period"]
    merged = parts["grades"][[*keys, "n", "value"]].merge(
        parts["published"][[*keys, "n", "value"]],
        on=keys,
        how="outer",
        suffixes=("_grades", "_published"),
    )
    return merged.sort_values(keys, ignore_index=True)


def _label(frame: pd.DataFrame, level: str) -> pd.DataFrame:
    frame = frame.copy()
    frame["level"] = level
    if level == "district":
        frame["entity_code"] = "district"
    elif level == "network":
        frame["entity_code"] = frame["network_code"].fillna("").astype(str)
    else:
        frame["entity_code"] = frame["school_code"].astype(str)
    if level != "grade":
        frame["grade"] = ""
    return frame


def compute_gap(d: MetricDefinition, base: pd.DataFrame) -> pd.DataFrame:
    """Reference minus focal group, from the base metric's (suppressed) values."""
    gap = d.gap
    assert gap is not None
    rows = base[
        (base["group_dim"] == gap.dimension) & base["group_value"].isin([gap.focal, gap.reference])
    ]
    keys = ["level", "entity_code", "grade", "period", "school_year"]
    focal = rows[rows["group_value"] == gap.focal].set_index(keys)
    reference = rows[rows["group_value"] == gap.reference].set_index(keys)
    joined = focal.join(reference, how="inner", suffixes=("_f", "_r")).reset_index()
    hidden = joined["suppressed_f"] | joined["suppressed_r"]
    out = pd.DataFrame(
        {
            "metric": d.id,
            **{k: joined[k] for k in keys},
            "group_dim": "all",
            "group_value": "all",
            "n": joined[["n_f", "n_r"]].min(axis=1),
            "numerator": joined["value_f"],
            "denominator": joined["value_r"],
            "value": joined["value_r"] - joined["value_f"],
        }
    )
    out["suppressed"] = hidden.to_numpy()
    return out


def compute_many(
    definitions: list[MetricDefinition],
    connect: Callable[[], ibis.BaseBackend],
    *,
    years: Iterable[str] | None = None,
    workers: int = 1,
    progress: Callable[[str], None] = lambda metric_id: None,
) -> dict[str, pd.DataFrame]:
    """Compute several metrics, `workers` at a time, each worker with its own connection.

    While one worker's query runs in the engine another compiles its next expression, so on an
    embedded DuckDB file two workers keep both cores busy."""
    local = threading.local()
    opened: list[ibis.BaseBackend] = []
    lock = threading.Lock()

    def one(d: MetricDefinition) -> tuple[str, pd.DataFrame]:
        if not hasattr(local, "con"):
            local.con = connect()
            with lock:
                opened.append(local.con)
        frame = compute(local.con, d, years)
        progress(d.id)
        return d.id, frame

    try:
        if workers <= 1:
            return dict(one(d) for d in definitions)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return dict(pool.map(one, definitions))
    finally:
        for con in opened:
            con.disconnect()
