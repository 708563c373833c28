"""Survey and growth results from a CSV: all or nothing, every bad row named with its line,
column and reason; imported by HR partners only; each score audited; a second import of the
same file changes nothing."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from districtpm.audit.models import AuditEntry
from districtpm.core.intake import ImportFailed
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, records
from districtpm.evaluation.importing import import_results
from districtpm.evaluation.models import ComponentScore


@pytest.fixture
def setup(world):
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    for key, school in [("teacher_a", world.school_a), ("teacher_a2", world.school_a)]:
        records.open_evaluation(world.staff[key], school, framework, acting_user=SYSTEM)
    return {c.kind: c for c in framework.components.all()}


def test_a_good_file_scores_everyone_once(world, setup):
    survey = setup["survey"]
    data = b"Employee ID,Score\nE-teacher_a,71.5\nE-teacher_a2,64\n"
    done = import_results(data, survey, name="survey.csv", acting_user=world.users["hr"])
    assert (done.scored, done.changed, done.unchanged) == (2, 0, 0)
    score = ComponentScore.objects.get(component=survey, evaluation__staff=world.staff["teacher_a"])
    assert score.score == 71.5 and score.rationale == "From survey.csv."
    assert AuditEntry.objects.filter(action="evaluation.score.import").count() == 2
    again = import_results(data, survey, name="survey.csv", acting_user=world.users["hr"])
    assert (again.scored, again.changed, again.unchanged) == (0, 0, 2)


def test_a_file_with_bad_rows_changes_nothing_and_names_each(world, setup):
    data = (
        b"employee_id,score,rationale\n"
        b"E-teacher_a,71,ok\n"  # line 2: good
        b"E-nobody,50,\n"  # line 3: unknown employee
        b"E-teacher_a2,150,\n"  # line 4: off the scale (0-100)
        b"E-teacher_a,abc,\n"  # line 5: not a number, and a second row for the same person
        b"E-teacher_b,60,\n"  # line 6: no evaluation this year
    )
    with pytest.raises(ImportFailed) as failed:
        import_results(data, setup["survey"], name="survey.csv", acting_user=world.users["hr"])
    errors = [(e.line, e.column) for e in failed.value.outcome.errors]
    assert errors == [
        (3, "employee_id"),
        (4, "score"),
        (5, "score"),
        (5, "employee_id"),
        (6, "employee_id"),
    ]
    assert "from 0 to 100" in str(failed.value.outcome.errors[1])
    assert not ComponentScore.objects.exists()


def test_missing_and_unknown_columns_are_named(world, setup):
    with pytest.raises(ImportFailed) as failed:
        import_results(
            b"employee,points\nE-teacher_a,3\n",
            setup["survey"],
            name="x.csv",
            acting_user=world.users["hr"],
        )
    text = " ".join(str(e) for e in failed.value.outcome.errors)
    assert "missing: employee_id, score" in text and "Unknown columns: employee, points" in text


def test_observations_are_not_imported_and_only_hr_imports(world, setup):
    with pytest.raises(ImportFailed) as failed:
        import_results(
            b"employee_id,score\nE-teacher_a,3\n",
            setup["observation"],
            name="o.csv",
            acting_user=world.users["hr"],
        )
    assert "scored by evaluators" in str(failed.value.outcome.errors[0])
    for who in ["principal_a", "evaluator_a", "pm", "admin", "teacher_a"]:
        with pytest.raises(PermissionDenied):
            import_results(
                b"employee_id,score\nE-teacher_a,3\n",
                setup["growth_individual"],
                name="g.csv",
                acting_user=world.users[who],
            )
    assert not ComponentScore.objects.exists()


def test_a_final_evaluation_is_not_changed_by_an_import(world, setup):
    from districtpm.evaluation.models import Evaluation

    Evaluation.objects.filter(staff=world.staff["teacher_a"]).update(state="final")
    with pytest.raises(ImportFailed) as failed:
        import_results(
            b"employee_id,score\nE-teacher_a,3\n",
            setup["growth_individual"],
            name="g.csv",
            acting_user=world.users["hr"],
        )
    assert "reopen it first" in str(failed.value.outcome.errors[0])


def test_the_import_page_shows_every_bad_row_and_keeps_nothing(world, setup, login):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    url = reverse("evaluation:results_import") + f"?year={world.year.name}"
    survey = setup["survey"]
    for who in ["principal_a", "evaluator_a", "pm"]:
        response = login(world.users[who]).post(url, {"component": survey.pk})
        assert response.status_code == 403, who
    client = login(world.users["hr"])
    page = client.get(url).content.decode()
    assert "Student perception survey" in page and "Observation of practice" not in page
    bad = b"employee_id,score\nE-teacher_a,171\nE-nobody,50\n"
    response = client.post(
        url, {"component": survey.pk, "file": SimpleUploadedFile("survey.csv", bad)}
    )
    page = response.content.decode()
    assert "Nothing was imported: 2 problems to fix." in page
    assert page.count('<td class="num">2</td>') == 1 and page.count('<td class="num">3</td>') == 1
    assert not ComponentScore.objects.filter(component=survey).exists()
    good = b"employee_id,score\nE-teacher_a,71\nE-teacher_a2,64\n"
    response = client.post(
        url, {"component": survey.pk, "file": SimpleUploadedFile("survey.csv", good)}, follow=True
    )
    assert "2 scores added, 0 changed, 0 unchanged." in response.content.decode()
    assert ComponentScore.objects.filter(component=survey).count() == 2
