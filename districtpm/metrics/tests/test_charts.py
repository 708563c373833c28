"""Charts read as a person reads them: no two ticks of an axis show the same label."""

from __future__ import annotations

import re

import pytest
import vl_convert

from districtpm.metrics import charts
from districtpm.metrics.models import Metric


def _tick_labels(spec: dict) -> list[str]:
    spec = {**spec, "width": 720}
    svg = vl_convert.vegalite_to_svg(spec)
    return re.findall(r"<text[^>]*>([^<]*%|[\d.,]+)</text>", svg)


@pytest.mark.parametrize(
    ("fmt", "values"),
    [("percent", [0.018, 0.031, 0.053]), ("percent", [0.21, 0.35]), ("number", [2.1, 2.6])],
)
def test_no_two_ticks_read_the_same(fmt, values):
    metric = Metric(id="m", name="Measure", format=fmt)
    rows = [{"label": f"Group {i}", "value": v, "n": 40} for i, v in enumerate(values)]
    labels = _tick_labels(charts.comparison_spec(metric, rows, "By group"))
    trend = [
        {"period": f"202{i}-202{i + 1}", "label": "All", "value": v, "n": 40}
        for i, v in enumerate(values)
    ]
    labels_trend = _tick_labels(charts.trend_spec(metric, trend, "Over time"))
    for found in (labels, labels_trend):
        assert len(found) >= 3
        assert len(found) == len(set(found)), found
