"""A straightforward pandas implementation of the metric definitions.

Not used by the product: it is the independent computation the tests compare the engine with,
and the pandas baseline of `make bench`. It reads whole tables into memory and aggregates each
level and student group separately, the way an analyst would in a notebook.

A published source (a file's figures per school, grade and year) is worked the same way: the
grade rows (or the file's all-grades rows) of each school, network or the district added up,
and a figure left empty when any row it adds has an empty count.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd
from pandas.api.typing import DataFrameGroupBy

from districtpm.analytics.schema import GROUP_DIMENSIONS, TABLES
from districtpm.analytics.sources import SOURCES
from districtpm.metrics import measures
from districtpm.metrics.definitions import Measure, MetricDefinition
from districtpm.metrics.engine import OUTPUT_COLUMNS
from districtpm.metrics.expressions import compile_to_pandas

GROUPS = list(GROUP_DIMENSIONS)


def load_tables(path: str) -> dict[str, pd.DataFrame]:
    con = duckdb.connect(path, read_only=True)
    try:
        return {name: con.execute(f"SELECT * FROM {name}").df() for name in TABLES}
    finally:
        con.close()


def _source(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    if d.source == "student_discipline":
        years = tables["student_years"]
        inc = tables["discipline"].copy()
        inc["oss"] = inc["consequence"] == "out_of_school_suspension"
        per = inc.groupby(["student_id", "school_year"], as_index=False).agg(
            incidents=("incident_id", "count"),
            oss_incidents=("oss", "sum"),
            days_removed=("days_removed", "sum"),
        )
        frame = years.merge(per, on=["student_id", "school_year"], how="left")
        for c in ("incidents", "oss_incidents", "days_removed"):
            frame[c] = frame[c].fillna(0)
        return frame
    return tables[d.source].copy()


_LEVEL_KEYS = {
    "district": [],
    "network": ["network_code"],
    "school": ["school_code"],
    "grade": ["school_code", "grade"],
}


def compute(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    if d.published:
        return _published(tables, d)
    frame = _rows(tables, d)
    frame = _with_groups(tables, frame, d.source)
    frame = _with_parts(frame, d.measure, d.params)
    out = [_aggregate(frame, d, level, dim) for level in d.levels for dim in ["all", *d.groups]]
    return pd.concat(out, ignore_index=True)


def _rows(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    """The source rows after the filter, the roll-up and the rollup filter, each with its period."""
    frame = _source(tables, d)
    if d.filter:
        frame = frame[compile_to_pandas(d.filter, frame, d.params).fillna(False).astype(bool)]
    if d.rollup:
        keys = ["student_id", "school_year", "school_code", "grade"]
        if d.period == "month":
            keys.append("month")
        frame = frame.groupby(keys, as_index=False).agg(d.rollup)
    if d.rollup_filter:
        keep = compile_to_pandas(d.rollup_filter, frame, d.params)
        frame = frame[keep.fillna(False).astype(bool)]
    if d.period == "window":
        frame["period"] = frame["school_year"] + " " + frame["test_window"]
    elif d.period == "month":
        frame["period"] = frame["month"]
    else:
        frame["period"] = frame["school_year"]
    return frame


def _with_groups(tables: dict[str, pd.DataFrame], frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """The rows with their network and their student groups labelled yes, no or unknown."""
    if source not in ("student_years", "student_discipline"):
        frame = frame.merge(
            tables["student_years"][["student_id", "school_year", *GROUPS]],
            on=["student_id", "school_year"],
            how="left",
        )
    frame = frame.merge(
        tables["schools"][["school_code", "network_code"]], on="school_code", how="left"
    )
    frame["network_code"] = frame["network_code"].fillna("")
    for g in GROUPS:
        if frame[g].dtype == bool or str(frame[g].dtype) == "boolean":
            frame[g] = frame[g].map({True: "yes", False: "no"})
        frame[g] = frame[g].astype(object).where(frame[g].notna(), "unknown").astype(str)
    return frame


def _with_parts(frame: pd.DataFrame, m: Measure, params: dict[str, Any]) -> pd.DataFrame:
    """The rows that count towards n, with each row's numerator and denominator (`_num`, `_den`)."""
    how = m.kind.behaviour
    if how.n == measures.VALUES:  # n counts values, so rows without one take no part
        frame = frame[frame[m.column].notna()]
    if how.value != measures.QUANTILE:
        parts = {
            measures.ROWS: lambda: 1.0,
            measures.VALUES: lambda: 1.0,
            measures.CONDITION: lambda: (
                compile_to_pandas(m.condition, frame, params).fillna(False).astype(float)
            ),
            measures.COLUMN: lambda: frame[m.column].astype(float),
            measures.NUMERATOR: lambda: frame[m.numerator].astype(float),
            measures.DENOMINATOR: lambda: frame[m.denominator].astype(float),
        }
        frame = frame.copy()
        frame["_num"] = parts[how.numerator]()
        frame["_den"] = parts[how.denominator]() if how.denominator else float("nan")
    return frame


def _aggregate(frame: pd.DataFrame, d: MetricDefinition, level: str, dim: str) -> pd.DataFrame:
    """The metric's rows for one level and one student group dimension ("all" for everyone)."""
    keys = _LEVEL_KEYS[level] + ["period", "school_year"] + ([] if dim == "all" else [dim])
    grouped = frame.groupby(keys, as_index=False, dropna=False)
    m = d.measure
    if m.kind.behaviour.value == measures.QUANTILE:
        agg = _quantile(grouped, m)
    else:
        agg = _sums(grouped, m)
    agg["metric"], agg["level"] = d.id, level
    agg["entity_code"] = (
        "district" if level == "district" else agg[_LEVEL_KEYS[level][0]].astype(str)
    )
    agg["grade"] = agg["grade"] if level == "grade" else ""
    agg["group_dim"] = dim
    agg["group_value"] = "all" if dim == "all" else agg[dim]
    return agg[OUTPUT_COLUMNS]


def _quantile(grouped: DataFrameGroupBy, m: Measure) -> pd.DataFrame:
    q = m.kind.fraction(m.p)
    agg = grouped.agg(n=(m.column, "count"), value=(m.column, lambda s, q=q: s.quantile(q)))
    agg["numerator"] = agg["denominator"] = float("nan")
    return agg


def _sums(grouped: DataFrameGroupBy, m: Measure) -> pd.DataFrame:
    agg = grouped.agg(n=("_num", "size"), numerator=("_num", "sum"), denominator=("_den", "sum"))
    if m.kind.is_ratio:
        agg["value"] = agg["numerator"] / agg["denominator"]
    else:
        agg["value"] = agg["numerator"]
        agg["denominator"] = float("nan")
    return agg


# ------------------------------------------------------------------ published sources


def _published_rows(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    """The file's school rows for all students, with a numerator for every row whose count is
    known: as published, or the published value times the denominator; none when suppressed."""
    values = tables[SOURCES[d.source].tables[0]]
    rows = values[(values["entity_level"] == "school") & (values["group_name"] == "all")]
    suppressed = rows["suppressed"].fillna(False).astype(bool)
    derived = rows["value"].astype(float) * rows["denominator"].astype(float)
    numerator = rows["numerator"].astype(float).where(rows["numerator"].notna(), derived)
    frame = pd.DataFrame(
        {
            "source": rows["source"],
            "school_code": rows["entity_code"],
            "school_name": rows["entity_name"],
            "grade": rows["grade"],
            "school_year": rows["period"],
            "measure": rows["measure"],
            "numerator": numerator.where(~suppressed, np.nan),
            "denominator": rows["denominator"].astype(float),
            "value": rows["value"].astype(float),
            "suppressed": suppressed,
        }
    )
    if d.filter:
        frame = frame[compile_to_pandas(d.filter, frame, d.params).fillna(False).astype(bool)]
    frame = frame.merge(
        tables["schools"][["school_code", "network_code"]], on="school_code", how="left"
    )
    frame["network_code"] = frame["network_code"].fillna("")
    frame["period"] = frame["school_year"]
    return frame


def _sum_or_unknown(values: pd.Series) -> float:
    """The sum, or NaN when any value is missing: a suppressed count is not a zero."""
    return float(values.sum()) if values.notna().all() else np.nan


def _published(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    frame = _published_rows(tables, d)
    m = d.measure
    ratio = m.kind.is_ratio
    num = m.numerator if ratio else m.column
    grades = frame[frame["grade"] != "all"]
    schools = grades if d.school_total == "grades" else frame[frame["grade"] == "all"]
    out = []
    for level in d.levels:
        rows = grades if level == "grade" else schools
        keys = _LEVEL_KEYS[level] + ["period", "school_year"]
        agg = rows.groupby(keys, as_index=False, dropna=False).agg(
            numerator=(num, _sum_or_unknown),
            denominator=(m.denominator if ratio else num, _sum_or_unknown),
        )
        if not ratio:
            agg["denominator"] = np.nan
        counted = agg["denominator"] if ratio else agg["numerator"]
        agg["n"] = counted.fillna(0).round().astype("int64")
        measured = agg["denominator"].where(agg["denominator"] != 0)
        agg["value"] = agg["numerator"] / measured if ratio else agg["numerator"]
        agg["metric"], agg["level"] = d.id, level
        agg["entity_code"] = (
            "district" if level == "district" else agg[_LEVEL_KEYS[level][0]].astype(str)
        )
        agg["grade"] = agg["grade"] if level == "grade" else ""
        agg["group_dim"] = agg["group_value"] = "all"
        out.append(agg[OUTPUT_COLUMNS])
    return pd.concat(out, ignore_index=True)
