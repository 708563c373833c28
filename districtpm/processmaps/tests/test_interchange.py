"""A version as a table (one row per step with its next steps), out and back in: CSV and Excel
round trips give the same steps, lanes, days and flows with their labels; a file with bad rows
imports nothing and names each problem by line and column; text that looks like a formula is
escaped in CSV and a text cell in Excel; only those who draw import."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from districtpm.audit.models import AuditEntry
from districtpm.core import intake
from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Position
from districtpm.processmaps import actions, interchange
from districtpm.processmaps.interchange import HEADERS
from districtpm.processmaps.models import Version
from districtpm.processmaps.tests.sample import digest, make_sample


@pytest.fixture
def sample(world):
    s = make_sample(world)
    # a position and a product on one step, so every column carries something
    coach = Position.objects.get(code="coach")
    actions.change_step(
        s.step(s.draft, "S2"),
        position=coach,
        produces="Call log",
        days="2.5",
        acting_user=SYSTEM,
    )
    return s


def shape(version: Version) -> tuple[list, list]:
    """What a version is, without its ids: its steps in order and its flows."""
    steps = [
        (s.key, s.kind, s.name, s.lane_id, s.position_id, str(s.days), s.produces, s.order)
        for s in version.steps.order_by("order", "pk")
    ]
    flows = sorted(
        (f.source.key, f.target.key, f.label)
        for f in version.flows.select_related("source", "target")
    )
    return steps, flows


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_version_goes_out_and_comes_back_the_same(sample, form):
    data = interchange.to_csv(sample.draft).encode() if form == "csv" else None
    if form == "xlsx":
        data = interchange.to_xlsx(sample.draft)
    made = interchange.import_version(
        sample.pm, data, name=f"map.{form}", kind="revision", acting_user=SYSTEM
    )
    assert made.number == 3 and made.kind == "revision" and not made.published
    assert shape(made) == shape(sample.draft)
    steps, flows = shape(made)
    assert ("S3", "S4", "Yes") in flows and ("S3", "S6", "No") in flows
    assert steps[1][2:7] == (
        "Call the family",
        sample.lanes["FAM"].pk,
        Position.objects.get(code="coach").pk,
        "2.5",
        "Call log",
    )
    entry = AuditEntry.objects.filter(action="processmaps.version.import").get()
    assert entry.after["steps"] == 7 and entry.after["flows"] == 6


def test_the_export_is_one_row_per_step_with_its_next_steps(sample):
    rows = list(csv.reader(io.StringIO(interchange.to_csv(sample.draft))))
    assert rows[0] == HEADERS
    by_key = {r[0]: r for r in rows[1:]}
    assert len(by_key) == 7
    assert by_key["S3"] == [
        "S3",
        "decision",
        "Family reached?",
        "Family Engagement",
        "",
        "0.0",
        "",
        "S4 = Yes; S6 = No",
    ]
    assert by_key["S2"][4:7] == ["coach", "2.5", "Call log"]
    assert by_key["S6"][3] == "" and by_key["S7"][7] == ""
    sheet = load_workbook(io.BytesIO(interchange.to_xlsx(sample.draft))).active
    assert sheet.title == "Steps"
    assert [c.value for c in sheet[1]] == HEADERS
    assert [c.value for c in sheet[4]][7] == "S4 = Yes; S6 = No"


def test_a_file_made_by_hand_reads_lanes_by_code_and_kinds_in_words(sample):
    text = (
        "Key,Kind,Name,Lane,Days,Next steps\n"
        "A,Start,Referral comes in,fam,,B\n"
        "B,Hand-off,County caseworker visits,Whole Child Supports,5,C = Done\n"
        "C,end,Closed,,0,\n"
    )
    made = interchange.import_version(
        sample.pm, text.encode(), name="by-hand.csv", acting_user=SYSTEM
    )
    steps = {s.key: s for s in made.steps.select_related("lane")}
    assert steps["A"].kind == "start" and steps["A"].lane.code == "FAM"
    assert steps["B"].kind == "handoff" and float(steps["B"].days) == 5
    assert steps["C"].lane is None and made.kind == "to_be"
    assert [(f.source.key, f.target.key, f.label) for f in made.flows.all()] == [
        ("A", "B", ""),
        ("B", "C", "Done"),
    ]


BAD = (
    "Key,Kind,Name,Lane,Days,Next steps\n"
    "S1,start,Absent,Family Engagement,0,S2\n"  # line 2: fine
    "S2,meeting,Call home,Family Engagement,1,S3\n"  # line 3: unknown kind
    "S3,task,Bus change,Bus Barn,1,S4\n"  # line 4: unknown lane
    "S3,task,Again,Transportation,1,\n"  # line 5: duplicate key
    "S4,task,Enroll,Enrollment,1,S9\n"  # line 6: a next step that does not exist
    "S5,task,Wait,Enrollment,soon,\n"  # line 7: bad days
    "S6,task,,Enrollment,-2,\n"  # line 8: missing name, negative days
    "S7,end,Back,Whole Child Supports,0,\n"  # line 9: fine
)


@pytest.mark.parametrize("form", ["csv", "xlsx"])
def test_a_file_with_bad_rows_imports_nothing_and_names_each(sample, form):
    data = BAD.encode()
    if form == "xlsx":
        book = Workbook()
        for row in csv.reader(io.StringIO(BAD)):
            book.active.append(row)
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    before = digest()
    with pytest.raises(intake.ImportFailed) as failed:
        interchange.import_version(sample.pm, data, name=f"bad.{form}", acting_user=SYSTEM)
    assert digest() == before
    assert not AuditEntry.objects.filter(action="processmaps.version.import").exists()
    found = sorted((e.line, e.column) for e in failed.value.outcome.errors)
    assert found == [
        (3, "Kind"),
        (4, "Lane"),
        (5, "Key"),
        (6, "Next steps"),
        (7, "Days"),
        (8, "Days"),
        (8, "Name"),
    ]
    reasons = {(e.line, e.column): e.reason for e in failed.value.outcome.errors}
    assert "meeting" in reasons[(3, "Kind")]
    assert "Bus Barn" in reasons[(4, "Lane")]
    assert "line 4" in reasons[(5, "Key")]
    assert "S9" in reasons[(6, "Next steps")]
    assert all(e.file == f"bad.{form}" for e in failed.value.outcome.errors)


def test_a_file_without_its_columns_or_with_others_is_refused_whole(sample):
    with pytest.raises(intake.ImportFailed) as failed:
        interchange.import_version(
            sample.pm, b"Step,Owner\nA,B\n", name="odd.csv", acting_user=SYSTEM
        )
    reasons = " ".join(e.reason for e in failed.value.outcome.errors)
    assert "Missing columns: key, name." in reasons and "Unknown columns: Owner, Step." in reasons
    with pytest.raises(intake.ImportFailed):
        interchange.import_version(sample.pm, b"Key,Name\n", name="empty.csv", acting_user=SYSTEM)
    with pytest.raises(intake.ImportFailed) as failed:
        interchange.import_version(
            sample.pm,
            b"Key,Name,Next steps\nA;B,Split,\nC,Self,C\n",
            name="k.csv",
            acting_user=SYSTEM,
        )
    assert sorted((e.line, e.column) for e in failed.value.outcome.errors) == [
        (2, "Key"),
        (3, "Next steps"),
    ]


FORMULAS = ['=HYPERLINK("http://x.example","Click")', "+1", "@x", "-2+3"]


def test_formula_looking_text_is_escaped_in_csv_and_text_in_excel(sample):
    v = sample.draft
    for key, name in zip(["S1", "S2", "S4", "S5"], FORMULAS, strict=True):
        actions.change_step(v.steps.get(key=key), name=name, acting_user=SYSTEM)
    rows = {r[0]: r for r in csv.reader(io.StringIO(interchange.to_csv(v)))}
    assert [rows[k][2] for k in ["S1", "S2", "S4", "S5"]] == ["'" + f for f in FORMULAS]
    raw = interchange.to_csv(v)
    assert '"=HYPERLINK' not in raw and "\"'=HYPERLINK" in raw
    sheet = load_workbook(io.BytesIO(interchange.to_xlsx(v))).active
    cells = {r[0].value: r[2] for r in sheet.iter_rows(min_row=2)}
    for key, name in zip(["S1", "S2", "S4", "S5"], FORMULAS, strict=True):
        assert cells[key].data_type == "s" and cells[key].value == name
    # and both read back as they were written
    for data, form in [(raw.encode(), "csv"), (interchange.to_xlsx(v), "xlsx")]:
        made = interchange.import_version(sample.pm, data, name=f"f.{form}", acting_user=SYSTEM)
        assert [made.steps.get(key=k).name for k in ["S1", "S2", "S4", "S5"]] == FORMULAS


def test_only_those_who_draw_import(world, login, sample):
    data = interchange.to_csv(sample.draft).encode()
    before = digest()
    for role in ["team_member", "team_lead", "board", "principal_a", "hr", "network_1"]:
        with pytest.raises(PermissionDenied):
            interchange.import_version(sample.pm, data, name="m.csv", acting_user=world.users[role])
        client = login(world.users[role])
        upload = SimpleUploadedFile("m.csv", data, content_type="text/csv")
        response = client.post(
            reverse("processmaps:import", args=[sample.pm.pk]), {"file": upload, "kind": "to_be"}
        )
        assert response.status_code == 403, role
    assert digest() == before
    client = login(world.users["pm"])
    page = client.get(reverse("processmaps:import", args=[sample.pm.pk]))
    assert page.status_code == 200
    upload = SimpleUploadedFile("m.csv", data, content_type="text/csv")
    response = client.post(
        reverse("processmaps:import", args=[sample.pm.pk]), {"file": upload, "kind": "revision"}
    )
    assert response.status_code == 302
    made = sample.pm.versions.get(number=3)
    assert response["Location"] == reverse("processmaps:version", args=[sample.pm.pk, 3])
    assert shape(made) == shape(sample.draft)


def test_the_import_page_lists_each_problem(world, login, sample):
    client = login(world.users["pm"])
    upload = SimpleUploadedFile("bad.csv", BAD.encode(), content_type="text/csv")
    response = client.post(
        reverse("processmaps:import", args=[sample.pm.pk]), {"file": upload, "kind": "to_be"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Nothing was imported: 7 problems to fix." in page
    assert "Bus Barn" in page and "S9" in page
    assert not sample.pm.versions.filter(number=3).exists()
    # a file that is not a table at all is refused whole, with its name
    upload = SimpleUploadedFile("bad.xlsx", b"PK\x03\x04 not a workbook")
    response = client.post(
        reverse("processmaps:import", args=[sample.pm.pk]), {"file": upload, "kind": "to_be"}
    )
    assert response.status_code == 200 and b"bad.xlsx" in response.content
