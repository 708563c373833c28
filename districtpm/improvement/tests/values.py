"""Metrics and stored values for the improvement tests, made the way the engine stores them
(a suppressed value is blank)."""

from __future__ import annotations

from typing import Any

from districtpm.metrics.models import ComputeRun, Metric, MetricValue


def metric(mid: str, name: str, *, kind: str = "lagging") -> Metric:
    """A yearly percentage metric of schools and the district, by English learner status."""
    return Metric.objects.create(
        id=mid,
        name=name,
        source="assessments",
        measure="rate",
        period="school_year",
        direction="higher",
        kind=kind,
        unit="share",
        format="percent",
        min_n=10,
        levels=["district", "school"],
        groups=["ell"],
        digest="t",
    )


def value(
    m: Metric,
    code: str,
    year: str,
    v: float | None,
    n: int | None,
    *,
    level: str = "school",
    dim: str = "all",
    val: str = "all",
    suppressed: bool = False,
    period: str | None = None,
) -> Any:
    return MetricValue.objects.create(
        metric=m,
        level=level,
        entity_code=code,
        grade="",
        period=period or year,
        school_year=year,
        group_dim=dim,
        group_value=val,
        n=None if suppressed else n,
        value=None if suppressed else v,
        suppressed=suppressed,
        run=ComputeRun.objects.create(rows=0),
    )
