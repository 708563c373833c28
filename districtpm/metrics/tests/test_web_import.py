"""Uploading a file in the browser: a background task with progress, every bad row listed."""

from __future__ import annotations

import io
from pathlib import Path

from django.urls import reverse

from districtpm.analytics import store
from districtpm.audit.models import AuditEntry
from districtpm.metrics.models import ComputeRun, DataImport

GOOD = (
    "StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP\n"
    "X1,2025-26,101,03,ELA,760,3,55\nX2,2025-26,101,04,Math,700,2,\n"
)
BAD = (
    "StudentID,SchoolYear,SchoolCode,Grade,Subject,ScaleScore,PerfLevel,SGP\n"
    "X1,2025-26,101,03,ELA,760,3,55\nX2,2025-27,101,04,Math,700,2,\nX3,2025-26,101,04,Art,700,2,\n"
)


def upload(client, text: str, mapping: str = "state-assessment-results"):
    f = io.BytesIO(text.encode())
    f.name = "results.csv"
    return client.post(reverse("metrics:import"), {"file": f, "mapping": mapping})


def assessments(path) -> int:
    with store.connect(path) as con:
        return con.execute("SELECT count(*) FROM assessments").fetchone()[0]


def test_upload_runs_as_a_task_and_shows_its_result(world, login, store_copy):
    client = login(world.users["pm"])
    before = assessments(store_copy)
    response = upload(client, GOOD)
    task = DataImport.objects.get()
    assert response["Location"] == reverse("metrics:import_task", args=[task.pk])
    assert task.status == "done" and task.percent == 100
    assert assessments(store_copy) == before + 2
    page = client.get(response["Location"]).content.decode()
    assert "2 rows into assessments" in page and "Recomputed" in page
    # the page polls while a task runs and stops when it is finished
    assert 'hx-trigger="every 1s"' not in page
    assert AuditEntry.objects.filter(action="data.import").exists()


def test_bad_upload_lists_rows_and_changes_nothing(world, login, store_copy):
    client = login(world.users["pm"])
    before = assessments(store_copy)
    response = upload(client, BAD)
    task = DataImport.objects.get()
    assert task.status == "failed" and task.error_count == 2
    page = client.get(response["Location"]).content.decode()
    assert "does not span two consecutive years" in page
    assert "unknown code &#x27;Art&#x27;" in page
    assert assessments(store_copy) == before


def test_running_task_page_polls(world, login, store_copy):
    task = DataImport.objects.create(
        file_name="x.csv",
        stored_path="/nonexistent",
        mapping="state-assessment-results",
        status="running",
        done=40,
        total=100,
    )
    page = login(world.users["pm"]).get(reverse("metrics:import_task", args=[task.pk]))
    body = page.content.decode()
    assert 'hx-trigger="every 1s"' in body and 'value="40"' in body


def test_upload_needs_file_and_mapping_and_permission(world, login, store_copy):
    client = login(world.users["pm"])
    assert upload(client, GOOD, mapping="nope").status_code == 400
    assert (
        client.post(reverse("metrics:import"), {"mapping": "state-assessment-results"}).status_code
        == 400
    )
    assert upload(login(world.users["principal_a"]), GOOD).status_code == 403
    assert not DataImport.objects.exists()


def test_importing_the_same_file_again_says_nothing_changed(world, login, store_copy):
    client = login(world.users["pm"])
    upload(client, GOOD)
    after_first = assessments(store_copy)
    runs = ComputeRun.objects.count()
    response = upload(client, GOOD)
    again = DataImport.objects.order_by("-pk").first()
    assert again.status == "done" and again.summary.startswith("Nothing changed:")
    assert assessments(store_copy) == after_first and ComputeRun.objects.count() == runs
    assert "Nothing changed" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(action="data.import.unchanged").count() == 1
    # a different file, then the first one again: that one does change things
    upload(client, GOOD.replace("760", "761"))
    third = upload(client, GOOD)
    last = DataImport.objects.order_by("-pk").first()
    assert third.status_code == 302 and not last.summary.startswith("Nothing changed")


def test_the_mapping_page_is_the_importers_and_a_file_left_is_removed(
    world, login, store_copy, settings
):
    url = reverse("metrics:map_file")
    assert login(world.users["principal_a"]).get(url).status_code == 403
    client = login(world.users["pm"])
    f = io.BytesIO(b"Pupil,Yr\nP-1,2026\n")
    f.name = "new.csv"
    client.post(url, {"step": "upload", "table": "assessments", "file": f})
    staged = client.session["staged_import"]["path"]
    page = client.get(url).content.decode()
    assert "Pupil" in page and "P-1" in page
    incomplete = client.post(url, {"step": "preview", "col_student_id": "Pupil"})
    assert incomplete.status_code == 400
    assert "school_code: choose the file" in incomplete.content.decode()
    client.post(url, {"step": "restart"})
    assert "staged_import" not in client.session and not Path(staged).exists()
