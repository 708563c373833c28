"""Every upload ends: a file the importer cannot handle fails the task with a plain message,
in a real worker thread as well as inline, and its upload is removed (hardening issue, 6)."""

from __future__ import annotations

import io
import os
import threading
import zipfile

import pytest
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.metrics.models import DataImport

HEADER = "StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP\n"
BOMB_SHEET = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz ['
    + "".join(
        f'<!ENTITY l{n} "{(f"&l{n - 1};" * 10) if n else "lolololololo"}">' for n in range(10)
    )
    + ']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&l9;</t></is></c></row></sheetData>'
    "</worksheet>"
)


def _bomb_xlsx() -> bytes:
    """A well-formed workbook whose sheet XML expands ten entities ten times each (10^9 chars)."""
    from openpyxl import Workbook

    buffer = io.BytesIO()
    wb = Workbook()
    wb.active["A1"] = "StudentID"
    wb.save(buffer)
    out = io.BytesIO()
    with zipfile.ZipFile(buffer) as src, zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = BOMB_SHEET.encode()
            dst.writestr(item, data)
    return out.getvalue()


BAD_FILES = {
    "random-bytes.xlsx": lambda: os.urandom(4096),
    "empty.xlsx": lambda: b"",
    "entity-bomb.xlsx": _bomb_xlsx,
    "inf-score.csv": lambda: (HEADER + "X1,2025-26,101,03,ELA,inf,3,55\n").encode(),
}


def _upload(client, name: str, data: bytes):
    f = io.BytesIO(data)
    f.name = name
    return client.post(
        reverse("metrics:import"), {"file": f, "mapping": "state-assessment-results"}
    )


def _check_failed(client, response, tmp_path) -> None:
    task = DataImport.objects.get()
    assert task.status == DataImport.Status.FAILED, task.summary
    assert task.finished_at is not None
    assert task.summary and "Traceback" not in task.summary
    assert str(tmp_path) not in task.summary and "/uploads/" not in task.summary
    assert list((tmp_path / "uploads").iterdir()) == []
    assert AuditEntry.objects.filter(action="data.import.failed", object_id=str(task.pk)).exists()
    page = client.get(response["Location"]).content.decode()
    assert 'role="alert"' in page and "every 1s" not in page


# Refused by the upload page itself, before any task exists: the page says why and keeps nothing.
REFUSED_AT_UPLOAD = {"empty.xlsx"}


def _check_refused_at_upload(response, tmp_path) -> None:
    assert response.status_code == 400
    assert "empty" in response.content.decode().lower()
    assert not DataImport.objects.exists()
    uploads = tmp_path / "uploads"
    assert not uploads.exists() or list(uploads.iterdir()) == []


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_upload_fails_the_task_inline(name, world, login, store_copy, tmp_path):
    client = login(world.users["pm"])
    response = _upload(client, name, BAD_FILES[name]())
    if name in REFUSED_AT_UPLOAD:
        _check_refused_at_upload(response, tmp_path)
        return
    assert response.status_code == 302
    _check_failed(client, response, tmp_path)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_upload_fails_the_task_in_a_thread(name, world, login, store_copy, tmp_path, settings):
    settings.DISTRICTPM_TASKS_INLINE = False
    client = login(world.users["pm"])
    response = _upload(client, name, BAD_FILES[name]())
    if name in REFUSED_AT_UPLOAD:
        _check_refused_at_upload(response, tmp_path)
        return
    assert response.status_code == 302
    task = DataImport.objects.get()
    for thread in threading.enumerate():
        if thread.name == f"import-{task.pk}":
            thread.join(timeout=60)
            assert not thread.is_alive()
    _check_failed(client, response, tmp_path)
