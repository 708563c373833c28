"""A straightforward pandas implementation of the metric definitions.

Not used by the product: it is the independent computation the tests compare the engine with,
and the pandas baseline of `make bench`. It reads whole tables into memory and aggregates each
level and student group separately, the way an analyst would in a notebook.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from districtpm.analytics.schema import GROUP_DIMENSIONS, TABLES
from districtpm.metrics import measures
from districtpm.metrics.definitions import MetricDefinition
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


def compute(tables: dict[str, pd.DataFrame], d: MetricDefinition) -> pd.DataFrame:
    frame = _source(tables, d)
    if d.filter:
        frame = frame[compile_to_pandas(d.filter, frame).fillna(False).astype(bool)]
    if d.rollup:
        keys = ["student_id", "school_year", "school_code", "grade"]
        if d.period == "month":
            keys.append("month")
        frame = frame.groupby(keys, as_index=False).agg(d.rollup)
    if d.period == "window":
        frame["period"] = frame["school_year"] + " " + frame["test_window"]
    elif d.period == "month":
        frame["period"] = frame["month"]
    else:
        frame["period"] = frame["school_year"]
    if d.source not in ("student_years", "student_discipline"):
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
    m = d.measure
    how = m.kind.behaviour
    if how.n == measures.VALUES:  # n counts values, so rows without one take no part
        frame = frame[frame[m.column].notna()]
    if how.value != measures.QUANTILE:
        parts = {
            measures.ROWS: lambda: 1.0,
            measures.VALUES: lambda: 1.0,
            measures.CONDITION: lambda: (
                compile_to_pandas(m.condition, frame).fillna(False).astype(float)
            ),
            measures.COLUMN: lambda: frame[m.column].astype(float),
            measures.NUMERATOR: lambda: frame[m.numerator].astype(float),
            measures.DENOMINATOR: lambda: frame[m.denominator].astype(float),
        }
        frame = frame.copy()
        frame["_num"] = parts[how.numerator]()
        frame["_den"] = parts[how.denominator]() if how.denominator else float("nan")
    out = []
    level_keys = {
        "district": [],
        "network": ["network_code"],
        "school": ["school_code"],
        "grade": ["school_code", "grade"],
    }
    for level in d.levels:
        for dim in ["all", *d.groups]:
            keys = level_keys[level] + ["period", "school_year"] + ([] if dim == "all" else [dim])
            grouped = frame.groupby(keys, as_index=False, dropna=False)
            if how.value == measures.QUANTILE:
                q = m.kind.fraction(m.p)
                agg = grouped.agg(
                    n=(m.column, "count"), value=(m.column, lambda s, q=q: s.quantile(q))
                )
                agg["numerator"] = agg["denominator"] = float("nan")
            else:
                agg = grouped.agg(
                    n=("_num", "size"), numerator=("_num", "sum"), denominator=("_den", "sum")
                )
                if m.kind.is_ratio:
                    agg["value"] = agg["numerator"] / agg["denominator"]
                else:
                    agg["value"] = agg["numerator"]
                    agg["denominator"] = float("nan")
            agg["metric"], agg["level"] = d.id, level
            agg["entity_code"] = (
                "district" if level == "district" else agg[level_keys[level][0]].astype(str)
            )
            agg["grade"] = agg["grade"] if level == "grade" else ""
            agg["group_dim"] = dim
            agg["group_value"] = "all" if dim == "all" else agg[dim]
            out.append(agg[OUTPUT_COLUMNS])
    return pd.concat(out, ignore_index=True)
