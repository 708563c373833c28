"""Computing metric definitions through Ibis: the same code runs on DuckDB, PostgreSQL, Spark.

For each metric the source is filtered, optionally rolled up to one row per student, joined to
the student's groups and school network, and then aggregated. Additive measures (rate, mean,
count, sum, ratio of sums) are aggregated once at the finest grain — school × grade × period ×
group — and rolled up from those counts to school, network and district, so a rate is always
numerator over denominator and never an average of rates. Medians and percentiles are computed
from student rows at every level. Suppression happens after (see suppression.py).
"""

from __future__ import annotations

from collections.abc import Iterable

import ibis
import ibis.expr.types as ir
import pandas as pd

from districtpm.analytics.schema import GROUP_DIMENSIONS
from districtpm.analytics.sources import SOURCES
from districtpm.metrics.definitions import MetricDefinition
from districtpm.metrics.expressions import compile_to_ibis

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
        t = t.filter(compile_to_ibis(d.filter, t))
    # One row per student (and per month for a monthly grain) when asked to roll up.
    if d.rollup:
        keys = ["student_id", "school_year", "school_code", "grade"]
        if d.period == "month":
            keys.append("month")
        t = t.group_by(keys).aggregate(
            **{col: getattr(t[col], how)() for col, how in d.rollup.items()}
        )
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
            t = t.mutate(**{dim: column.ifelse("yes", "no").fill_null("unknown")})
        else:
            t = t.mutate(**{dim: column.cast("string").fill_null("unknown")})
    return t


def _aggregates(t: ir.Table, d: MetricDefinition) -> dict[str, ir.Value]:
    m = d.measure
    assert m is not None
    null_float = ibis.null().cast("float64")
    if m.kind == "rate":
        cond = compile_to_ibis(m.condition or "true", t)
        return {
            "n": t.count(),
            "numerator": cond.ifelse(1, 0).sum().cast("float64"),
            "denominator": t.count().cast("float64"),
        }
    if m.kind == "mean":
        col = t[m.column]
        return {
            "n": col.count(),
            "numerator": col.sum().cast("float64"),
            "denominator": col.count().cast("float64"),
        }
    if m.kind == "sum":
        col = t[m.column]
        return {"n": t.count(), "numerator": col.sum().cast("float64"), "denominator": null_float}
    if m.kind == "count":
        return {"n": t.count(), "numerator": t.count().cast("float64"), "denominator": null_float}
    if m.kind == "ratio_of_sums":
        return {
            "n": t.count(),
            "numerator": t[m.numerator].sum().cast("float64"),
            "denominator": t[m.denominator].sum().cast("float64"),
        }
    col = t[m.column]
    if m.kind == "median":
        return {"n": col.count(), "value": col.median().cast("float64")}
    return {"n": col.count(), "value": col.quantile(m.p / 100).cast("float64")}


def _value_from_counts(kind: str, frame: pd.DataFrame) -> pd.Series:
    if kind in ("rate", "mean", "ratio_of_sums"):
        return frame["numerator"] / frame["denominator"].where(frame["denominator"] != 0)
    return frame["numerator"]


LEVEL_KEYS = {
    "district": [],
    "network": ["network_code"],
    "school": ["school_code"],
    "grade": ["school_code", "grade"],
}


def compute(
    con: ibis.BaseBackend, d: MetricDefinition, years: Iterable[str] | None = None
) -> pd.DataFrame:
    """Values for every level, period and group of one (non-gap) metric, unsuppressed."""
    t = prepared_source(con, d, years)
    dims = ["all", *d.groups]
    if d.additive:
        parts = []
        for dim in dims:
            value = ibis.literal("all") if dim == "all" else t[dim]
            g = t.mutate(group_dim=ibis.literal(dim), group_value=value)
            parts.append(
                g.group_by(
                    [
                        "school_code",
                        "network_code",
                        "grade",
                        "period",
                        "school_year",
                        "group_dim",
                        "group_value",
                    ]
                ).aggregate(**_aggregates(g, d))
            )
        base = ibis.union(*parts).to_pandas()
        base["network_code"] = base["network_code"].fillna("")
        frames = []
        for level in d.levels:
            keys = LEVEL_KEYS[level] + ["period", "school_year", "group_dim", "group_value"]
            rolled = base.groupby(keys, as_index=False, dropna=False)[
                ["n", "numerator", "denominator"]
            ].sum(min_count=1)
            frames.append(_label(rolled, level))
        result = pd.concat(frames, ignore_index=True)
        result["value"] = _value_from_counts(d.measure.kind, result)
    else:
        parts = []
        for level in d.levels:
            for dim in dims:
                value = ibis.literal("all") if dim == "all" else t[dim]
                g = t.mutate(group_dim=ibis.literal(dim), group_value=value)
                keys = LEVEL_KEYS[level] + ["period", "school_year", "group_dim", "group_value"]
                agg = g.group_by(keys).aggregate(**_aggregates(g, d))
                agg = agg.mutate(level=ibis.literal(level))
                for missing in ("network_code", "school_code", "grade"):
                    if missing not in agg.columns:
                        agg = agg.mutate(**{missing: ibis.null().cast("string")})
                parts.append(
                    agg.select(
                        "level",
                        "network_code",
                        "school_code",
                        "grade",
                        "period",
                        "school_year",
                        "group_dim",
                        "group_value",
                        "n",
                        "value",
                    )
                )
        raw = ibis.union(*parts).to_pandas()
        frames = [
            _label(raw[raw["level"] == level].drop(columns="level"), level) for level in d.levels
        ]
        result = pd.concat(frames, ignore_index=True)
        result["numerator"] = float("nan")
        result["denominator"] = float("nan")
    result["metric"] = d.id
    result["n"] = result["n"].astype("int64")
    return result[OUTPUT_COLUMNS].reset_index(drop=True)


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
