"""Rating, consensus and finalising; the rules each step keeps; what every role reaches."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions, results
from districtpm.rubrics.models import Descriptor, FinalRating, Indicator, Rating
from districtpm.rubrics.tests.conftest import rate_all


def _decide_all(assessment, user, order: int = 1):
    levels = {lv.order: lv for lv in assessment.version.levels.all()}
    for indicator in Indicator.objects.filter(domain__version=assessment.version):
        actions.decide_rating(
            assessment,
            indicator,
            levels[order],
            rationale="Agreed in the meeting.",
            acting_user=user,
        )


def test_a_member_sees_only_their_own_ratings_until_they_submit(world, school_assessment):
    u = world.users
    rate_all(school_assessment, u["evaluator_a"], 0)
    teacher = school_assessment.members.get(user=u["teacher_a"])
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    level = school_assessment.version.levels.get(order=1)
    actions.save_ratings(
        teacher, {first.id: actions.RatingInput(level=level)}, acting_user=u["teacher_a"]
    )
    seen = Rating.objects.visible_to(u["teacher_a"]).filter(member__assessment=school_assessment)
    assert {r.member.user_id for r in seen} == {u["teacher_a"].pk}
    # the teacher has not rated everything: submitting is refused
    with pytest.raises(ValidationError, match="still to rate"):
        actions.submit_ratings(teacher, acting_user=u["teacher_a"])
    rate_all(school_assessment, u["teacher_a"], 2)
    seen = Rating.objects.visible_to(u["teacher_a"]).filter(member__assessment=school_assessment)
    assert {r.member.user_id for r in seen} == {u["teacher_a"].pk, u["evaluator_a"].pk}
    # The principal facilitates and rates: as a member, hidden until they submit or reveal.
    seen = Rating.objects.visible_to(u["principal_a"]).filter(member__assessment=school_assessment)
    assert {r.member.user_id for r in seen} == set()
    actions.reveal_ratings(school_assessment, acting_user=u["principal_a"])
    seen = Rating.objects.visible_to(u["principal_a"]).filter(member__assessment=school_assessment)
    assert {r.member.user_id for r in seen} == {u["teacher_a"].pk, u["evaluator_a"].pk}
    # The network supervisor is not rating: they see everything of the school.
    assert (
        Rating.objects.visible_to(u["network_1"])
        .filter(member__assessment=school_assessment)
        .count()
        == 36
    )
    for outsider in ["principal_b", "network_2", "teacher_b", "evaluator_b", "pm", "board", "hr"]:
        assert not Rating.objects.visible_to(u[outsider]).exists(), outsider


def test_submitted_ratings_are_locked_and_reopening_is_audited(world, school_assessment):
    u = world.users
    member = rate_all(school_assessment, u["teacher_a"], 1)
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    level = school_assessment.version.levels.get(order=0)
    with pytest.raises(PermissionDenied):
        actions.save_ratings(
            member, {first.id: actions.RatingInput(level=level)}, acting_user=u["teacher_a"]
        )
    with pytest.raises(PermissionDenied):
        actions.reopen_ratings(member, reason="typo", acting_user=u["teacher_a"])
    with pytest.raises(ValidationError, match="reason"):
        actions.reopen_ratings(member, reason=" ", acting_user=u["principal_a"])
    actions.reopen_ratings(
        member, reason="Rated the wrong school year", acting_user=u["principal_a"]
    )
    entry = AuditEntry.objects.get(action="rubrics.rating.reopen")
    assert entry.note == "Rated the wrong school year" and entry.actor == u["principal_a"]
    assert (
        actions.save_ratings(
            member, {first.id: actions.RatingInput(level=level)}, acting_user=u["teacher_a"]
        )
        == []
    )
    change = AuditEntry.objects.filter(action="rubrics.rating.change").latest("pk")
    assert change.before["level"] != change.after["level"]
    assert AuditEntry.objects.filter(action="rubrics.rating.change").count() == 19


def test_the_top_level_needs_evidence_and_a_failed_save_keeps_nothing(world, school_assessment):
    u = world.users
    member = school_assessment.members.get(user=u["teacher_a"])
    indicators = list(Indicator.objects.filter(domain__version=school_assessment.version)[:2])
    top = school_assessment.version.levels.get(order=3)
    low = school_assessment.version.levels.get(order=0)
    problems = actions.save_ratings(
        member,
        {
            indicators[0].id: actions.RatingInput(level=low),
            indicators[1].id: actions.RatingInput(level=top),
        },
        acting_user=u["teacher_a"],
    )
    assert len(problems) == 1 and "needs evidence" in problems[0]
    assert not Rating.objects.filter(member=member).exists()
    problems = actions.save_ratings(
        member,
        {indicators[1].id: actions.RatingInput(level=top, link="javascript:alert(1)")},
        acting_user=u["teacher_a"],
    )
    assert "http" in problems[0]
    assert (
        actions.save_ratings(
            member,
            {indicators[1].id: actions.RatingInput(level=top, link="https://example.org/minutes")},
            acting_user=u["teacher_a"],
        )
        == []
    )


def test_consensus_flags_disagreement_and_the_facilitator_finalises(world, school_assessment):
    u = world.users
    first = Indicator.objects.filter(domain__version=school_assessment.version).first()
    rate_all(school_assessment, u["principal_a"], {first.key: 0})
    rate_all(school_assessment, u["evaluator_a"], {first.key: 2})
    rate_all(school_assessment, u["teacher_a"], {first.key: 1})
    _, _, rows = results.assessment_view(school_assessment, u["principal_a"], whole=True)
    assert rows[first.id].spread.disagrees
    assert [r for r in rows.values() if r.spread.disagrees] == [rows[first.id]]
    with pytest.raises(PermissionDenied):
        actions.decide_rating(
            school_assessment,
            first,
            school_assessment.version.levels.get(order=1),
            rationale="x",
            acting_user=u["teacher_a"],
        )
    with pytest.raises(ValidationError, match="rationale"):
        actions.decide_rating(
            school_assessment,
            first,
            school_assessment.version.levels.get(order=1),
            rationale="",
            acting_user=u["principal_a"],
        )
    with pytest.raises(ValidationError, match="every indicator"):
        actions.finalise_assessment(school_assessment, acting_user=u["principal_a"])
    _decide_all(school_assessment, u["principal_a"])
    actions.finalise_assessment(school_assessment, acting_user=u["principal_a"])
    school_assessment.refresh_from_db()
    assert school_assessment.is_final
    assert AuditEntry.objects.filter(action="rubrics.final.change").count() == 18
    # Final: no more final ratings; members cannot rate.
    with pytest.raises(PermissionDenied):
        _decide_all(school_assessment, u["principal_a"], 0)
    # District leaders see the final ratings of every school, never the individual ones.
    assert FinalRating.objects.visible_to(u["slt"]).count() == 18
    assert not Rating.objects.visible_to(u["slt"]).exists()
    assert not FinalRating.objects.visible_to(u["board"]).exists()


def test_changing_a_framework_in_use_keeps_what_last_year_was_rated_on(world, school_assessment):
    indicator = Indicator.objects.filter(domain__version=school_assessment.version).first()
    old = list(indicator.descriptors.order_by("level__order").values_list("text", flat=True))
    changed = actions.change_indicator(
        indicator,
        name=indicator.name + " (revised)",
        descriptors=[f"New wording {i}" for i in range(4)],
        acting_user=world.users["pm"],
    )
    assert changed.domain.version.number == 2 and changed.key == indicator.key
    assert school_assessment.version.number == 1
    indicator.refresh_from_db()
    assert (
        list(indicator.descriptors.order_by("level__order").values_list("text", flat=True)) == old
    )
    assert (
        Descriptor.objects.filter(indicator__domain__version=changed.domain.version).count() == 72
    )
    client = pytest.importorskip("django.test").Client()
    client.force_login(world.users["principal_a"])
    page = client.get(reverse("rubrics:assessment", args=[school_assessment.pk])).content.decode()
    assert old[0] in page and "New wording 0" not in page
    # A version nobody has used changes in place.
    again = actions.change_indicator(
        changed, name="Third name", descriptors=["a", "b", "c", "d"], acting_user=world.users["pm"]
    )
    assert again.pk == changed.pk and again.domain.version.number == 2
    with pytest.raises(PermissionDenied):
        actions.change_indicator(
            again, name="x", descriptors=["a"] * 4, acting_user=world.users["principal_a"]
        )


def test_weak_indicators_link_to_work_and_the_unlinked_are_listed(world, school_assessment, login):
    from districtpm.plans.models import Initiative, Plan, Priority

    u = world.users
    for who in ["principal_a", "evaluator_a", "teacher_a"]:
        rate_all(school_assessment, u[who], 0)
    _decide_all(school_assessment, u["principal_a"], 0)
    actions.finalise_assessment(school_assessment, acting_user=u["principal_a"])
    plan = Plan.objects.create(name="Plan", first_year="2024-2025", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Great Schools", order=1)
    goal = Initiative.objects.create(priority=priority, name="Universal screening")
    final = FinalRating.objects.filter(assessment=school_assessment).first()
    page = login(u["pm"]).get(reverse("rubrics:home")).content.decode()
    assert page.count('href="/rubrics/assessments/') >= 1 and final.indicator.name in page
    actions.link_work(final, goal, acting_user=u["pm"])
    with pytest.raises(ValidationError, match="linked already"):
        actions.link_work(final, goal, acting_user=u["pm"])
    with pytest.raises(PermissionDenied):
        actions.link_work(final, goal, acting_user=u["teacher_a"])
    assert AuditEntry.objects.filter(action="rubrics.link.create").count() == 1
    # The plan's page says what the initiative answers, to whoever may see the link.
    plan_page = login(u["pm"]).get(reverse("plans:home")).content.decode()
    assert "Answers weak self-assessment indicators" in plan_page
    assert f"{final.indicator.name} (1 school)" in plan_page
    board_page = login(u["board"]).get(reverse("plans:home")).content.decode()
    assert "Universal screening" in board_page and final.indicator.name not in board_page
    page = login(u["pm"]).get(reverse("rubrics:home")).content.decode()
    assert f'#final-{final.pk}"' not in page
    others = FinalRating.objects.filter(assessment=school_assessment).exclude(pk=final.pk)
    assert all(f'#final-{f.pk}"' in page for f in others)


def test_opening_is_scoped(world, frameworks):
    import datetime as dt

    u = world.users
    kwargs = dict(
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        facilitator=u["principal_b"],
        team=[u["principal_b"]],
    )
    with pytest.raises(PermissionDenied):
        actions.open_assessment(
            frameworks["school"], school=world.school_b, acting_user=u["principal_a"], **kwargs
        )
    with pytest.raises(PermissionDenied):
        actions.open_assessment(
            frameworks["district"], school=None, acting_user=u["principal_b"], **kwargs
        )
    with pytest.raises(ValidationError):
        actions.open_assessment(
            frameworks["district"], school=world.school_b, acting_user=SYSTEM, **kwargs
        )
    made = actions.open_assessment(
        frameworks["school"], school=world.school_b, acting_user=u["principal_b"], **kwargs
    )
    assert made.members.count() == 1
