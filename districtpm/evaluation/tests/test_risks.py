"""Teachers at risk, from the record: a non-probationary teacher rated below effective last
year and projected below effective again; a probationary teacher in the non-renewal window;
nobody else. Each reader sees only the teachers whose records they read, and the list is
audited."""

from __future__ import annotations

import datetime as dt

import pytest

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, records, risks
from districtpm.evaluation.models import Evaluation
from districtpm.org.models import SchoolYear, Staff

MAY = dt.date(2027, 5, 3)  # the non-renewal window (from 1 April to 31 May) is open


@pytest.fixture
def year_before(world):
    last = SchoolYear.objects.create(
        district=world.district,
        name="2025-2026",
        start_date=dt.date(2025, 8, 18),
        end_date=dt.date(2026, 5, 22),
    )
    return actions.create_from_preset(last, acting_user=SYSTEM)


@pytest.fixture
def records_(world, year_before):
    """Tess (non-probationary) was rated partially effective last year and scores low this
    year; Tim (probationary) scores well; Tara at school B (non-probationary) scores well."""
    now = actions.create_from_preset(world.year, acting_user=SYSTEM)
    staff = world.staff
    # (update, not save: the world's staff objects predate their users' links)
    Staff.objects.filter(pk__in=[staff["teacher_a"].pk, staff["teacher_b"].pk]).update(
        probationary=False
    )
    Staff.objects.filter(pk=staff["teacher_a2"].pk).update(probationary=True)
    last = records.open_evaluation(
        staff["teacher_a"], world.school_a, year_before, acting_user=SYSTEM
    )
    Evaluation.objects.filter(pk=last.pk).update(
        state="final", final_level=year_before.levels.get(state_rating="partially_effective")
    )
    c = {x.kind: x for x in now.components.all()}
    made = {}
    for key, school, score in [
        ("teacher_a", world.school_a, 1.5),
        ("teacher_a2", world.school_a, 3.5),
        ("teacher_b", world.school_b, 3.5),
    ]:
        e = records.open_evaluation(staff[key], school, now, acting_user=SYSTEM)
        records.score_component(e, c["observation"], score, "Observed twice.", acting_user=SYSTEM)
        made[key] = e
    return made


def _found(user, year, today=MAY):
    return {
        a.evaluation.staff.last_name: [r.code for r in a.standing.risks]
        for a in risks.at_risk(user, year, today=today)
    }


def test_the_risks_are_found_with_their_reasons(world, records_):
    found = _found(world.users["hr"], world.year)
    assert found == {
        "Ash": ["below_effective", "losing_status"],
        "Acorn": ["nonrenewal_window"],
    }
    outside = _found(world.users["hr"], world.year, today=dt.date(2027, 2, 1))
    assert outside == {"Ash": ["below_effective", "losing_status"]}


def test_each_reader_sees_only_the_records_they_read_and_the_list_is_audited(world, records_):
    assert set(_found(world.users["principal_a"], world.year)) == {"Ash", "Acorn"}
    assert set(_found(world.users["evaluator_a"], world.year)) == {"Ash"}  # the caseload
    for who in ["pm", "slt", "board", "network_1", "principal_b", "teacher_b"]:
        assert _found(world.users[who], world.year) == {}
    assert set(_found(world.users["teacher_a"], world.year)) == {"Ash"}  # her own: not audited
    entries = AuditEntry.objects.filter(action="evaluation.read_at_risk")
    assert entries.count() == 2  # the principal's and the evaluator's lists
    assert entries.filter(actor=world.users["evaluator_a"]).get().after["evaluations"] == [
        records_["teacher_a"].pk
    ]


def test_the_evaluation_page_shows_the_status_and_the_risks(world, records_, login):
    from django.urls import reverse

    page = (
        login(world.users["principal_a"])
        .get(reverse("evaluation:evaluation", args=[records_["teacher_a"].pk]))
        .content.decode()
    )
    assert "<strong>non-probationary</strong>" in page
    assert "a second year below effective ends non-probationary status" in page
