"""Vega-Lite specifications for metric charts. The same spec renders in the browser and, as
SVG or PNG, in exported packs."""

from __future__ import annotations

from typing import Any

from districtpm.metrics.models import Metric

VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json"


def _axis_format(metric: Metric) -> str:
    return ".0%" if metric.format.startswith("percent") else ",.1f"


def _axis(metric: Metric) -> dict[str, Any]:
    """The value axis: ticks no closer than the format shows (whole percents, tenths), so no
    two ticks read the same (a 0–5% range would otherwise tick every 0.2% as 0%, 0%, 0%, 1%…)."""
    step = 0.01 if metric.format.startswith("percent") else 0.1
    return {"format": _axis_format(metric), "tickMinStep": step}


def _trend_scale(metric: Metric, values: list[float]) -> dict[str, Any]:
    """Zero at the foot of the axis, unless every value lies far from it (monthly attendance
    between 92% and 95% on a 0–100% axis is a flat line): then the axis spans the values, but
    never less than ten points of a percentage (a tenth of the top value otherwise), so that a
    small change does not look like a large one."""
    if not values or min(values) < 0 or min(values) <= 0.5 * max(values):
        return {"zero": True}
    lo, hi = min(values), max(values)
    percent = metric.format.startswith("percent")
    least = 0.10 if percent else 0.1 * hi
    if hi - lo < least:
        middle = (hi + lo) / 2
        lo, hi = middle - least / 2, middle + least / 2
    if percent:
        lo, hi = max(0.0, lo), min(1.0, hi) if hi <= 1 else hi
    return {"zero": False, "domain": [lo, hi], "nice": True}


def trend_spec(metric: Metric, rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """Value by period, one line per student group; suppressed cells are simply absent."""
    data = [
        {"period": r["period"], "group": r["label"], "value": r["value"], "n": r["n"]}
        for r in rows
        if r["value"] is not None
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "width": "container",
        "height": 260,
        "data": {"values": data},
        "mark": {"type": "line", "point": True},
        "encoding": {
            "x": {"field": "period", "type": "ordinal", "title": None, "sort": None},
            "y": {
                "field": "value",
                "type": "quantitative",
                "title": metric.name,
                "axis": _axis(metric),
                "scale": _trend_scale(metric, [d["value"] for d in data]),
            },
            "color": {"field": "group", "type": "nominal", "title": "Group"},
            "tooltip": [
                {"field": "group", "type": "nominal"},
                {"field": "period", "type": "ordinal"},
                {"field": "value", "type": "quantitative", "format": _axis_format(metric)},
                {"field": "n", "type": "quantitative", "title": "n"},
            ],
        },
    }


def comparison_spec(metric: Metric, rows: list[dict[str, Any]], title: str) -> dict[str, Any]:
    """One bar per entity or group for a single period."""
    data = [
        {"label": r["label"], "value": r["value"], "n": r["n"]}
        for r in rows
        if r["value"] is not None
    ]
    return {
        "$schema": VEGA_LITE_SCHEMA,
        "title": title,
        "width": "container",
        "height": {"step": 18},
        "data": {"values": data},
        "mark": "bar",
        "encoding": {
            "y": {"field": "label", "type": "nominal", "title": None, "sort": "-x"},
            "x": {
                "field": "value",
                "type": "quantitative",
                "title": metric.name,
                "axis": _axis(metric),
            },
            "tooltip": [
                {"field": "label", "type": "nominal"},
                {"field": "value", "type": "quantitative", "format": _axis_format(metric)},
                {"field": "n", "type": "quantitative", "title": "n"},
            ],
        },
    }
