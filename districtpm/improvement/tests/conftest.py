"""Fixtures the improvement tests share."""

from __future__ import annotations

import pytest

from districtpm.core.scoping import SYSTEM
from districtpm.metrics.models import ComputeRun, Metric, MetricValue

# The rubrics' fixtures, for causes verified against a school's self-assessment.
from districtpm.rubrics import actions as rubric_actions
from districtpm.rubrics.models import Indicator
from districtpm.rubrics.tests.conftest import frameworks, rate_all, school_assessment  # noqa: F401


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


@pytest.fixture
def final_self_assessment(school_assessment):  # noqa: F811  (the imported fixture)
    """School A's self-assessment, every indicator finally rated Emerging."""
    a = school_assessment
    for member in a.members.all():
        rate_all(a, member.user, 1)
    level = a.version.levels.get(order=1)
    for indicator in Indicator.objects.filter(domain__version=a.version):
        rubric_actions.decide_rating(a, indicator, level, rationale="ok", acting_user=SYSTEM)
    rubric_actions.finalise_assessment(a, acting_user=SYSTEM)
    return a
