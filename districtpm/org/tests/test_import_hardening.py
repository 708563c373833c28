"""Bad files into the organisation imports: refused clearly (422 / CommandError), never a 500.

Regression tests for the hardening issue, findings 8 (server errors on bad files), 9 (unbounded
input) and 10 (bad input accepted silently), through the web view and the command line.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from districtpm.audit.models import AuditEntry
from districtpm.org.importing import ImportFailed, import_oneroster, import_schools_csv
from districtpm.org.models import Assignment, School, Staff

ORGS = (
    "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId\n"
    "d1,active,2026-08-01,Test District,district,TD,\n"
    "s1,active,2026-08-01,Columbine Elementary,school,201,d1\n"
)
USERS = (
    "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,"
    "givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n"
    "u1,active,2026-08-01,true,s1,teacher,jdoe,,Jane,Doe,,T900,jane.doe@example.org,,,,,\n"
)
SCHOOLS = "code,name,level,lowest_grade,highest_grade\n301,Elm Elementary,elementary,K,5\n"


def state() -> tuple:
    return (
        sorted(School.objects.values_list("code", "name", "source_id")),
        sorted(Staff.objects.values_list("employee_id", "first_name", "last_name", "email")),
        Assignment.objects.count(),
        AuditEntry.objects.count(),
    )


def upload(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def zipped(files: dict[str, bytes], name: str = "roster.zip") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for member, data in files.items():
            z.writestr(member, data)
    return buffer.getvalue()


def roster(orgs: str = ORGS, users: str = USERS) -> dict[str, bytes]:
    return {"orgs.csv": orgs.encode(), "users.csv": users.encode()}


@pytest.fixture
def post(world, login):
    """Post a file to the import page as the district admin; checks nothing was changed."""
    client = login(world.users["admin"])

    def send(kind: str, data: bytes, name: str) -> tuple[int, str]:
        before = state()
        response = client.post(reverse("org:import"), {"kind": kind, "file": upload(data, name)})
        if response.status_code != 200:
            assert state() == before
        return response.status_code, response.content.decode()

    return send


@pytest.fixture
def cli(world, tmp_path):
    """Run `org import KIND FILE`; returns the CommandError message (None if it imported)."""

    def run(kind: str, data: bytes, name: str) -> str | None:
        path = tmp_path / name
        path.write_bytes(data)
        before = state()
        try:
            call_command("org", "import", kind, str(path))
        except CommandError as exc:
            assert state() == before
            assert str(tmp_path) not in str(exc)
            return str(exc)
        return None

    return run


# ------------------------------------------------------------------ finding 8: encodings, bytes


LATIN1 = "code,name\n301,École Élan\n".encode("latin-1")


def test_latin1_csv_is_refused_with_advice_on_the_web(post):
    status, body = post("schools", LATIN1, "schools.csv")
    assert status == 422
    assert "schools.csv is not UTF-8 text" in body
    assert "CSV UTF-8" in body


def test_latin1_csv_is_refused_on_the_command_line(cli):
    message = cli("schools", LATIN1, "schools.csv")
    assert message is not None and "schools.csv is not UTF-8 text" in message


def test_utf16_with_bom_imports_on_the_web_and_command_line(post, cli):
    data = "code,name\n301,École Élan\n".encode("utf-16")
    assert post("schools", data, "schools.csv")[0] == 200
    assert School.objects.get(code="301").name == "École Élan"
    data = "code,name\n302,Ñandú Middle\n".encode("utf-16")
    assert cli("schools", data, "more.csv") is None
    assert School.objects.get(code="302").name == "Ñandú Middle"


def test_random_bytes_are_refused(post, cli):
    noise = bytes(range(256)) * 8 + os.urandom(512)
    for kind in ("schools", "staff"):
        status, body = post(kind, noise, "data.csv")
        assert status == 422
        assert "data.csv is not UTF-8 text" in body
        assert "data.csv is not UTF-8 text" in (cli(kind, noise, "data.csv") or "")


def test_a_field_over_the_csv_module_limit_is_a_row_error(post, cli, capsys):
    long_name = "x" * 131_073
    data = f"code,name\n301,Elm\n302,{long_name}\n303,Oak\n304,{long_name}\n".encode()
    status, body = post("schools", data, "schools.csv")
    assert status == 422
    assert "Nothing was imported: 2 bad row(s)." in body
    assert "value is 131,073 characters long; at most 10,000 are allowed" in body
    with pytest.raises(SystemExit):
        cli("schools", data, "schools.csv")
    err = capsys.readouterr().err
    assert "schools.csv, line 3, column name: value is 131,073 characters long" in err
    assert "schools.csv, line 5, column name" in err
    assert "Traceback" not in err


def test_damaged_zip_is_refused_on_the_command_line(cli, post):
    data = bytearray(zipped(roster()))
    start = data.index(b"orgs.csv") + len(b"orgs.csv")
    data[start + 5 : start + 25] = b"\xff" * 20  # corrupt the compressed bytes of orgs.csv
    message = cli("oneroster", bytes(data), "roster.zip")
    assert message is not None and "roster.zip is damaged" in message
    status, body = post("oneroster", bytes(data), "roster.zip")
    assert status == 422 and "roster.zip is damaged" in body


def test_not_a_zip_is_refused_on_the_command_line(cli):
    message = cli("oneroster", b"hello, this is not a zip", "roster.zip")
    assert message is not None and "roster.zip is not a zip file" in message


# ------------------------------------------------------------------ finding 9: unbounded input


def test_zip_bomb_is_refused_on_the_web_and_command_line(post, cli, settings):
    settings.DISTRICTPM_MAX_EXPANDED_MB = 1
    files = roster()
    files["users.csv"] += b"\n" * (4 * 1024 * 1024)  # blank lines: 4 MB that zip to a few KB
    data = zipped(files)
    assert len(data) < 64 * 1024
    status, body = post("oneroster", data, "roster.zip")
    assert status == 422
    assert "roster.zip expands to 4 MB; a zip may expand to at most 1 MB." in body
    message = cli("oneroster", data, "roster.zip")
    assert message is not None and "roster.zip expands to 4 MB" in message


def test_the_reported_zip_bomb_is_refused_at_the_default_limits(post, cli):
    # The case: a few hundred KB that expand to 256 MB. Under the 1 GB expanded limit,
    # so it is the compression ratio that gives it away, before anything is read.
    files = roster()
    files["users.csv"] += b"\n" * (256 * 1024 * 1024)
    data = zipped(files)
    assert len(data) < 300 * 1024
    status, body = post("oneroster", data, "roster.zip")
    assert status == 422
    assert "roster.zip looks like a zip bomb: users.csv expands more than 100 times" in body
    message = cli("oneroster", data, "roster.zip")
    assert message is not None and "looks like a zip bomb" in message


def test_too_many_zip_members_are_refused(post, settings):
    settings.DISTRICTPM_MAX_ZIP_MEMBERS = 3
    files = {**roster(), "a.csv": b"x\n", "b.csv": b"y\n"}
    status, body = post("oneroster", zipped(files), "roster.zip")
    assert status == 422
    assert "roster.zip holds 4 files; a zip may hold at most 3." in body


def test_unsafe_names_and_nested_archives_are_refused(post):
    for member in ("../orgs.csv", "/etc/orgs.csv", "C:/orgs.csv"):
        files = {"users.csv": USERS.encode(), member: ORGS.encode()}
        status, body = post("oneroster", zipped(files), "roster.zip")
        assert status == 422, member
        assert "with an unsafe path" in body
    files = {**roster(), "inner.zip": zipped(roster())}
    status, body = post("oneroster", zipped(files), "roster.zip")
    assert status == 422
    assert "roster.zip contains another archive (inner.zip)" in body


def test_an_upload_over_the_size_limit_is_a_form_error(post, settings):
    settings.DISTRICTPM_MAX_UPLOAD_MB = 0.001  # about 1 KB
    data = (SCHOOLS + "".join(f"{400 + i},School {i}\n" for i in range(100))).encode()
    status, body = post("schools", data, "schools.csv")
    assert status == 422
    assert "schools.csv is 1.4 KB; files may be at most 1 KB." in body
    assert not School.objects.filter(code="301").exists()


def test_a_file_over_the_size_limit_is_refused_on_the_command_line(cli, settings):
    settings.DISTRICTPM_MAX_UPLOAD_MB = 0.001
    data = (SCHOOLS + "".join(f"{400 + i},School {i}\n" for i in range(100))).encode()
    message = cli("schools", data, "schools.csv")
    assert message is not None and "files may be at most 1 KB" in message


# ------------------------------------------------------------------ finding 10: silent acceptance


def test_duplicate_headers_are_refused(post, cli):
    data = b"code,name,Name \n301,Elm,Oak\n"
    status, body = post("schools", data, "schools.csv")
    assert status == 422
    assert "schools.csv: the column &#x27;Name&#x27; appears twice in the header row" in body
    message = cli("schools", data, "schools.csv")
    assert message is not None and "'Name' appears twice" in message
    users = USERS.replace("givenName,familyName", "givenName,givenName")
    status, body = post("oneroster", zipped(roster(users=users)), "roster.zip")
    assert status == 422
    assert "users.csv: the column &#x27;givenName&#x27; appears twice" in body


def test_two_orgs_files_in_one_zip_are_refused(post, cli):
    files = {
        "a/orgs.csv": ORGS.encode(),
        "b/ORGS.csv": ORGS.replace("Columbine", "Other").encode(),
        "users.csv": USERS.encode(),
    }
    status, body = post("oneroster", zipped(files), "roster.zip")
    assert status == 422
    assert "roster.zip contains ORGS.csv twice" in body
    message = cli("oneroster", zipped(files), "roster.zip")
    assert message is not None and "contains ORGS.csv twice" in message


def test_a_code_longer_than_its_field_is_a_row_error(post, cli, capsys):
    code = "9" * 5000
    status, body = post("schools", f"code,name\n{code},Elm\n".encode(), "schools.csv")
    assert status == 422
    assert "5,000 characters long; at most 20 fit" in body
    orgs = ORGS + f"s2,active,2026-08-01,Delta High,school,{code},d1\n"
    status, body = post("oneroster", zipped(roster(orgs=orgs)), "roster.zip")
    assert status == 422
    assert "5,000 characters long; at most 20 fit" in body
    with pytest.raises(SystemExit):
        cli("schools", f"code,name\n301,Elm\n{code},Oak\n".encode(), "schools.csv")
    err = capsys.readouterr().err
    assert "schools.csv, line 3, column code: '99999999999999999999'… is 5,000" in err


def test_every_bad_row_is_reported_with_line_and_column(world):
    data = "code,name,address\n301,Elm,\n302,Oak," + "a" * 301 + "\n303,Fir,\n304,,\n"
    with pytest.raises(ImportFailed) as failure:
        import_schools_csv(io.BytesIO(data.encode()), acting_user=world.users["admin"])
    errors = [(e.line, e.column) for e in failure.value.report.errors]
    assert errors == [(3, "address"), (5, "name")]
    assert not School.objects.filter(code__in=["301", "302", "303", "304"]).exists()


def test_nul_bytes_in_names_are_refused(post, cli):
    data = b"code,name\n301,Elm\x00Elementary\n"
    status, body = post("schools", data, "schools.csv")
    assert status == 422
    assert "schools.csv contains NUL characters (first on line 2)" in body
    message = cli("schools", data, "schools.csv")
    assert message is not None and "contains NUL characters" in message
    users = USERS.replace("Jane", "Ja\x00ne")
    status, body = post("oneroster", zipped(roster(users=users)), "roster.zip")
    assert status == 422
    assert "users.csv contains NUL characters" in body


def test_control_characters_are_a_row_error(world):
    with pytest.raises(ImportFailed) as failure:
        import_oneroster(
            roster(users=USERS.replace("Jane", "Ja\x1bne")), acting_user=world.users["admin"]
        )
    assert str(failure.value.report.errors[0]) == (
        "users.csv, line 2, column givenName: value contains a control character (U+001B)"
    )


def test_a_good_bundle_still_imports(post):
    status, body = post("oneroster", zipped(roster()), "roster.zip")
    assert status == 200
    assert "created 1 assignment, 1 school, 1 staff" in body
