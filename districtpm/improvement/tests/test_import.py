"""Designations from a CSV: all or nothing, every bad row named, the same file twice a no-op."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from districtpm.core.scoping import SYSTEM
from districtpm.org.models import Designation


def _csv(*rows: str) -> bytes:
    return ("school_code,school_year,kind,groups,note\n" + "\n".join(rows) + "\n").encode()


def test_a_good_file_imports_and_again_changes_nothing(world, login):
    data = _csv(
        "101,2026-2027,TSI,English learners; Students with disabilities,",
        "102,2026-2027,comprehensive,,Graduation",
    )
    client = login(world.users["pm"])
    response = client.post(
        reverse("improvement:import"), {"file": SimpleUploadedFile("d.csv", data)}, follow=True
    )
    assert "2 designations added, 0 changed, 0 unchanged." in response.content.decode()
    tsi = Designation.objects.get(school=world.school_a, kind="tsi")
    assert tsi.groups == "English learners; Students with disabilities"
    page = client.post(
        reverse("improvement:import"), {"file": SimpleUploadedFile("d.csv", data)}, follow=True
    )
    assert "0 designations added, 0 changed, 2 unchanged." in page.content.decode()
    assert "Groups: English learners; Students with disabilities" in page.content.decode()


def test_every_bad_row_is_named_and_nothing_changes(world, login):
    data = _csv(
        "101,2026-2027,tsi,,", "999,2026-2027,tsi,,", "102,2031-2032,xyz,,", "101,2026-2027,tsi,,"
    )
    page = (
        login(world.users["pm"])
        .post(reverse("improvement:import"), {"file": SimpleUploadedFile("d.csv", data)})
        .content.decode()
    )
    assert "4 problems to fix" in page
    assert "d.csv, line 3, column school_code: no school has the code “999”" in page
    assert "line 4, column school_year" in page and "line 4, column kind" in page
    assert "line 5, column school_code: this school, year and kind are on line 2 too" in page
    assert not Designation.objects.exists()
    assert login(world.users["principal_a"]).get(reverse("improvement:import")).status_code == 403


def test_the_command_imports_and_fails_whole(world, tmp_path, capsys):
    good = tmp_path / "good.csv"
    good.write_bytes(_csv("101,2026-2027,atsi,Black students,"))
    call_command("improvement", "import-designations", str(good))
    assert Designation.objects.get().kind == "atsi"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"school,year\n101,2026-2027\n")
    with pytest.raises(CommandError):
        call_command("improvement", "import-designations", str(bad))
    assert "needs the columns school_code, school_year, kind" in capsys.readouterr().err


def test_a_file_without_the_optional_columns_keeps_what_is_there(world, tmp_path):
    from districtpm.improvement.importing import import_designations

    first = b"School Code,school_year,KIND,groups,note\n101,2026-2027,tsi,English learners,Typed\n"
    import_designations(first, name="a.csv", acting_user=SYSTEM)
    plain = b"school_code,school_year,kind\n101,2026-2027,tsi\n"
    done = import_designations(plain, name="b.csv", acting_user=SYSTEM)
    assert done.unchanged == 1
    d = Designation.objects.get()
    assert (d.groups, d.note) == ("English learners", "Typed")


def test_unknown_columns_extra_values_and_control_characters_are_named(world, login):
    client = login(world.users["pm"])
    page = client.post(
        reverse("improvement:import"),
        {
            "file": SimpleUploadedFile(
                "d.csv", b"school_code,school_year,kind,group\n101,2026-2027,tsi,x\n"
            )
        },
    ).content.decode()
    assert "Unknown column: group" in page
    page = client.post(
        reverse("improvement:import"),
        {
            "file": SimpleUploadedFile(
                "d.csv",
                b"school_code,school_year,kind,groups\n101,2026-2027,tsi,ELL,SWD\n102,2026-2027,tsi,a\x01b\n",
            )
        },
    ).content.decode()
    assert "line 2: the row has 1 value(s) more" in page
    assert "line 3, column groups: value contains a control character" in page
    assert not Designation.objects.exists()
