"""The educator evaluation downloads, each requested as every role by
accounts/tests/test_downloads_by_role: the framework's workbooks (not personnel data: the
section's readers) and an evaluation's record as a PDF (personnel data: the teacher, their
evaluator, their principal and HR partners; the teacher's copy without what is not shared with
them yet; every other reader's request audited)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.evaluation import actions, cycle, records
from districtpm.evaluation.models import Evaluation

# who has the evaluation section at all (evaluation.view)
SECTION = {
    "admin",
    "pm",
    "slt",
    "hr",
    "board",
    "network_1",
    "network_2",
    "principal_a",
    "principal_b",
    "evaluator_a",
    "evaluator_b",
    "teacher_a",
    "teacher_b",
}
# who reads teacher A's record: the teacher, their evaluator, their principal, HR
RECORD = {"teacher_a", "evaluator_a", "principal_a", "hr"}
SHARED, HELD_BACK = "Shared-note-q71x", "Draft-note-m42c"


def _data(check: Any) -> dict[str, Any]:
    if "evaluation" in check.district:
        return check.district["evaluation"]
    world = check.world
    framework = actions.create_from_preset(world.year, acting_user=SYSTEM)
    made = records.open_evaluation(
        world.staff["teacher_a"], world.school_a, framework, acting_user=SYSTEM
    )
    e = Evaluation.objects.get(pk=made.pk)
    today = min(dt.date.today(), world.year.end_date)
    shared = cycle.record_observation(e, today, {}, acting_user=SYSTEM)
    cycle.add_note(shared, SHARED, acting_user=SYSTEM)
    cycle.share_observation(shared, acting_user=SYSTEM)
    draft = cycle.record_observation(e, today, {}, acting_user=SYSTEM)
    cycle.add_note(draft, HELD_BACK, acting_user=SYSTEM)
    data = {"framework": framework, "evaluation": e}
    check.district["evaluation"] = data
    return data


def _workbook_sheets(content: bytes) -> set[str]:
    return set(load_workbook(io.BytesIO(content), read_only=True).sheetnames)


def check_framework(name: str):  # noqa: ANN201
    def check(c: Any) -> None:
        framework = _data(c)["framework"]
        url = reverse(name, args=[framework.pk]) if name.endswith("export") else reverse(name)
        response = c.get(url)
        if c.role not in SECTION:
            assert response.status_code == 403, c.role
            return
        assert response.status_code == 200, c.role
        assert {"Components", "Indicators", "Weights", "Levels"} <= _workbook_sheets(
            response.content
        )

    return check


def check_record_pdf(c: Any) -> None:
    e = _data(c)["evaluation"]
    reads = AuditEntry.objects.filter(action="evaluation.read", object_id=str(e.pk)).count()
    response = c.get(reverse("evaluation:record_pdf", args=[e.pk]))
    after = AuditEntry.objects.filter(action="evaluation.read", object_id=str(e.pk)).count()
    if c.role not in SECTION:
        assert response.status_code == 403, c.role
        return
    if c.role not in RECORD:
        assert response.status_code == 404, c.role
        assert after == reads, c.role  # a refusal is not a read
        return
    assert response.status_code == 200, c.role
    body = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Tess Ash" in body and SHARED in body, c.role
    assert (HELD_BACK in body) is (c.role != "teacher_a"), c.role
    assert after == reads + (0 if c.role == "teacher_a" else 1), c.role


CHECKERS = {
    "evaluation:framework_preset": check_framework("evaluation:framework_preset"),
    "evaluation:framework_export": check_framework("evaluation:framework_export"),
    "evaluation:record_pdf": check_record_pdf,
}
