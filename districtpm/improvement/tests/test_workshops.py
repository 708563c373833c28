"""Problem-solving workshops: seats to designated schools first, one registration per school, a
waiting list whose first school takes a seat given back (told through a real SMTP server), the
session's seats never below those taken, note catchers checked and read only in scope,
attendance recorded by the PM office, and every page refused outside its scope."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from districtpm.accounts.models import RoleAssignment
from districtpm.actionplans.tests.test_action_teams import smtp  # noqa: F401  (fixture)
from districtpm.audit.models import AuditEntry
from districtpm.core.roles import Role
from districtpm.core.scoping import SYSTEM
from districtpm.improvement import actions, workshops
from districtpm.improvement.models import NoteCatcher, Registration, Workshop
from districtpm.org.models import Designation, School

DENVER = ZoneInfo("America/Denver")
NOW = dt.datetime(2027, 3, 1, 9, 0, tzinfo=DENVER)
S = Registration.Status
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "uploads"


def school(world, code: str, name: str, level: str = "elementary", network=None) -> School:
    return School.objects.create(
        district=world.district,
        network=network or world.network_1,
        code=code,
        name=name,
        level=level,
    )


def principal_of(s: School, username: str) -> User:
    user = User.objects.create_user(username, email=f"{username}@example.org")
    RoleAssignment.objects.create(user=user, role=Role.PRINCIPAL, school=s)
    return user


def session(world, *, seats=2, days=20, priority_days=None, level="elementary", title="Session"):
    starts = NOW + dt.timedelta(days=days)
    return workshops.save_workshop(
        Workshop(school_year=world.year),
        title=title,
        level=level,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        place="Operations Center, room 2",
        seats=seats,
        priority_until=NOW + dt.timedelta(days=priority_days) if priority_days else None,
        acting_user=SYSTEM,
    )


def designate(world, *schools: School) -> None:
    for s in schools:
        Designation.objects.create(school=s, school_year=world.year, kind="tsi")


def test_seats_go_to_designated_schools_first_then_to_everyone(world, frozen):
    u = world.users
    cedar = school(world, "103", "Cedar Elementary")
    designate(world, world.school_a)
    w = session(world, seats=2, priority_days=7)
    seated = workshops.register_school(w, world.school_a, 7, acting_user=u["principal_a"])
    assert seated.status == S.SEATED and seated.seated_at is not None
    with pytest.raises(ValidationError, match="not designated: register after that date"):
        workshops.register_school(w, cedar, 6, acting_user=u["pm"])
    assert not Registration.objects.filter(school=cedar).exists()
    # The window closes: the seat left is anyone's.
    frozen.move_to(NOW + dt.timedelta(days=8))
    assert workshops.register_school(w, cedar, 6, acting_user=u["pm"]).status == S.SEATED
    dogwood = school(world, "104", "Dogwood Elementary")
    assert workshops.register_school(w, dogwood, 5, acting_user=u["pm"]).status == S.WAITING


def test_a_seat_given_back_goes_to_the_first_waiting_school_that_may_take_it(
    world,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    u = world.users
    cedar = school(world, "103", "Cedar Elementary")
    elm = school(world, "105", "Elm Elementary")
    principal_of(cedar, "cedar.principal")
    principal_of(elm, "elm.principal")
    designate(world, world.school_a, elm)
    w = session(world, seats=1)  # open to every school
    a = workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    c = workshops.register_school(w, cedar, 4, acting_user=u["pm"])
    e = workshops.register_school(w, elm, 8, "Ann\nBo", acting_user=u["pm"])
    assert [c.status, e.status] == [S.WAITING, S.WAITING]
    # The PM office gives designated schools priority again: Cedar waits first, but may not
    # take the seat Aspen gives back; Elm, designated, does.
    workshops.save_workshop(
        w,
        title=w.title,
        level=w.level,
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        place=w.place,
        seats=1,
        priority_until=NOW + dt.timedelta(days=5),
        acting_user=u["pm"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        promoted = workshops.cancel_registration(a, acting_user=u["principal_a"])
    assert promoted == [e]
    assert Registration.objects.get(pk=e.pk).status == S.SEATED
    assert Registration.objects.get(pk=c.pk).status == S.WAITING
    assert len(smtp.messages) == 1
    assert smtp.messages[0].rcpt_tos == ["elm.principal@example.org"]
    body = smtp.messages[0].content.decode()
    assert "Elm Elementary has a seat" in body and "Operations Center, room 2" in body
    # Without priority the next seat given back goes to Cedar, first in line.
    workshops.save_workshop(
        w,
        title=w.title,
        level=w.level,
        starts_at=w.starts_at,
        ends_at=w.ends_at,
        place=w.place,
        seats=1,
        priority_until=None,
        acting_user=u["pm"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert workshops.cancel_registration(e, acting_user=u["pm"]) == [c]
    assert len(smtp.messages) == 2 and smtp.messages[1].rcpt_tos == ["cedar.principal@example.org"]
    seats = AuditEntry.objects.filter(action="improvement.workshop.seat")
    assert seats.count() == 2
    assert AuditEntry.objects.filter(action="improvement.workshop.cancel_registration").count() == 2


def test_a_failed_email_keeps_the_seat(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens: refused
    cedar = school(world, "103", "Cedar Elementary")
    principal_of(cedar, "cedar.principal")
    w = session(world, seats=1)
    a = workshops.register_school(w, world.school_a, 6, acting_user=SYSTEM)
    c = workshops.register_school(w, cedar, 4, acting_user=SYSTEM)
    with django_capture_on_commit_callbacks(execute=True):
        workshops.cancel_registration(a, acting_user=SYSTEM)
    assert Registration.objects.get(pk=c.pk).status == S.SEATED


def test_one_registration_per_school_and_one_session_per_level(world):
    u = world.users
    w = session(world, seats=3)
    other = session(world, seats=3, days=25, title="Second session")
    r = workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    with pytest.raises(ValidationError, match="registered for this session already: it has a seat"):
        workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    with pytest.raises(ValidationError, match="cancel that registration first"):
        workshops.register_school(other, world.school_a, 6, acting_user=u["principal_a"])
    with pytest.raises(ValidationError, match="for elementary schools; Birch Middle"):
        workshops.register_school(w, world.school_b, 6, acting_user=u["principal_b"])
    with pytest.raises(ValidationError, match="at least one"):
        workshops.register_school(other, world.school_b, 0, acting_user=u["principal_b"])
    page = login_get(world, "principal_a", reverse("improvement:workshop", args=[other.pk]))
    assert "Aspen Elementary is registered for" in page and 'id="register"' not in page
    workshops.cancel_registration(r, acting_user=u["principal_a"])
    again = workshops.register_school(other, world.school_a, 5, acting_user=u["principal_a"])
    assert again.status == S.SEATED
    with pytest.raises(PermissionDenied):
        workshops.register_school(w, world.school_a, 6, acting_user=u["principal_b"])
    for key in ["teacher_a", "network_1", "slt", "evaluator_a"]:
        with pytest.raises(PermissionDenied):
            workshops.register_school(w, world.school_a, 6, acting_user=u[key])
    # The page says so too, in words.
    page = reverse("improvement:workshop_register", args=[other.pk])
    response = login_post(world, "principal_a", page, {"school": world.school_a.pk, "headcount": 4})
    assert "registered for this session already" in response


def login_get(world, key, url) -> str:
    from django.test import Client

    client = Client()
    client.force_login(world.users[key])
    return client.get(url).content.decode()


def login_post(world, key, url, data) -> str:
    from django.test import Client

    client = Client()
    client.force_login(world.users[key])
    return client.post(url, data, follow=True).content.decode()


def test_a_session_never_has_fewer_seats_than_schools_seated(world):
    u = world.users
    w = session(world, seats=2)
    cedar = school(world, "103", "Cedar Elementary")
    dogwood = school(world, "104", "Dogwood Elementary")
    for s in [world.school_a, cedar, dogwood]:
        workshops.register_school(w, s, 6, acting_user=u["pm"])

    def change(**kw):
        values = dict(
            title=w.title,
            level=w.level,
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            place=w.place,
            seats=w.seats,
            priority_until=None,
        )
        values.update(kw)
        return workshops.save_workshop(w, **values, acting_user=u["pm"])

    with pytest.raises(ValidationError, match="2 schools have a seat already"):
        change(seats=1)
    with pytest.raises(ValidationError, match="at least one seat"):
        change(seats=0)
    with pytest.raises(ValidationError, match="end after it starts"):
        change(ends_at=w.starts_at)
    with pytest.raises(PermissionDenied):
        workshops.save_workshop(
            w,
            title="x",
            level="elementary",
            starts_at=w.starts_at,
            ends_at=w.ends_at,
            place="x",
            seats=9,
            acting_user=u["principal_a"],
        )
    assert Workshop.objects.get(pk=w.pk).seats == 2
    change(seats=3)  # the added seat goes to Dogwood, waiting
    assert Registration.objects.get(school=dogwood).status == S.SEATED


def test_attendance_is_recorded_by_the_pm_office_after_the_session(world, frozen, login):
    u = world.users
    w = session(world, seats=2)
    a = workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    cedar = school(world, "103", "Cedar Elementary")
    c = workshops.register_school(w, cedar, 6, acting_user=u["pm"])
    url = reverse("improvement:workshop_attendance", args=[w.pk])
    with pytest.raises(ValidationError, match="once the session has begun"):
        workshops.record_attendance(w, [a.pk], acting_user=u["pm"])
    frozen.move_to(w.ends_at + dt.timedelta(hours=1))
    for key in ["principal_a", "network_1", "slt", "teacher_a"]:
        assert login(u[key]).post(url, {"came": [a.pk]}).status_code == 403
        with pytest.raises(PermissionDenied):
            workshops.record_attendance(w, [a.pk], acting_user=u[key])
    assert Registration.objects.get(pk=a.pk).attended is None
    response = login(u["pm"]).post(url, {"came": [str(a.pk)]}, follow=True)
    assert "1 of 2 seated schools came" in response.content.decode()
    assert Registration.objects.get(pk=a.pk).attended is True
    assert Registration.objects.get(pk=c.pk).attended is False
    entry = AuditEntry.objects.get(action="improvement.workshop.attendance")
    assert entry.after == {"Aspen Elementary": True, "Cedar Elementary": False}
    # Carried into the school's problem-solving record, for those who read the school's.
    assert [
        (r.workshop, r.attended) for r in workshops.attendance_for(world.school_a, u["principal_a"])
    ] == [(w, True)]
    assert [r.pk for r in workshops.attendance_for(world.school_a, u["network_1"])] == [a.pk]
    assert workshops.attendance_for(world.school_a, u["principal_b"]) == []
    assert workshops.attendance_for(world.school_a, u["network_2"]) == []


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_note_catchers_are_checked_and_read_only_in_scope(world, login):
    u = world.users
    w = session(world, seats=2)
    r = workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    upload_url = reverse("improvement:workshop_note_upload", args=[r.pk])

    def upload(key, name, content):
        f = SimpleUploadedFile(name, content)
        return login(u[key]).post(upload_url, {f"note-{r.pk}-file": f}, follow=True)

    refused = [
        ("tool.exe", b"MZ....", "is a PDF, Word (.docx), Excel (.xlsx), PNG or JPEG file"),
        ("notes.pdf", b"just text", "is named .pdf but is not a PDF file"),
        ("notes.docx", PDF, "is not a Word (.docx) file"),
        ("big.pdf", PDF + b"0" * (10 * 1024 * 1024), "a note catcher is at most 10 MB"),
    ]
    for name, content, message in refused:
        assert message in upload("principal_a", name, content).content.decode(), name
    assert not NoteCatcher.objects.exists()
    assert workshops.safe_filename('..\\..\\x/SAMI "note"\r\n<catcher>', "pdf") == (
        "SAMI _note_ _catcher.pdf"
    )
    page = upload("principal_a", 'SAMI "note"; catcher.PDF', PDF).content.decode()
    assert "kept" in page, page[page.find("messages") :][:400]
    upload("principal_a", "data review.docx", docx_bytes())
    assert NoteCatcher.objects.count() == 2
    note = NoteCatcher.objects.get(name__endswith=".pdf")
    assert note.name == "SAMI _note_ catcher.pdf"
    assert "/" not in note.file.name.removeprefix("note-catchers/2027/")
    assert note.file.name.startswith("note-catchers/2027/")
    # Others of the school's side may not add one.
    for key in ["principal_b", "network_1", "teacher_a"]:
        assert upload(key, "x.pdf", PDF).status_code in (403, 404)
    assert NoteCatcher.objects.count() == 2
    download = reverse("improvement:workshop_note", args=[note.pk])
    for key in ["principal_a", "evaluator_a", "network_1", "pm", "slt"]:
        response = login(u[key]).get(download)
        assert response.status_code == 200, key
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == 'attachment; filename="SAMI _note_ catcher.pdf"'
        assert b"".join(response.streaming_content) == PDF
    assert login(u["principal_b"]).get(download).status_code == 404
    assert login(u["network_2"]).get(download).status_code == 404
    assert login(u["teacher_a"]).get(download).status_code == 403
    remove = reverse("improvement:workshop_note_remove", args=[note.pk])
    assert login(u["network_1"]).post(remove).status_code == 403
    assert login(u["principal_b"]).post(remove).status_code == 404
    assert login(u["principal_a"]).post(remove).status_code == 302
    assert NoteCatcher.objects.count() == 1
    actions_logged = set(
        AuditEntry.objects.filter(
            action__startswith="improvement.workshop.note_catcher"
        ).values_list("action", flat=True)
    )
    assert actions_logged == {
        "improvement.workshop.note_catcher.add",
        "improvement.workshop.note_catcher.remove",
    }


def test_every_workshop_page_is_refused_outside_its_scope(world, login, client):
    u = world.users
    w = session(world, seats=1)
    r = workshops.register_school(w, world.school_a, 6, "Pat\nTess", acting_user=u["principal_a"])
    note = workshops.upload_note_catcher(
        r, SimpleUploadedFile("n.pdf", PDF), acting_user=u["principal_a"]
    )
    urls = {
        "list": (reverse("improvement:workshops"), {}),
        "session": (reverse("improvement:workshop", args=[w.pk]), {}),
        "new": (reverse("improvement:workshop_new"), {"title": "x"}),
        "edit": (reverse("improvement:workshop_edit", args=[w.pk]), {"title": "x", "seats": 9}),
        "cancel": (reverse("improvement:workshop_cancel", args=[w.pk]), {"reason": "x"}),
        "register": (
            reverse("improvement:workshop_register", args=[w.pk]),
            {"school": world.school_a.pk, "headcount": 3},
        ),
        "attendance": (reverse("improvement:workshop_attendance", args=[w.pk]), {"came": r.pk}),
        "team": (
            reverse("improvement:workshop_team", args=[r.pk]),
            {f"team-{r.pk}-headcount": 40, f"team-{r.pk}-members": "X"},
        ),
        "withdraw": (reverse("improvement:workshop_withdraw", args=[r.pk]), {}),
        "note_upload": (reverse("improvement:workshop_note_upload", args=[r.pk]), {}),
        "note": (reverse("improvement:workshop_note", args=[note.pk]), {}),
        "note_remove": (reverse("improvement:workshop_note_remove", args=[note.pk]), {}),
    }
    # Everyone reading school improvement sees the sessions.
    for key in ["principal_b", "network_2", "evaluator_b", "pm", "slt"]:
        assert login(u[key]).get(urls["list"][0]).status_code == 200
        page = login(u[key]).get(urls["session"][0])
        assert page.status_code == 200
        assert ("Aspen Elementary" in page.content.decode()) == (key in ("pm", "slt"))
    before = list(Registration.objects.values()), list(NoteCatcher.objects.values())
    writes = ["new", "edit", "cancel", "register", "attendance", "team", "withdraw"]
    writes += ["note_upload", "note_remove"]
    for key in ["principal_b", "teacher_a", "network_2", "network_1", "evaluator_b", "norole"]:
        for name in writes:
            url, data = urls[name]
            status = login(u[key]).post(url, data).status_code
            assert status in (403, 404), (key, name, status)
        for name in ["note", "withdraw"]:
            status = login(u[key]).get(urls[name][0]).status_code
            if key == "network_1" and name == "note":
                assert status == 200  # the school's supervisor reads it
            else:
                assert status in (403, 404), (key, name, status)
    for key in ["teacher_a", "norole"]:
        for name in ["list", "session", "new", "edit", "cancel"]:
            assert login(u[key]).get(urls[name][0]).status_code == 403, (key, name)
    assert (list(Registration.objects.values()), list(NoteCatcher.objects.values())) == before
    assert Workshop.objects.get(pk=w.pk).title == "Session"
    client.logout()
    for name, (url, _) in urls.items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), name


def test_a_principal_registers_prepares_and_cancels_from_the_pages(
    world, login, django_capture_on_commit_callbacks
):
    u = world.users
    designate(world, world.school_a)
    w = session(world, seats=1, priority_days=5)
    client = login(u["principal_a"])
    listing = client.get(reverse("improvement:workshops")).content.decode()
    assert "Not registered" in listing and "1 left" in listing
    session_url = reverse("improvement:workshop", args=[w.pk])
    page = client.get(session_url).content.decode()
    assert 'id="register"' in page and "only designated schools can register" in page
    client.post(
        reverse("improvement:workshop_register", args=[w.pk]),
        {"school": world.school_a.pk, "headcount": 7, "members": "Pat Alder\nTess Ash"},
    )
    r = Registration.objects.get(school=world.school_a)
    assert r.status == S.SEATED and r.registered_by == u["principal_a"]
    for n in range(2):
        actions.add_high_leverage_action(
            world.school_a, world.year, f"Action {n}", acting_user=u["principal_a"]
        )
    page = client.get(session_url).content.decode()
    assert "Aspen Elementary: seat taken" in page and "2 chosen" in page
    assert reverse("improvement:prepare", args=[world.school_a.pk]) in page
    assert "None uploaded yet" in page
    client.post(
        reverse("improvement:workshop_team", args=[r.pk]),
        {f"team-{r.pk}-headcount": 9, f"team-{r.pk}-members": "Pat Alder"},
    )
    assert Registration.objects.get(pk=r.pk).headcount == 9
    # The PM office sees the seated schools with the total for food and pay, and the queue.
    frozen_elm = school(world, "105", "Elm Elementary")
    designate(world, frozen_elm)
    workshops.register_school(w, frozen_elm, 5, acting_user=u["pm"])
    pm_page = login(u["pm"]).get(session_url).content.decode()
    assert "<strong>9</strong> people coming from 1 school" in pm_page
    assert "1. Elm Elementary" in pm_page
    # Cancelling asks first, then frees the seat for Elm.
    client = login(u["principal_a"])
    withdraw = reverse("improvement:workshop_withdraw", args=[r.pk])
    assert "Yes, cancel the registration" in client.get(withdraw).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(withdraw, follow=True).content.decode()
    assert "registration is cancelled" in done
    assert Registration.objects.get(school=frozen_elm).status == S.SEATED
    assert AuditEntry.objects.filter(action="improvement.workshop.register").count() == 2
    assert AuditEntry.objects.filter(action="improvement.workshop.team").count() == 1


def test_the_pm_office_sets_up_and_cancels_a_session(
    world,
    login,
    smtp,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    u = world.users
    client = login(u["pm"])
    assert "No sessions" in client.get(reverse("improvement:workshops")).content.decode()
    response = client.post(
        reverse("improvement:workshop_new"),
        {
            "school_year": world.year.pk,
            "title": "Problem-solving workshop",
            "level": "secondary",
            "starts_at": "2027-04-22T16:00",
            "ends_at": "2027-04-22T15:00",
            "place": "Conference room B",
            "seats": 11,
            "priority_until": "2027-04-01T17:00",
        },
    )
    assert "The session must end after it starts" in response.content.decode()
    data = {
        "school_year": world.year.pk,
        "title": "Problem-solving workshop",
        "level": "secondary",
        "starts_at": "2027-04-22T16:00",
        "ends_at": "2027-04-22T19:00",
        "place": "Conference room B",
        "seats": 11,
        "priority_until": "2027-04-01T17:00",
    }
    client.post(reverse("improvement:workshop_new"), data)
    w = Workshop.objects.get()
    assert w.starts_at == dt.datetime(2027, 4, 22, 16, 0, tzinfo=DENVER) and w.seats == 11
    listing = client.get(reverse("improvement:workshops") + "?level=secondary").content.decode()
    assert "0 of 11 taken; <strong>11 left</strong>" in listing
    assert (
        "No sessions"
        in client.get(reverse("improvement:workshops") + "?level=elementary").content.decode()
    )
    designate(world, world.school_b)
    principal_b = u["principal_b"]
    principal_b.email = "principal_b@example.org"
    principal_b.save()
    workshops.register_school(w, world.school_b, 6, acting_user=principal_b)
    edit = client.get(reverse("improvement:workshop_edit", args=[w.pk])).content.decode()
    assert 'value="2027-04-22T16:00"' in edit
    cancel = reverse("improvement:workshop_cancel", args=[w.pk])
    assert "its 1 registration" in client.get(cancel).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(cancel, {"reason": "The room is closed for repairs."})
    assert not Workshop.objects.exists() and not Registration.objects.exists()
    assert [m.rcpt_tos for m in smtp.messages] == [["principal_b@example.org"]]
    assert "The room is closed for repairs." in smtp.messages[0].content.decode()
    assert AuditEntry.objects.filter(action="improvement.workshop.cancel").count() == 1
    assert AuditEntry.objects.filter(action="improvement.workshop.save").count() == 1


def test_the_list_of_sessions_runs_a_fixed_number_of_queries(world, login, query_count):
    u = world.users
    first = session(world, seats=1)
    workshops.register_school(first, world.school_a, 6, acting_user=u["principal_a"])
    client = login(u["principal_a"])
    url = reverse("improvement:workshops")
    baseline = query_count.page(client, url)
    for n in range(4):
        w = session(world, seats=1, days=30 + n, title=f"Session {n}")
        s = school(world, f"2{n}0", f"School {n}")
        workshops.register_school(w, s, 6, acting_user=u["pm"])
        workshops.register_school(w, school(world, f"3{n}0", f"Other {n}"), 6, acting_user=u["pm"])
    page = client.get(url).content.decode()
    assert "Seat taken" in page
    assert query_count.page(client, url) == baseline


def test_a_session_page_runs_a_fixed_number_of_queries(world, login, query_count):
    u = world.users
    w = session(world, seats=2)
    workshops.register_school(w, world.school_a, 6, acting_user=u["principal_a"])
    workshops.register_school(w, school(world, "190", "First"), 4, acting_user=u["pm"])
    workshops.register_school(w, school(world, "191", "Waiting"), 4, acting_user=u["pm"])
    client = login(u["pm"])
    url = reverse("improvement:workshop", args=[w.pk])
    baseline = query_count.page(client, url)
    for n in range(6):
        workshops.register_school(w, school(world, f"2{n}0", f"School {n}"), 4, acting_user=u["pm"])
    page = client.get(url).content.decode()
    assert "7. School 5" in page and "<strong>10</strong> people coming from 2 schools" in page
    assert query_count.page(client, url) == baseline


def test_the_list_offers_a_principal_only_sessions_of_the_schools_level(world, login):
    session(world, level="elementary", title="For the elementary schools")
    session(world, level="secondary", title="For the secondary schools", days=21)
    page = login_get(world, "principal_b", reverse("improvement:workshops"))  # Birch Middle
    elementary, secondary = (
        page.split("For the secondary schools")[0],
        page.split("For the secondary schools")[1],
    )
    assert (
        "For elementary schools" in elementary
        and "Register" not in elementary.split("For the elementary schools")[1]
    )
    assert "Register" in secondary


def test_a_session_with_registrations_keeps_its_level_and_stays_ahead(world):
    s = session(world, seats=3)
    elm = school(world, "301", "Elm Elementary")
    workshops.register_school(s, elm, 6, acting_user=SYSTEM)
    common = dict(title=s.title, place=s.place, seats=3, ends_at=s.ends_at, acting_user=SYSTEM)
    with pytest.raises(ValidationError, match="its level stays"):
        workshops.save_workshop(s, level="secondary", starts_at=s.starts_at, **common)
    with pytest.raises(ValidationError, match="cannot move into the past"):
        workshops.save_workshop(
            s, level="elementary", starts_at=NOW - dt.timedelta(days=1), **common
        )
    s.refresh_from_db()
    assert s.level == "elementary" and s.starts_at == NOW + dt.timedelta(days=20)
