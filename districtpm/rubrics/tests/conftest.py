"""The rubrics tests' district: the world's two schools, the two shipped frameworks, a school
self-assessment of school A with a team of three, and the district rubric."""

from __future__ import annotations

import datetime as dt

import pytest

from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions, presets
from districtpm.rubrics.models import Framework


@pytest.fixture
def frameworks(db):
    school = actions.import_framework(presets.school_mtss(), kind="school", acting_user=SYSTEM)
    district = actions.import_framework(
        presets.district_rubric(), kind="district", acting_user=SYSTEM
    )
    return {"school": school, "district": district}


@pytest.fixture
def school_assessment(world, frameworks):
    """School A's self-assessment: the principal facilitates; the evaluator, a teacher and the
    principal rate."""
    u = world.users
    return actions.open_assessment(
        frameworks["school"],
        school=world.school_a,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 10, 30),
        facilitator=u["principal_a"],
        team=[u["principal_a"], u["evaluator_a"], u["teacher_a"]],
        acting_user=SYSTEM,
    )


@pytest.fixture
def district_assessment(world, frameworks):
    u = world.users
    return actions.open_assessment(
        frameworks["district"],
        school=None,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 10, 30),
        facilitator=u["pm"],
        team=[u["pm"], u["slt"], u["admin"]],
        acting_user=SYSTEM,
    )


def rate_all(assessment, user, order: int | dict, *, evidence: str = "Seen in the walkthroughs."):
    """Rate every indicator at one level order (or per indicator key) and submit."""
    from districtpm.rubrics.models import Indicator

    member = assessment.members.get(user=user)
    levels = {lv.order: lv for lv in assessment.version.levels.all()}
    values = {}
    for indicator in Indicator.objects.filter(domain__version=assessment.version):
        at = order.get(indicator.key, 1) if isinstance(order, dict) else order
        values[indicator.id] = actions.RatingInput(level=levels[at], note=evidence)
    assert actions.save_ratings(member, values, acting_user=user) == []
    actions.submit_ratings(member, acting_user=user)
    return member


__all__ = ["Framework", "rate_all"]
