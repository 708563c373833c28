"""Importing schools and staff: all or nothing, every bad row named, re-import idempotent."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.management import call_command
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM
from districtpm.org.importing import (
    ImportFailed,
    import_oneroster,
    import_schools_csv,
    import_staff_csv,
)
from districtpm.org.models import Assignment, School, Staff

ORGS = """sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId
d1,active,2026-08-01,Test District,district,TD,
s1,active,2026-08-01,Columbine Elementary,school,201,d1
s2,active,2026-08-01,Delta High,school,202,d1
"""
USERS = """sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
u1,active,2026-08-01,true,s1,teacher,jdoe,,Jane,Doe,,T900,jane.doe@example.org,,,,,
u2,active,2026-08-01,true,"s1,s2",teacher,rroe,,Rob,Roe,,T901,rob.roe@example.org,,,,,
u3,active,2026-08-01,true,s2,administrator,kim,,Kim,Park,,A100,kim.park@example.org,,,,,
st1,active,2026-08-01,true,s1,student,kid1,,Kid,One,,S1,,,,,03,
"""
BAD_USERS = """sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password
u1,active,2026-08-01,true,s1,teacher,jdoe,,Jane,Doe,,T900,jane.doe@example.org,,,,,
u2,active,2026-08-01,true,s9,teacher,rroe,,Rob,Roe,,T901,rob.roe@example.org,,,,,
u3,active,2026-08-01,true,s2,wizard,kim,,Kim,Park,,A100,kim.park@example.org,,,,,
u4,active,2026-08-01,true,s2,teacher,x,,,Nolast,,A101,not-an-email,,,,,
u1,active,2026-08-01,maybe,s1,teacher,jdoe,,Jane,Doe,,T902,,,,,,
"""


def bundle(orgs: str = ORGS, users: str = USERS) -> dict[str, bytes]:
    return {"orgs.csv": orgs.encode(), "users.csv": users.encode()}


def zipped(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    buffer.seek(0)
    buffer.name = "roster.zip"
    return buffer


def state() -> tuple:
    return (
        sorted(School.objects.values_list("code", "name", "source_id")),
        sorted(Staff.objects.values_list("employee_id", "first_name", "last_name", "email")),
        Assignment.objects.count(),
        AuditEntry.objects.count(),
    )


def test_oneroster_bundle_imports_schools_staff_and_assignments(world):
    report = import_oneroster(bundle(), acting_user=world.users["admin"])
    assert report.ok
    assert report.created == {"school": 2, "staff": 3, "assignment": 4}
    assert report.skipped == {"district org(s)": 1, "student row(s), not stored": 1}
    rob = Staff.objects.get(employee_id="T901")
    assert sorted(rob.assignments.values_list("school__code", flat=True)) == ["201", "202"]
    assert not Staff.objects.filter(last_name="One").exists()  # students never reach the app db
    assert AuditEntry.objects.filter(action="org.staff.import").count() == 3


def test_reimporting_the_same_bundle_changes_nothing(world):
    import_oneroster(bundle(), acting_user=world.users["admin"])
    before = state()
    report = import_oneroster(bundle(), acting_user=world.users["admin"])
    assert report.created == {} and report.updated == {}
    assert report.unchanged == {"school": 2, "staff": 3}
    after = state()
    assert after[:3] == before[:3]
    assert after[3] == before[3] + 1  # only the import's own summary entry


def test_reimport_with_a_change_updates_and_audits(world):
    import_oneroster(bundle(), acting_user=world.users["admin"])
    report = import_oneroster(
        bundle(users=USERS.replace("Jane,Doe", "Jane,Doe-Lee")), acting_user=world.users["admin"]
    )
    assert report.updated == {"staff": 1}
    entry = AuditEntry.objects.filter(action="org.staff.import").latest("pk")
    assert (entry.before["last_name"], entry.after["last_name"]) == ("Doe", "Doe-Lee")


def test_bad_bundle_reports_every_bad_row_and_changes_nothing(world):
    before = state()
    with pytest.raises(ImportFailed) as failure:
        import_oneroster(bundle(users=BAD_USERS), acting_user=world.users["admin"])
    errors = [(e.file, e.line, e.column) for e in failure.value.report.errors]
    assert ("users.csv", 3, "orgSourcedIds") in errors
    assert ("users.csv", 4, "role") in errors
    assert ("users.csv", 5, "givenName") in errors
    assert ("users.csv", 5, "email") in errors
    assert ("users.csv", 6, "sourcedId") in errors
    assert ("users.csv", 6, "enabledUser") in errors
    assert not any(line == 2 for _, line, _ in errors)
    messages = [str(e) for e in failure.value.report.errors]
    assert "users.csv, line 3, column orgSourcedIds: unknown org(s): s9" in messages
    assert state() == before


def test_bundle_missing_a_file_or_column_is_refused(world):
    with pytest.raises(ImportFailed) as failure:
        import_oneroster({"orgs.csv": ORGS.encode()}, acting_user=world.users["admin"])
    assert (
        str(failure.value.report.errors[0]) == "users.csv, line 0: file is missing from the bundle"
    )
    with pytest.raises(ImportFailed) as failure:
        import_oneroster(bundle(orgs="sourcedId,name\ns1,X\n"), acting_user=world.users["admin"])
    assert "missing required column(s): type" in str(failure.value.report.errors[0])


def test_web_upload_of_a_bad_bundle_lists_the_rows(world, login):
    client = login(world.users["admin"])
    before = state()
    response = client.post(
        reverse("org:import"),
        {
            "kind": "oneroster",
            "file": zipped(bundle(users=BAD_USERS)),
        },
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "Nothing was imported: 6 bad row(s)." in body
    assert "unknown role &#x27;wizard&#x27;" in body
    assert state() == before
    response = client.post(reverse("org:import"), {"kind": "oneroster", "file": zipped(bundle())})
    assert response.status_code == 200
    assert "Imported: created 4 assignment, 2 school, 3 staff" in response.content.decode()


def test_web_upload_of_something_that_is_not_a_zip(world, login):
    upload = io.BytesIO(b"hello")
    upload.name = "roster.zip"
    response = login(world.users["admin"]).post(
        reverse("org:import"), {"kind": "oneroster", "file": upload}
    )
    assert response.status_code == 422
    assert "not a zip file" in response.content.decode()


def test_only_district_admin_may_import(world, login):
    response = login(world.users["pm"]).post(
        reverse("org:import"), {"kind": "oneroster", "file": zipped(bundle())}
    )
    assert response.status_code == 403
    assert not School.objects.filter(code="201").exists()


SCHOOLS = """code,name,level,lowest_grade,highest_grade,network_code,network_name
301,Elm Elementary,elementary,K,5,N1,
302,Fir Middle,Middle,6,8,N3,Network Three
"""
BAD_SCHOOLS = """code,name,level,lowest_grade,highest_grade,network_code
301,Elm Elementary,elementary,K,5,N1
,Nameless,elementary,K,5,N1
303,,castle,K,5,N1
304,Backwards,elementary,8,3,N1
301,Twice,elementary,K,5,N9
"""


def test_schools_csv_import_and_reimport(world):
    report = import_schools_csv(io.StringIO(SCHOOLS), acting_user=world.users["admin"])
    assert report.created == {"school": 2, "network": 1}
    assert School.objects.get(code="302").network.name == "Network Three"
    again = import_schools_csv(io.StringIO(SCHOOLS), acting_user=world.users["admin"])
    assert again.created == {} and again.updated == {}


def test_bad_schools_csv_names_each_row(world):
    before = state()
    with pytest.raises(ImportFailed) as failure:
        import_schools_csv(io.StringIO(BAD_SCHOOLS), acting_user=world.users["admin"])
    lines = sorted({e.line for e in failure.value.report.errors})
    assert lines == [3, 4, 5, 6]
    reasons = " | ".join(str(e) for e in failure.value.report.errors)
    assert "line 3, column code: school code is empty" in reasons
    assert "line 4, column level: unknown level 'castle'" in reasons
    assert "line 5, column highest_grade: highest grade is below lowest grade" in reasons
    assert "line 6, column code: school code 301 is repeated (first on line 2)" in reasons
    assert "line 6, column network_code: unknown network 'N9'" in reasons
    assert state() == before


def test_staff_csv_import_from_the_command_line(world, tmp_path, capsys):
    path = tmp_path / "staff.csv"
    path.write_text(
        "employee_id,first_name,last_name,email,position,school_codes\n"
        "X1,Ada,Lovelace,ada@example.org,teacher,101;102\n"
    )
    call_command("org", "import", "staff", str(path))
    assert "created 2 assignment, 1 staff" in capsys.readouterr().out
    bad = tmp_path / "bad.csv"
    bad.write_text("employee_id,first_name,last_name,position,school_codes\nX2,Bo,,teacher,999\n")
    with pytest.raises(SystemExit):
        call_command("org", "import", "staff", str(bad))
    err = capsys.readouterr().err
    assert "bad.csv, line 2, column last_name: last_name is empty" in err
    assert "bad.csv, line 2, column school_codes: unknown school code(s): 999" in err
    assert not Staff.objects.filter(employee_id="X2").exists()


def test_staff_csv_rejects_repeated_ids(world):
    with pytest.raises(ImportFailed) as failure:
        import_staff_csv(
            io.StringIO("employee_id,first_name,last_name\nZ,A,B\nZ,C,D\n"), acting_user=SYSTEM
        )
    assert [e.line for e in failure.value.report.errors] == [3]
