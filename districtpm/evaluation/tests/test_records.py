"""Evaluations are personnel records: read only by the teacher, their evaluator (caseload),
their principal and HR partners — refused to everyone else, a site superuser included — every
read by someone other than the teacher audited; scored by the evaluator and principal;
final only with every component scored and every rationale written; reopened only with a
reason."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, records
from districtpm.evaluation.models import ComponentScore, Evaluation

READERS = {"teacher_a", "evaluator_a", "principal_a", "hr"}
SCORERS = {"evaluator_a", "principal_a"}
OTHERS = [
    "principal_b",
    "evaluator_b",
    "teacher_b",
    "pm",
    "slt",
    "board",
    "network_1",
    "admin",
    "team_lead",
    "norole",
]


@pytest.fixture
def leap(world):
    return actions.create_from_preset(world.year, acting_user=SYSTEM)


@pytest.fixture
def tess(world, leap):
    """Teacher A's evaluation (she signs in as teacher_a; evaluator A has her on the caseload),
    on the weights without a survey."""
    ws = leap.weight_sets.get(name="Without a student survey")
    return records.open_evaluation(
        world.staff["teacher_a"], world.school_a, leap, ws, acting_user=world.users["principal_a"]
    )


def _components(leap):
    return {c.kind: c for c in leap.components.all()}


def _score_all(evaluation, leap, user, *, rationale="Seen in three observations."):
    c = _components(leap)
    for kind in ["observation", "professionalism", "growth_individual", "growth_collective"]:
        records.score_component(evaluation, c[kind], 3, rationale, acting_user=user)


@pytest.mark.parametrize("who", sorted(READERS))
def test_those_who_may_read_it_do_and_others_reads_are_audited(world, tess, who):
    user = world.users[who]
    found = records.read(Evaluation.objects, user, pk=tess.pk)
    assert found == tess
    audited = AuditEntry.objects.filter(action="evaluation.read", object_id=str(tess.pk))
    assert audited.count() == (0 if who == "teacher_a" else 1)
    if who != "teacher_a":
        assert audited.get().actor == user


@pytest.mark.parametrize("who", OTHERS + ["superuser"])
def test_everyone_else_is_refused_and_nothing_is_recorded_as_read(world, tess, who):
    user = (
        User.objects.create_superuser("root", password="x")
        if who == "superuser"
        else world.users[who]
    )
    with pytest.raises(Http404):
        records.read(Evaluation.objects, user, pk=tess.pk)
    assert not Evaluation.objects.visible_to(user).exists()
    assert not ComponentScore.objects.visible_to(user).exists()
    with pytest.raises(PermissionDenied):
        records.score_component(
            tess, _components(tess.framework)["observation"], 3, acting_user=user
        )
    assert not AuditEntry.objects.filter(action="evaluation.read").exists()


def test_a_teacher_does_not_read_a_colleagues_record_nor_an_evaluator_outside_the_caseload(
    world, leap
):
    tim = records.open_evaluation(
        world.staff["teacher_a2"], world.school_a, leap, acting_user=world.users["principal_a"]
    )
    for who in ["teacher_a", "evaluator_a"]:
        with pytest.raises(Http404):
            records.read(Evaluation.objects, world.users[who], pk=tim.pk)
    assert records.read(Evaluation.objects, world.users["principal_a"], pk=tim.pk) == tim


@pytest.mark.parametrize("who", ["teacher_a", "hr"])
def test_the_teacher_and_hr_read_but_do_not_score(world, tess, who):
    with pytest.raises(PermissionDenied):
        records.score_component(
            tess, _components(tess.framework)["observation"], 3, acting_user=world.users[who]
        )


def test_final_only_with_every_score_and_every_rationale(world, tess, leap):
    evaluator = world.users["evaluator_a"]
    c = _components(leap)
    records.score_component(tess, c["observation"], 3, "", acting_user=evaluator)
    with pytest.raises(ValidationError) as refused:
        records.finalise(tess, "", acting_user=evaluator)
    text = " ".join(refused.value.messages)
    assert "Not scored yet: Professionalism" in text
    assert "A rationale is needed for: Observation of practice" in text
    assert "for the overall rating" in text
    tess.refresh_from_db()
    assert tess.state == "open" and tess.final_level is None
    _score_all(tess, leap, evaluator)
    with pytest.raises(ValidationError, match="for the overall rating"):
        records.finalise(tess, "  ", acting_user=evaluator)
    done = records.finalise(
        tess, "Consistently effective; growth on target.", acting_user=evaluator
    )
    assert done.state == "final" and done.final_level.name == "Effective"
    assert done.final_score == pytest.approx(66.67)
    with pytest.raises(ValidationError, match="reopen it"):
        records.score_component(tess, c["observation"], 4, "x", acting_user=evaluator)


def test_reopening_needs_a_reason_and_is_audited(world, tess, leap):
    principal = world.users["principal_a"]
    _score_all(tess, leap, principal)
    records.finalise(tess, "Effective overall.", acting_user=principal)
    with pytest.raises(ValidationError, match="reason"):
        records.reopen(tess, "", acting_user=principal)
    records.reopen(
        tess, "A growth result was attributed to the wrong teacher.", acting_user=principal
    )
    entry = AuditEntry.objects.get(action="evaluation.reopen")
    assert entry.note.startswith("A growth result") and entry.before["state"] == "final"
    tess.refresh_from_db()
    assert tess.state == "open"


def test_only_the_principal_or_hr_opens_an_evaluation_and_only_for_the_schools_staff(world, leap):
    with pytest.raises(PermissionDenied):
        records.open_evaluation(
            world.staff["teacher_a"], world.school_a, leap, acting_user=world.users["principal_b"]
        )
    with pytest.raises(ValidationError, match="does not work at"):
        records.open_evaluation(
            world.staff["teacher_b"], world.school_a, leap, acting_user=world.users["principal_a"]
        )
    made = records.open_evaluation(
        world.staff["teacher_b"], world.school_b, leap, acting_user=world.users["hr"]
    )
    assert made.weight_set.default
