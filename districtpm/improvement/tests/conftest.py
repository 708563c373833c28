"""Fixtures the improvement tests share."""

from __future__ import annotations

import pytest

from districtpm.metrics.models import ComputeRun, Metric, MetricValue

# The rubrics' fixtures, for causes verified against a school's self-assessment.
from districtpm.rubrics.tests.conftest import frameworks, school_assessment  # noqa: F401


@pytest.fixture
def ela(world):
    metric = Metric.objects.create(
        id="ela_prof",
        name="ELA proficiency",
        source="assessments",
        measure="rate",
        period="school_year",
        direction="higher",
        kind="lagging",
        unit="share",
        format="percent",
        min_n=10,
        levels=["district", "school"],
        groups=["ell"],
        digest="t",
    )
    run = ComputeRun.objects.create(rows=0)

    def value(level, code, year, dim, val, v, n, suppressed=False):
        MetricValue.objects.create(
            metric=metric,
            level=level,
            entity_code=code,
            grade="",
            period=year,
            school_year=year,
            group_dim=dim,
            group_value=val,
            n=None if suppressed else n,
            value=None if suppressed else v,
            suppressed=suppressed,
            run=run,
        )

    for year, el, allv, dist in [("2024-2025", 0.35, 0.55, 0.40), ("2025-2026", 0.31, 0.52, 0.41)]:
        value("school", "101", year, "ell", "yes", el, 64)
        value("school", "101", year, "all", "all", allv, 410)
        value("district", "district", year, "ell", "yes", dist, 3200)
    value("school", "101", "2025-2026", "swd", "yes", None, None, suppressed=True)
    value("school", "102", "2025-2026", "ell", "yes", 0.2, 30)
    return metric
