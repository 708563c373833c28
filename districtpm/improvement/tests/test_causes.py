"""Root causes verified against the school's self-assessment, a metric or a note."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions
from districtpm.rubrics import actions as rubric_actions
from districtpm.rubrics.models import FinalRating, Indicator
from districtpm.rubrics.tests.conftest import rate_all


@pytest.fixture
def statement(world, ela):
    return actions.write_problem_statement(
        world.school_a,
        ela,
        "2025-2026",
        "ell",
        "yes",
        desired=0.45,
        acting_user=world.users["principal_a"],
    )


def test_a_cause_is_verified_against_a_self_assessment_indicator(
    world, statement, final_self_assessment, login
):
    u = world.users
    cause = actions.propose_cause(
        statement, "Screening misses English learners", acting_user=u["evaluator_a"]
    )
    with pytest.raises(ValidationError, match="needs evidence"):
        actions.decide_cause(cause, "verified", acting_user=u["principal_a"])
    rating = FinalRating.objects.filter(assessment=final_self_assessment).first()
    actions.decide_cause(
        cause,
        "verified",
        indicator_rating=rating,
        evidence="Seen in the screening data",
        acting_user=u["principal_a"],
    )
    cause.refresh_from_db()
    assert cause.status == "verified"
    assert cause.indicator_note.startswith(
        f"{rating.indicator.name}: Emerging (School MTSS self-assessment"
    )
    assert AuditEntry.objects.filter(action__startswith="improvement.cause").count() == 2
    page = (
        login(u["network_1"])
        .get(reverse("improvement:problem", args=[statement.pk]))
        .content.decode()
    )
    assert "Screening misses English learners" in page and "Verified" in page
    assert page.count("Root causes</h2>") == 1 and page.index("Root causes") > page.index(
        "</title>"
    )
    assert (
        'action="/school-improvement/causes/' not in page
    )  # the supervisor reads, does not decide
    for who in ["network_1", "principal_b", "slt", "teacher_a"]:
        with pytest.raises(PermissionDenied):
            actions.propose_cause(statement, "x", acting_user=u[who])
    # The self-assessment's page shows where the rating verified a cause, to whoever reads
    # the problem statement too; a teacher of the team reads the assessment, not the statement.
    url = reverse("rubrics:assessment", args=[final_self_assessment.pk])
    problem_url = reverse("improvement:problem", args=[statement.pk])
    assert problem_url in login(u["principal_a"]).get(url).content.decode()
    teacher_page = login(u["teacher_a"]).get(url)
    assert teacher_page.status_code == 200 and problem_url not in teacher_page.content.decode()


def test_only_the_schools_own_self_assessment_counts(world, statement, frameworks, login):
    import datetime as dt

    u = world.users
    other = rubric_actions.open_assessment(
        frameworks["school"],
        school=world.school_b,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        facilitator=u["principal_b"],
        team=[u["principal_b"]],
        acting_user=SYSTEM,
    )
    rate_all(other, u["principal_b"], 0)
    level = other.version.levels.get(order=0)
    for indicator in Indicator.objects.filter(domain__version=other.version):
        rubric_actions.decide_rating(other, indicator, level, rationale="ok", acting_user=SYSTEM)
    rubric_actions.finalise_assessment(other, acting_user=SYSTEM)
    cause = actions.propose_cause(statement, "Tier 2 time is short", acting_user=u["principal_a"])
    foreign = FinalRating.objects.filter(assessment=other).first()
    client = login(u["principal_a"])
    client.post(
        reverse("improvement:cause_decide", args=[cause.pk]),
        {"status": "verified", "indicator_rating": foreign.pk},
    )
    cause.refresh_from_db()
    assert cause.status == "proposed"
    client.post(
        reverse("improvement:cause_decide", args=[cause.pk]),
        {"status": "rejected", "evidence": "Tier 2 blocks are 40 minutes daily"},
    )
    cause.refresh_from_db()
    assert cause.status == "rejected" and cause.indicator_rating is None
