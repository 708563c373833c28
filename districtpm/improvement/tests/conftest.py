"""Fixtures the improvement tests share."""

from __future__ import annotations

import pytest

from districtpm.core.scoping import SYSTEM
from districtpm.improvement.tests.values import metric, value

# The rubrics' fixtures, for causes verified against a school's self-assessment.
from districtpm.rubrics import actions as rubric_actions
from districtpm.rubrics.models import Indicator
from districtpm.rubrics.tests.conftest import frameworks, rate_all, school_assessment  # noqa: F401


@pytest.fixture
def ela(world):
    """ELA proficiency: school A's English learners over two years (64 students), all its
    students and the district's English learners; its students with disabilities suppressed;
    school B's English learners."""
    m = metric("ela_prof", "ELA proficiency")
    for year, el, allv, dist in [("2024-2025", 0.35, 0.55, 0.40), ("2025-2026", 0.31, 0.52, 0.41)]:
        value(m, "101", year, el, 64, dim="ell", val="yes")
        value(m, "101", year, allv, 410)
        value(m, "district", year, dist, 3200, level="district", dim="ell", val="yes")
    value(m, "101", "2025-2026", None, None, dim="swd", val="yes", suppressed=True)
    value(m, "102", "2025-2026", 0.2, 30, dim="ell", val="yes")
    return m


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
