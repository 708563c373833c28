"""The school improvement downloads, each requested as every role by
accounts/tests/test_downloads_by_role: a school's plan (workbook and PDF), its Blueprint's PDF
in preview (published or not) and on the public address (published only).

School A's plan has a published Blueprint; school B's Blueprint is a draft. Each school's team
is registered for a workshop with a note catcher uploaded."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.urls import reverse

from districtpm.core.scoping import SYSTEM
from districtpm.improvement import schoolplans
from districtpm.improvement.models import FocusArea, SchoolInitiative, SchoolPlanStep

# Who reads a school's plan: its principal and evaluator, its network's supervisor, district
# leaders. Those holding the permission at another school get 404; the rest 403.
LEADERS = {"admin", "pm", "slt"}
READ_A = {"principal_a", "evaluator_a", "network_1"} | LEADERS
READ_B = {"principal_b", "evaluator_b", "network_2"} | LEADERS
SECTION = READ_A | READ_B
STEP = "Plan-step-mark-p7"
DRAFT = "Unpublished-goal-b9"
PUBLISHED = "Published-goal-a4"
NOTE = "Note-catcher-n5"


def _plan(world: Any, school: Any, goals: str, publish: bool) -> Any:
    plan = schoolplans.start_plan(school, world.year, acting_user=SYSTEM)
    schoolplans.save_theory_of_action(plan, "If we read daily, reading grows.", acting_user=SYSTEM)
    area = schoolplans.save_part(FocusArea(plan=plan), {"name": "Literacy"}, acting_user=SYSTEM)
    initiative = schoolplans.save_part(
        SchoolInitiative(area=area), {"name": "Reading hour"}, acting_user=SYSTEM
    )
    schoolplans.save_part(
        SchoolPlanStep(initiative=initiative),
        {"name": f"{STEP} {school.code}", "due_date": dt.date(2026, 10, 1)},
        acting_user=SYSTEM,
    )
    blueprint = schoolplans.save_blueprint(
        plan, goals=goals, goals_es="", theory_es="", acting_user=SYSTEM
    )
    if publish:
        schoolplans.publish_blueprint(blueprint, acting_user=SYSTEM)
    return plan


def _note_catcher(world: Any, school: Any) -> Any:
    """Made directly (the actions' dates would tie this to the calendar): a session, the
    school's seat and its note catcher."""
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from districtpm.improvement.models import NoteCatcher, Registration, Workshop

    starts = timezone.make_aware(dt.datetime(2027, 3, 10, 13, 0))
    workshop = Workshop.objects.create(
        school_year=world.year,
        title=f"Problem solving {school.code}",
        level=Workshop.Level.ELEMENTARY,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        place="Central office",
        seats=10,
    )
    seat = Registration.objects.create(
        workshop=workshop, school=school, status=Registration.Status.SEATED, headcount=6
    )
    note = NoteCatcher(registration=seat, name="note-catcher.pdf")
    note.file.save("note.pdf", ContentFile(f"{NOTE} {school.code}".encode()), save=True)
    return note


def _data(check: Any) -> dict[str, Any]:
    if "improvement" not in check.district:
        world = check.world
        check.district["improvement"] = {
            "a": _plan(world, world.school_a, PUBLISHED, publish=True),
            "b": _plan(world, world.school_b, DRAFT, publish=False),
            "note_a": _note_catcher(world, world.school_a),
            "note_b": _note_catcher(world, world.school_b),
        }
    return check.district["improvement"]


def _text(content: bytes) -> str:
    if content.startswith(b"%PDF"):
        from pypdf import PdfReader

        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return " ".join(
        str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value
    )


def _answer(check: Any, response: Any, readers: set[str]) -> bool:
    """Whether the role reads it (200); otherwise checks the refusal: 403 for a role that does
    not hold the permission, 404 for one that holds it for other schools."""
    if check.role not in SECTION:
        assert response.status_code == 403, check.role
    elif check.role not in readers:
        assert response.status_code == 404, check.role
    else:
        assert response.status_code == 200, check.role
        return True
    return False


def check_plan(check: Any) -> None:
    for side, readers in [("a", READ_A), ("b", READ_B)]:
        plan = _data(check)[side]
        for fmt in ["xlsx", "pdf"]:
            response = check.get(reverse("improvement:plan_download", args=[plan.pk, fmt]))
            if _answer(check, response, readers):
                text = _text(response.content)
                assert f"{STEP} {plan.school.code}" in text, check.role
                other = "102" if side == "a" else "101"
                assert f"{STEP} {other}" not in text, check.role


def check_preview(check: Any) -> None:
    for side, readers, goals in [("a", READ_A, PUBLISHED), ("b", READ_B, DRAFT)]:
        plan = _data(check)[side]
        url = reverse("improvement:blueprint_preview", args=[plan.pk]) + "?format=pdf"
        response = check.get(url)
        if _answer(check, response, readers):
            assert goals in _text(response.content), check.role


def check_public_pdf(check: Any) -> None:
    """Everyone, signed in or not, reads the published one; nobody reads the draft there."""
    data = _data(check)
    a, b = data["a"], data["b"]
    response = check.get(reverse("blueprints:pdf", args=[a.school.code, a.school_year.name]))
    assert response.status_code == 200, check.role
    text = _text(response.content)
    assert PUBLISHED in text and DRAFT not in text and STEP not in text, check.role
    response = check.get(reverse("blueprints:pdf", args=[b.school.code, b.school_year.name]))
    assert response.status_code == 404, check.role


def check_note_catcher(check: Any) -> None:
    for side, readers in [("a", READ_A), ("b", READ_B)]:
        note = _data(check)[f"note_{side}"]
        response = check.get(reverse("improvement:workshop_note", args=[note.pk]))
        if _answer(check, response, readers):
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert body.decode() == f"{NOTE} {note.registration.school.code}", check.role


CHECKERS = {
    "improvement:workshop_note": check_note_catcher,
    "improvement:plan_download": check_plan,
    "improvement:blueprint_preview": check_preview,
    "blueprints:pdf": check_public_pdf,
}
