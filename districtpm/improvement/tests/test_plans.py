"""A school's plan: built through its pages by the school's team, seen and commented on by its
supervisor, refused to everyone else, audited, and exported for the state portal and as PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.improvement import documents, schoolplans
from districtpm.improvement.models import (
    Checkpoint,
    FocusArea,
    InitiativeMeasure,
    PlanComment,
    SchoolInitiative,
    SchoolPlan,
    SchoolPlanStep,
)
from districtpm.improvement.outline import outline
from districtpm.improvement.tests.values import value


def _ela_this_year(m, v, n=64, suppressed=False):
    value(m, "101", "2026-2027", v, n, dim="ell", val="yes", suppressed=suppressed)


@pytest.fixture
def plan(world, ela):
    """School A's plan: one area, one initiative with a step and a leading measure, a
    checkpoint."""
    principal = world.users["principal_a"]
    p = schoolplans.start_plan(world.school_a, world.year, acting_user=principal)
    area = schoolplans.save_part(
        FocusArea(plan=p), {"name": "Reading for English learners"}, acting_user=principal
    )
    initiative = schoolplans.save_part(
        SchoolInitiative(area=area),
        {"name": "Daily small-group reading", "name_es": "Lectura diaria en grupos pequeños"},
        acting_user=principal,
    )
    schoolplans.save_part(
        SchoolPlanStep(initiative=initiative),
        {
            "name": "Train every K-2 teacher",
            "owner": world.users["principal_a"],
            "starts_on": dt.date(2026, 9, 1),
            "due_date": dt.date(2026, 10, 15),
            "resources": "Two release days",
        },
        acting_user=principal,
    )
    schoolplans.save_part(
        InitiativeMeasure(initiative=initiative),
        {"kind": "leading", "metric": ela, "group_dim": "ell", "group_value": "yes", "target": 0.4},
        acting_user=principal,
    )
    schoolplans.save_part(
        Checkpoint(plan=p),
        {"on": dt.date(2026, 11, 10), "reviewers": "ILT and supervisor", "looks_at": "Interims"},
        acting_user=principal,
    )
    return p


def test_the_outline_reads_the_plan_and_the_measures_current_value(world, ela, plan):
    _ela_this_year(ela, 0.33)
    o = outline(plan, world.users["principal_a"])
    assert o.counts == {"areas": 1, "initiatives": 1, "steps": 1, "leading": 1}
    m = o.areas[0].initiatives[0].measures[0]
    assert (m.current, m.target, m.group) == ("33%", "40%", "English learners")
    checkpoint = o.checkpoints[0]
    assert o.next_checkpoint(dt.date(2026, 11, 1)) == checkpoint
    assert o.last_review() is None


def test_a_suppressed_measure_reads_suppressed(world, ela, plan):
    _ela_this_year(ela, None, suppressed=True)
    o = outline(plan, world.users["principal_a"])
    assert o.areas[0].initiatives[0].measures[0].current == "suppressed"


def test_the_team_builds_the_plan_through_its_pages(world, ela, login):
    client = login(world.users["principal_a"])
    response = client.post(
        reverse("improvement:plan_start"), {"school": world.school_a.pk, "year": "2026-2027"}
    )
    p = SchoolPlan.objects.get(school=world.school_a)
    assert (
        response.status_code == 302 and response["Location"] == f"/school-improvement/plans/{p.pk}/"
    )
    client.post(reverse("improvement:part_add", args=["area", p.pk]), {"name": "Attendance"})
    area = FocusArea.objects.get(plan=p)
    client.post(
        reverse("improvement:part_add", args=["initiative", area.pk]),
        {"name": "Family outreach", "order": 0},
    )
    initiative = SchoolInitiative.objects.get(area=area)
    response = client.post(
        reverse("improvement:part_add", args=["measure", initiative.pk]),
        {"kind": "leading", "metric": ela.pk, "group": "ell:yes", "target": "45"},
    )
    assert response.status_code == 302
    measure = InitiativeMeasure.objects.get(initiative=initiative)
    assert (measure.kind, measure.group_value, measure.target) == ("leading", "yes", 0.45)
    # A step due before it starts is refused with a message, and nothing is saved.
    response = client.post(
        reverse("improvement:part_add", args=["step", initiative.pk]),
        {
            "name": "Call every family",
            "starts_on": "2026-10-01",
            "due_date": "2026-09-01",
            "status": "not_started",
        },
    )
    assert response.status_code == 200
    assert "cannot be due before it starts" in response.content.decode()
    assert not SchoolPlanStep.objects.exists()
    # A checkpoint outside the school year is refused too.
    response = client.post(
        reverse("improvement:part_add", args=["checkpoint", p.pk]),
        {"on": "2027-07-01", "reviewers": "ILT", "looks_at": "Attendance"},
    )
    assert "falls within the year" in response.content.decode()
    page = client.get(reverse("improvement:plan", args=[p.pk])).content.decode()
    assert "Family outreach" in page and "Add a step" in page
    actions = set(AuditEntry.objects.values_list("action", flat=True))
    assert {
        "improvement.plan.start",
        "improvement.plan.area.create",
        "improvement.plan.initiative.create",
        "improvement.plan.measure.create",
    } <= actions


def test_removing_an_area_asks_first_and_is_audited(world, plan, login):
    client = login(world.users["principal_a"])
    area = FocusArea.objects.get(plan=plan)
    url = reverse("improvement:part_remove", args=["area", area.pk])
    page = client.get(url).content.decode()
    assert "with its initiatives, their steps and measures" in page
    assert FocusArea.objects.filter(pk=area.pk).exists()
    client.post(url)
    assert not FocusArea.objects.filter(pk=area.pk).exists()
    assert not SchoolPlanStep.objects.exists()
    entry = AuditEntry.objects.get(action="improvement.plan.area.remove")
    assert entry.before["name"] == "Reading for English learners"


def test_a_checkpoint_records_status_and_evidence(world, plan, login):
    checkpoint = Checkpoint.objects.get(plan=plan)
    client = login(world.users["principal_a"])
    url = reverse("improvement:checkpoint_record", args=[checkpoint.pk])
    client.post(url, {"status": "at_risk", "evidence": ""})
    checkpoint.refresh_from_db()
    assert checkpoint.status == ""  # no evidence, nothing recorded
    client.post(url, {"status": "at_risk", "evidence": "Interims flat for ELs"})
    checkpoint.refresh_from_db()
    assert (checkpoint.status, checkpoint.evidence) == ("at_risk", "Interims flat for ELs")
    assert checkpoint.recorded_by == world.users["principal_a"]


def test_the_supervisor_sees_and_comments_but_does_not_change(world, plan, login):
    client = login(world.users["network_1"])
    page = client.get(reverse("improvement:plan", args=[plan.pk]))
    assert page.status_code == 200
    assert "Add an area of focus" not in page.content.decode()
    client.post(
        reverse("improvement:plan_comment", args=[plan.pk]), {"text": "Tie it to interims."}
    )
    assert PlanComment.objects.get().author == world.users["network_1"]
    area = FocusArea.objects.get(plan=plan)
    response = client.post(
        reverse("improvement:part_edit", args=["area", area.pk]), {"name": "Changed"}
    )
    assert response.status_code == 403
    area.refresh_from_db()
    assert area.name == "Reading for English learners"
    # The principal cannot remove the supervisor's comment; its author can.
    comment = PlanComment.objects.get()
    with pytest.raises(PermissionDenied):
        schoolplans.remove_comment(comment, acting_user=world.users["principal_a"])
    schoolplans.remove_comment(comment, acting_user=world.users["network_1"])
    assert not PlanComment.objects.exists()


@pytest.mark.parametrize("who", ["principal_b", "network_2", "teacher_b", "hr", "board"])
def test_outsiders_do_not_reach_the_plan(world, plan, login, who):
    client = login(world.users[who])
    area = FocusArea.objects.get(plan=plan)
    step = SchoolPlanStep.objects.get()
    for url in [
        reverse("improvement:plan", args=[plan.pk]),
        reverse("improvement:plan_download", args=[plan.pk, "xlsx"]),
        reverse("improvement:plan_download", args=[plan.pk, "pdf"]),
        reverse("improvement:part_edit", args=["area", area.pk]),
        reverse("improvement:part_remove", args=["step", step.pk]),
        reverse("improvement:blueprint_edit", args=[plan.pk]),
        reverse("improvement:blueprint_preview", args=[plan.pk]),
    ]:
        assert client.get(url).status_code in (403, 404), url
        assert client.post(url, {"name": "x"}).status_code in (403, 404), url
    client.post(reverse("improvement:plan_comment", args=[plan.pk]), {"text": "hello"})
    assert not PlanComment.objects.exists()
    assert FocusArea.objects.get(pk=area.pk).name == "Reading for English learners"
    assert SchoolPlanStep.objects.filter(pk=step.pk).exists()


def test_a_teacher_of_the_school_reads_but_does_not_change(world, plan):
    teacher = world.users["teacher_a"]
    with pytest.raises(PermissionDenied):
        schoolplans.save_part(FocusArea(plan=plan), {"name": "Mine"}, acting_user=teacher)


def test_the_state_portal_workbook_follows_the_chain(world, ela, plan):
    _ela_this_year(ela, 0.33)
    o = outline(plan, SYSTEM)
    sheets = documents.sheets(o, set())
    assert list(sheets) == [
        "Priority challenges",
        "Root causes",
        "Strategies",
        "Action steps",
        "Targets",
        "Monitoring",
    ]
    assert sheets["Action steps"][1][3:] == [
        "Daily small-group reading",
        "Train every K-2 teacher",
        "",
        world.users["principal_a"].get_full_name(),
        dt.date(2026, 9, 1),
        dt.date(2026, 10, 15),
        "Two release days",
        "Not started",
    ]
    assert sheets["Targets"][1][3:] == [
        "Daily small-group reading",
        "Leading",
        "ELA proficiency",
        "English learners",
        "33%",
        "40%",
    ]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(documents.plan_xlsx(o, set())))
    assert book.sheetnames == list(sheets)
    assert book["Monitoring"]["G2"].value == "Not held yet"


def test_a_formula_in_a_step_stays_text_in_the_workbook_and_markup_in_the_pdf(world, plan):
    principal = world.users["principal_a"]
    step = SchoolPlanStep.objects.get()
    schoolplans.save_part(
        step, {"name": '=HYPERLINK("http://x","y") <b>bold</b>'}, acting_user=principal
    )
    o = outline(plan, principal)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(documents.plan_xlsx(o, set())))
    cell = book["Action steps"]["E2"]
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
    pdf = documents.plan_pdf(o, set())
    assert pdf.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "<b>bold</b>" in text and "Reading for English learners" in text


def test_downloads_are_attachments_for_the_team(world, plan, login):
    client = login(world.users["principal_a"])
    for fmt, kind in [("xlsx", documents.XLSX), ("pdf", "application/pdf")]:
        response = client.get(reverse("improvement:plan_download", args=[plan.pk, fmt]))
        assert response.status_code == 200
        assert response["Content-Type"] == kind
        assert response["Content-Disposition"].startswith("attachment;")
    assert (
        client.get(reverse("improvement:plan_download", args=[plan.pk, "csv"])).status_code == 404
    )


def test_an_owner_from_another_school_is_refused(world, plan):
    step = SchoolPlanStep.objects.get()
    with pytest.raises(ValidationError, match="works at the school"):
        schoolplans.save_part(
            step, {"owner": world.users["principal_b"]}, acting_user=world.users["principal_a"]
        )
    step.refresh_from_db()
    assert step.owner == world.users["principal_a"]


def test_a_change_is_audited_with_what_was_stored_before(world, plan, login):
    area = FocusArea.objects.get(plan=plan)
    client = login(world.users["principal_a"])
    client.post(reverse("improvement:part_edit", args=["area", area.pk]), {"name": "NEW-NAME"})
    entry = AuditEntry.objects.filter(action="improvement.plan.area.change").get()
    assert entry.before["name"] == "Reading for English learners"
    assert entry.after["name"] == "NEW-NAME"


def test_a_removal_keeps_the_part_and_what_went_with_it_in_the_audit_log(world, plan):
    area = FocusArea.objects.get(plan=plan)
    pk = area.pk
    schoolplans.remove_part(area, acting_user=world.users["principal_a"])
    entry = AuditEntry.objects.get(action="improvement.plan.area.remove")
    assert entry.object_id == str(pk)
    (initiative,) = entry.before["initiatives"]
    assert initiative["name"] == "Daily small-group reading"
    assert [s["name"] for s in initiative["steps"]] == ["Train every K-2 teacher"]
    assert len(initiative["measures"]) == 1


def test_a_number_that_is_not_one_is_not_found(world, login):
    client = login(world.users["principal_a"])
    response = client.post(reverse("improvement:plan_start"), {"school": "²", "year": "2026-2027"})
    assert response.status_code == 404
