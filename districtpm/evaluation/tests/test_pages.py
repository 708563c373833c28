"""The evaluation pages as each role: the evaluator scores and finalises through them (not
without rationales), the teacher reads her own, the principal and HR read and are audited,
everyone else is refused every evaluation URL and changes nothing, and the district's leaders
see only the ratings by school."""

from __future__ import annotations

import pytest
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, records
from districtpm.evaluation.models import ComponentScore, Evaluation


@pytest.fixture
def tess(world):
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    ws = framework.weight_sets.get(name="Without a student survey")
    return records.open_evaluation(
        world.staff["teacher_a"], world.school_a, framework, ws, acting_user=SYSTEM
    )


def _c(e, kind):
    return e.framework.components.get(kind=kind)


def _score_url(e, kind):
    return reverse("evaluation:score", args=[e.pk, _c(e, kind).pk])


def test_the_evaluator_scores_and_cannot_finalise_without_rationales(world, tess, login):
    client = login(world.users["evaluator_a"])
    page = client.get(reverse("evaluation:evaluation", args=[tess.pk])).content.decode()
    assert "Score it" in page and "Make the rating final" in page
    for kind in ["observation", "professionalism", "growth_individual", "growth_collective"]:
        prefix = f"c{_c(tess, kind).pk}"
        client.post(_score_url(tess, kind), {f"{prefix}-score": "3", f"{prefix}-rationale": ""})
    assert ComponentScore.objects.filter(evaluation=tess).count() == 4
    response = client.post(
        reverse("evaluation:finalise", args=[tess.pk]), {"rationale": "Good."}, follow=True
    )
    assert "A rationale is needed for: Observation of practice" in response.content.decode()
    tess.refresh_from_db()
    assert tess.state == "open"
    for kind in ["observation", "professionalism", "growth_individual", "growth_collective"]:
        prefix = f"c{_c(tess, kind).pk}"
        client.post(
            _score_url(tess, kind), {f"{prefix}-score": "3", f"{prefix}-rationale": "Seen twice."}
        )
    response = client.post(
        reverse("evaluation:finalise", args=[tess.pk]), {"rationale": "Effective."}, follow=True
    )
    assert "The evaluation is final" in response.content.decode()
    tess.refresh_from_db()
    assert tess.state == "final" and tess.final_level.name == "Effective"


def test_the_teacher_reads_her_own_without_forms_and_without_an_audit_row(world, tess, login):
    page = login(world.users["teacher_a"]).get(reverse("evaluation:evaluation", args=[tess.pk]))
    assert page.status_code == 200
    assert "Score it" not in page.content.decode()
    assert not AuditEntry.objects.filter(action="evaluation.read").exists()


@pytest.mark.parametrize("who", ["principal_a", "hr", "evaluator_a"])
def test_each_read_by_someone_else_leaves_an_audit_row(world, tess, login, who):
    client = login(world.users[who])
    client.get(reverse("evaluation:evaluation", args=[tess.pk]))
    client.get(reverse("evaluation:home"))
    assert AuditEntry.objects.filter(action="evaluation.read", actor=world.users[who]).count() == 1
    listed = AuditEntry.objects.get(action="evaluation.read_list", actor=world.users[who])
    assert listed.after["evaluations"] == [tess.pk]


@pytest.mark.parametrize(
    "who", ["principal_b", "evaluator_b", "teacher_b", "pm", "slt", "board", "network_1", "admin"]
)
def test_everyone_else_is_refused_every_evaluation_url_and_changes_nothing(world, tess, login, who):
    client = login(world.users[who])
    obs = f"c{_c(tess, 'observation').pk}"
    for url, data in [
        (reverse("evaluation:evaluation", args=[tess.pk]), None),
        (_score_url(tess, "observation"), {f"{obs}-score": "1", f"{obs}-rationale": "x"}),
        (reverse("evaluation:finalise", args=[tess.pk]), {"rationale": "x"}),
        (reverse("evaluation:reopen", args=[tess.pk]), {"reason": "x"}),
    ]:
        response = client.post(url, data) if data else client.get(url)
        assert response.status_code in (403, 404), (who, url)
    assert not ComponentScore.objects.exists()
    assert Evaluation.objects.get(pk=tess.pk).state == "open"
    # her full name: a bare "Ash" turns up inside a random CSRF token now and then
    assert "Tess Ash" not in client.get(reverse("evaluation:home")).content.decode()
    assert not AuditEntry.objects.filter(action__startswith="evaluation.read").exists()


def test_a_colleague_is_refused(world, tess, login):
    tim = records.open_evaluation(
        world.staff["teacher_a2"], world.school_a, tess.framework, acting_user=SYSTEM
    )
    client = login(world.users["teacher_a"])
    assert client.get(reverse("evaluation:evaluation", args=[tim.pk])).status_code == 404
    assert "Tim Acorn" not in client.get(reverse("evaluation:home")).content.decode()


def test_the_district_sees_the_ratings_by_school_and_no_names(world, tess, login):
    page = login(world.users["pm"]).get(reverse("evaluation:home")).content.decode()
    assert "Ratings by school" in page and "No final evaluation" in page
    assert "Tess Ash" not in page and "Teachers at risk" not in page


def test_the_framework_is_set_up_by_hr_only(world, login):
    url = reverse("evaluation:framework")
    assert login(world.users["pm"]).post(url).status_code == 403
    response = login(world.users["hr"]).post(url, follow=True)
    assert "set up from the preset" in response.content.decode()
    page = login(world.users["teacher_a"]).get(url).content.decode()
    assert "Observation of practice" in page and "Distinguished" in page
