"""Fuzzing the organisation imports: anything in is imported or refused, never anything else.

Random bytes, random CSV-ish text and random zips go into every import path (the three importers,
the zip reader behind the web upload, the web view itself). Each must import, or refuse with
InputRefused / ImportFailed and leave the database as it was; no other exception and no 500.
Bounded in time: every test sets max_examples and deadline (together well under 30 s).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from districtpm.core.intake import InputRefused
from districtpm.org.importing import (
    ImportFailed,
    bundle_from_upload,
    import_oneroster,
    import_schools_csv,
    import_staff_csv,
)
from districtpm.org.tests.test_import_hardening import ORGS, USERS, state

FUZZ = settings(
    max_examples=25,
    deadline=5000,  # ms per example; generous because CI shares two cores
    database=None,  # no .hypothesis folder in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SCHOOL_HEADERS = ["code", "name", "level", "lowest_grade", "highest_grade", "network_code"]
STAFF_HEADERS = ["employee_id", "first_name", "last_name", "email", "position", "school_codes"]
ORG_HEADERS = ["sourcedId", "status", "name", "type", "identifier"]
USER_HEADERS = ["sourcedId", "orgSourcedIds", "role", "givenName", "familyName", "identifier"]

# Mostly ordinary cell text, with the characters that break naive CSV handling mixed in.
cell = st.one_of(
    st.sampled_from(["", "K", "5", "school", "teacher", "student", "s1", "201", "a@b.org"]),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=30),
    st.text(alphabet=',"\n\r\t\x00\x1b \ufeffé', max_size=8),
    st.integers(min_value=0, max_value=20_050).map(lambda n: "x" * n),
)


@st.composite
def csv_text(draw, headers: list[str]) -> bytes:
    """CSV-ish bytes: plausible headers (sometimes repeated or missing), random rows, encodings."""
    columns = draw(st.lists(st.sampled_from([*headers, "", "extra"]), min_size=0, max_size=8))
    if draw(st.booleans()):
        columns = list(dict.fromkeys(headers + columns))
    rows = draw(st.lists(st.lists(cell, max_size=len(columns) + 2), max_size=6))

    def quote(value: str) -> str:
        return '"' + value.replace('"', '""') + '"' if draw(st.booleans()) else value

    text = "\n".join(",".join(quote(v) for v in row) for row in [columns, *rows]) + "\n"
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-32", "cp1252"]))
    return text.encode(encoding, errors="replace")


def zip_of(files: dict[str, bytes], compress: bool) -> bytes:
    buffer = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buffer, "w", compression=method) as z:
        for member, data in files.items():
            z.writestr(member, data)
    return buffer.getvalue()


@st.composite
def random_zip(draw) -> bytes:
    """A zip of OneRoster-ish members under good and bad names, sometimes corrupted."""
    names = draw(
        st.lists(
            st.sampled_from(
                [
                    "orgs.csv",
                    "users.csv",
                    "ORGS.csv",
                    "x/users.csv",
                    "../orgs.csv",
                    "/abs/users.csv",
                    "C:/users.csv",
                    "inner.zip",
                    "manifest.csv",
                    "readme.txt",
                    "__MACOSX/._orgs.csv",
                ]
            ),
            max_size=6,
            unique=True,
        )
    )
    files = {}
    for name in names:
        if "orgs" in name.lower():
            files[name] = draw(st.one_of(csv_text(ORG_HEADERS), st.just(ORGS.encode())))
        elif "users" in name.lower():
            files[name] = draw(st.one_of(csv_text(USER_HEADERS), st.just(USERS.encode())))
        else:
            files[name] = draw(st.binary(max_size=200))
    data = bytearray(zip_of(files, draw(st.booleans())))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        if data:
            at = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[at] = draw(st.integers(min_value=0, max_value=255))
    return bytes(data)


def imports_or_refuses(run) -> None:
    """Run one import: it succeeds, or is refused cleanly and the database is unchanged."""
    before = state()
    try:
        run()
    except (InputRefused, ImportFailed) as refused:
        assert state() == before
        assert "/work/" not in str(refused) and "/tmp/" not in str(refused)


def named(data: bytes, name: str) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


@pytest.mark.django_db
@FUZZ
@given(data=st.one_of(st.binary(max_size=3000), csv_text(SCHOOL_HEADERS)))
def test_schools_csv_fuzz(world, data):
    admin = world.users["admin"]
    imports_or_refuses(lambda: import_schools_csv(io.BytesIO(data), acting_user=admin))


@pytest.mark.django_db
@FUZZ
@given(data=st.one_of(st.binary(max_size=3000), csv_text(STAFF_HEADERS)))
def test_staff_csv_fuzz(world, data):
    admin = world.users["admin"]
    imports_or_refuses(lambda: import_staff_csv(io.BytesIO(data), acting_user=admin))


@pytest.mark.django_db
@FUZZ
@given(orgs=csv_text(ORG_HEADERS), users=csv_text(USER_HEADERS))
def test_oneroster_files_fuzz(world, orgs, users):
    admin = world.users["admin"]
    files = {"orgs.csv": orgs, "users.csv": users}
    imports_or_refuses(lambda: import_oneroster(files, acting_user=admin))


@pytest.mark.django_db
@FUZZ
@given(data=st.one_of(random_zip(), st.binary(max_size=2000)))
def test_oneroster_zip_fuzz(world, data):
    admin = world.users["admin"]
    imports_or_refuses(
        lambda: import_oneroster(bundle_from_upload(named(data, "roster.zip")), acting_user=admin)
    )


@pytest.mark.django_db
@settings(FUZZ, max_examples=15)
@given(
    kind=st.sampled_from(["schools", "staff", "oneroster"]),
    data=st.one_of(st.binary(max_size=1500), csv_text(SCHOOL_HEADERS), random_zip()),
)
def test_web_import_never_answers_500(world, login, kind, data):
    client = login(world.users["admin"])
    before = state()
    response = client.post(reverse("org:import"), {"kind": kind, "file": named(data, "f.csv")})
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert state() == before
