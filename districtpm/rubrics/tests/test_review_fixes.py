"""Regressions found in review: who opens what, indicator keys across versions, what a rater
sees before submitting, links that are not web addresses, tables in the other layouts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions
from districtpm.rubrics.models import Indicator
from districtpm.rubrics.parse import FrameworkProblems, parse_text
from districtpm.rubrics.tests.conftest import rate_all


def test_the_pm_office_opens_any_schools_self_assessment(world, frameworks, login):
    u = world.users
    a = actions.open_assessment(
        frameworks["school"],
        school=world.school_b,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        facilitator=u["principal_b"],
        team=[u["principal_b"]],
        acting_user=u["pm"],
    )
    assert a.school == world.school_b
    page = login(u["pm"]).get(reverse("rubrics:assessment_new")).content.decode()
    assert world.school_a.name in page and world.school_b.name in page
    # A second assessment of the same framework, school and year is refused.
    with pytest.raises(ValidationError, match="already"):
        actions.open_assessment(
            frameworks["school"],
            school=world.school_b,
            school_year=world.year,
            opens_on=dt.date(2026, 9, 1),
            closes_on=dt.date(2026, 9, 30),
            facilitator=u["principal_b"],
            team=[u["principal_b"]],
            acting_user=u["pm"],
        )


def test_keys_follow_indicators_not_names(school_assessment, world):
    version = school_assessment.version
    first, second = Indicator.objects.filter(domain__version=version).order_by(
        "domain__order", "order"
    )[:2]
    keys = {first.key, second.key}
    # Renaming the second to the first's name within a domain is refused …
    with pytest.raises(ValidationError, match="already"):
        actions.change_indicator(
            second, name=first.name, descriptors=list("abcd"), acting_user=SYSTEM
        )
    # … and renaming keeps every key where it was.
    renamed = actions.change_indicator(
        second, name="Brand new practice", descriptors=list("abcd"), acting_user=SYSTEM
    )
    assert renamed.key == second.key and renamed.name == "Brand new practice"
    new_version = renamed.domain.version
    old = dict(
        Indicator.objects.filter(domain__version=version).values_list("domain__order", "key")
    )
    assert {i.key for i in Indicator.objects.filter(domain__version=new_version)} >= keys
    by_position = {
        (i.domain.order, i.order): i.key
        for i in Indicator.objects.filter(domain__version=version).select_related("domain")
    }
    again = {
        (i.domain.order, i.order): i.key
        for i in Indicator.objects.filter(domain__version=new_version).select_related("domain")
    }
    assert by_position == again and old


def test_a_rater_who_has_not_submitted_sees_no_final_rating(world, school_assessment, login):
    u = world.users
    rate_all(school_assessment, u["principal_a"], 1)
    level = school_assessment.version.levels.get(order=1)
    for indicator in Indicator.objects.filter(domain__version=school_assessment.version):
        actions.decide_rating(
            school_assessment,
            indicator,
            level,
            rationale="Rationale-visible-q7",
            acting_user=u["principal_a"],
        )
    for name in ["report", "report_xlsx", "report_pdf", "assessment"]:
        response = login(u["teacher_a"]).get(
            reverse(f"rubrics:{name}", args=[school_assessment.pk])
        )
        assert response.status_code == 200
        assert b"Rationale-visible-q7" not in response.content, name
    page = login(u["network_1"]).get(reverse("rubrics:report", args=[school_assessment.pk]))
    assert b"Rationale-visible-q7" in page.content


def test_a_link_that_is_not_a_web_address_is_a_problem_not_an_error(
    world, school_assessment, login
):
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    level = school_assessment.version.levels.get(order=1)
    client = login(world.users["teacher_a"])
    response = client.post(
        reverse("rubrics:rate", args=[school_assessment.pk]),
        {f"level_{first.pk}": level.pk, f"link_{first.pk}": "https://"},
        follow=True,
    )
    assert response.status_code == 200
    assert "is not a web address" in response.content.decode()


def test_the_domain_column_layout_with_a_title_and_blank_domain_cells():
    parsed = parse_text(
        "Our rubric\nDomain\tIndicator\tLow\tHigh\nLeadership\tTeam meets\tRarely\tMonthly\n"
        "\tPlan exists\tNo\tYes\nData\tScreening\tNone\tThrice\n"
    )
    assert parsed.name == "Our rubric"
    assert [(d.name, len(d.indicators)) for d in parsed.domains] == [("Leadership", 2), ("Data", 1)]
    with pytest.raises(FrameworkProblems) as caught:
        parse_text(
            "Domain\tIndicator\tLow\tHigh\nLeadership\tTeam meets\tRarely\tMonthly\nPage 3\n"
        )
    assert caught.value.problems[0].line == 3


def test_duplicate_levels_are_refused_and_a_repeated_header_keeps_the_continuation():
    with pytest.raises(FrameworkProblems) as caught:
        parse_text("D\nIndicator\tEmerging\tEmerging\tStrong\nA\tx\ty\tz\n")
    assert "same name" in caught.value.problems[0].reason
    parsed = parse_text(
        "D\nIndicator\tLow\tHigh\nTeam meets\tRarely, or only\tMonthly\n"
        "Indicator\tLow\tHigh\n\tin the fall\t\n"
    )
    assert parsed.domains[0].indicators[0].descriptors[0] == "Rarely, or only in the fall"


def test_a_superuser_is_held_to_the_team_rules(world, school_assessment, login):
    """The demo's district admin is also the site's superuser: it reads a school's
    self-assessment in final ratings only, and cannot rate, decide or change locked work."""
    from django.core.exceptions import PermissionDenied

    from districtpm.rubrics.models import FinalRating, Rating

    u = world.users
    admin = u["admin"]
    admin.is_superuser = True
    admin.save()
    rate_all(school_assessment, u["evaluator_a"], 1, evidence="Evidence-note-s9")
    assert not Rating.objects.visible_to(admin).exists()
    page = login(admin).get(reverse("rubrics:assessment", args=[school_assessment.pk])).content
    assert b"Evidence-note-s9" not in page and b"Consensus" not in page
    level = school_assessment.version.levels.get(order=0)
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    with pytest.raises(PermissionDenied):
        actions.decide_rating(school_assessment, first, level, rationale="x", acting_user=admin)
    member = school_assessment.members.get(user=u["evaluator_a"])
    with pytest.raises(PermissionDenied):  # submitted: locked for the system too
        actions.save_ratings(
            member, {first.id: actions.RatingInput(level=level)}, acting_user=SYSTEM
        )
    assert not FinalRating.objects.exists()


def test_the_audit_log_withholds_rating_details_from_who_may_not_read_them(
    world, school_assessment, login
):
    u = world.users
    member = school_assessment.members.get(user=u["teacher_a"])
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    level = school_assessment.version.levels.get(order=2)
    actions.save_ratings(
        member,
        {first.id: actions.RatingInput(level=level, note="Draft-note-m4")},
        acting_user=u["teacher_a"],
    )
    page = login(u["pm"]).get(reverse("audit:list") + "?action=rubrics.rating").content.decode()
    assert "rubrics.rating.change" in page and "Details withheld" in page
    assert "Draft-note-m4" not in page and level.name not in page
