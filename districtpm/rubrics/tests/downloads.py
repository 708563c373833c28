"""The rubrics downloads, each requested as every role by accounts/tests/test_downloads_by_role:
a framework's workbook, an assessment's report (workbook and PDF) and an evidence file. School
A's self-assessment is final, with a rating carrying a file; each role gets exactly its depth."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districtpm.core.scoping import SYSTEM
from districtpm.rubrics import actions, presets
from districtpm.rubrics.models import Indicator, Rating

# Who reads school A's self-assessment whole: its team (the principal facilitating), its
# network's supervisor; in final ratings only: district leaders; nobody else.
WHOLE = {"principal_a", "evaluator_a", "teacher_a", "network_1"}
FINALS = {"admin", "pm", "slt"}
SECTION = WHOLE | FINALS | {"board", "principal_b", "evaluator_b", "teacher_b", "network_2"}
MARK = "Evidence-note-zq81"


def _data(check: Any) -> dict[str, Any]:
    if "rubrics" in check.district:
        return check.district["rubrics"]
    world, u = check.world, check.world.users
    version = actions.import_framework(presets.school_mtss(), kind="school", acting_user=SYSTEM)
    a = actions.open_assessment(
        version,
        school=world.school_a,
        school_year=world.year,
        opens_on=dt.date(2026, 9, 1),
        closes_on=dt.date(2026, 9, 30),
        facilitator=u["principal_a"],
        team=[u["principal_a"], u["evaluator_a"], u["teacher_a"]],
        acting_user=SYSTEM,
    )
    levels = {lv.order: lv for lv in version.levels.all()}
    indicators = list(Indicator.objects.filter(domain__version=version))
    for who in ["principal_a", "evaluator_a", "teacher_a"]:
        member = a.members.get(user=u[who])
        values = {
            i.id: actions.RatingInput(level=levels[1], note=f"{MARK} {who}") for i in indicators
        }
        values[indicators[0].id].file = SimpleUploadedFile("minutes.txt", b"minutes of the meeting")
        assert actions.save_ratings(member, values, acting_user=SYSTEM) == []
        actions.submit_ratings(member, acting_user=SYSTEM)
    for i in indicators:
        actions.decide_rating(
            a, i, levels[1], rationale="Agreed: Final-rationale-k3", acting_user=SYSTEM
        )
    actions.finalise_assessment(a, acting_user=SYSTEM)
    data = {"assessment": a, "version": version, "rating": Rating.objects.exclude(file="").first()}
    check.district["rubrics"] = data
    return data


def _report_text(name: str, content: bytes) -> str:
    if name.endswith("pdf"):
        from pypdf import PdfReader

        return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(content))
    return " ".join(
        str(c.value) for s in book.worksheets for r in s.iter_rows() for c in r if c.value
    )


def check_report(name: str):
    def check_it(check: Any) -> None:
        a = _data(check)["assessment"]
        response = check.get(reverse(name, args=[a.pk]))
        if check.role not in SECTION:
            assert response.status_code == 403, check.role
            return
        if check.role not in WHOLE | FINALS:
            assert response.status_code == 404, check.role
            return
        assert response.status_code == 200, check.role
        text = _report_text(name, response.content)
        assert "Final-rationale-k3" in text.replace("\n", ""), check.role
        shows_individual = MARK in text or "Individual ratings" in text
        assert shows_individual == (check.role in WHOLE), check.role

    return check_it


def check_framework(name: str):
    def check_it(check: Any) -> None:
        version = _data(check)["version"]
        response = check.get(reverse(name, args=[version.framework_id]))
        expected = 200 if check.role in SECTION else 403
        assert response.status_code == expected, check.role
        if expected == 200:
            text = _report_text(name, response.content)
            # the instrument only: no rating, rationale or evidence of any assessment
            assert MARK not in text and "Final-rationale-k3" not in text, check.role

    return check_it


def check_evidence(check: Any) -> None:
    rating = _data(check)["rating"]
    response = check.get(reverse("rubrics:evidence", args=[rating.pk]))
    if check.role not in SECTION:
        assert response.status_code == 403, check.role
    elif check.role in WHOLE:
        assert response.status_code == 200, check.role
        assert b"".join(response.streaming_content) == b"minutes of the meeting"
    else:
        assert response.status_code == 404, check.role


CHECKERS = {
    "rubrics:framework_xlsx": check_framework("rubrics:framework_xlsx"),
    "rubrics:framework_pdf": check_framework("rubrics:framework_pdf"),
    "rubrics:report_xlsx": check_report("rubrics:report_xlsx"),
    "rubrics:report_pdf": check_report("rubrics:report_pdf"),
    "rubrics:evidence": check_evidence,
}
