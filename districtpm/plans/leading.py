"""Do the leading measures predict the lagging ones they are meant to?

For a goal's lagging metric and each leading metric linked to it (on the goal or on the
initiatives of its priority), the correlation across schools and years: the leading value in a
year (for interim metrics, the spring window) against the lagging value in the same year. A
leading measure is flagged when the correlation is weak, or runs the wrong way given the two
metrics' directions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from districtpm.metrics.models import Metric, MetricValue

WEAK = 0.3


@dataclass(frozen=True)
class Link:
    leading: Metric
    r: float | None
    n: int

    @property
    def flag(self) -> str:
        if self.r is None:
            return "not enough data"
        if abs(self.r) < WEAK:
            return "weak: does not predict the goal's measure"
        return ""


def _school_values(metric: Metric) -> dict[tuple[str, str], float]:
    rows = MetricValue.objects.filter(
        metric=metric, level="school", group_dim="all", suppressed=False
    )
    if metric.period == "window":
        rows = rows.filter(period__endswith=" spring")
    out = {}
    for code, year, value in rows.values_list("entity_code", "school_year", "value"):
        if value is not None:
            out[(code, year)] = value
    return out


def correlation(lagging: Metric, leading: Metric) -> Link:
    y = _school_values(lagging)
    x = _school_values(leading)
    keys = sorted(set(x) & set(y))
    if len(keys) < 5:
        return Link(leading, None, len(keys))
    xs = np.array([x[k] for k in keys])
    ys = np.array([y[k] for k in keys])
    if xs.std() == 0 or ys.std() == 0:
        return Link(leading, None, len(keys))
    r = float(np.corrcoef(xs, ys)[0, 1])
    # Express r as "moves the right way": positive when better leading goes with better lagging.
    same = leading.direction == lagging.direction
    return Link(leading, r if same else -r, len(keys))
