"""Edits made through the product land in the audit log with before and after values."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from districtpm.audit.models import AppendOnlyError, AuditEntry
from districtpm.org.models import CalendarEvent


def test_school_edit_is_audited_with_before_and_after(world, login):
    client = login(world.users["admin"])
    school = world.school_a
    response = client.post(
        reverse("org:school_edit", args=[school.pk]),
        {
            "code": "101",
            "name": "Aspen Community Elementary",
            "level": "elementary",
            "lowest_grade": "PK",
            "highest_grade": "5",
            "network": world.network_2.pk,
            "address": "",
            "active": "on",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="org.school.update")
    assert entry.actor == world.users["admin"]
    assert entry.object_id == str(school.pk)
    assert entry.before["name"] == "Aspen Elementary"
    assert entry.after["name"] == "Aspen Community Elementary"
    assert entry.before["network"] == "Network One"
    assert entry.after["network"] == "Network Two"
    assert entry.before["lowest_grade"] == "K" and entry.after["lowest_grade"] == "PK"
    changed = {field for field, _, _ in entry.changes}
    assert changed == {"name", "network", "lowest_grade"}

    page = client.get(reverse("audit:list")).content.decode()
    assert "org.school.update" in page
    assert "Aspen Elementary" in page and "Aspen Community Elementary" in page


def test_saving_without_changes_writes_no_entry(world, login):
    client = login(world.users["admin"])
    s = world.school_a
    client.post(
        reverse("org:school_edit", args=[s.pk]),
        {
            "code": s.code,
            "name": s.name,
            "level": s.level,
            "lowest_grade": s.lowest_grade,
            "highest_grade": s.highest_grade,
            "network": s.network_id,
            "address": "",
            "active": "on",
        },
    )
    assert not AuditEntry.objects.exists()


def test_invalid_edit_changes_nothing_and_says_why(world, login):
    client = login(world.users["admin"])
    response = client.post(
        reverse("org:school_edit", args=[world.school_a.pk]),
        {
            "code": "101",
            "name": "Aspen",
            "level": "elementary",
            "lowest_grade": "5",
            "highest_grade": "K",
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "must not be below the lowest" in response.content.decode()
    world.school_a.refresh_from_db()
    assert world.school_a.name == "Aspen Elementary"
    assert not AuditEntry.objects.exists()


def test_calendar_entry_removal_asks_first_and_is_audited(world, login):
    client = login(world.users["pm"])
    event = CalendarEvent.objects.get(name="Fall break")
    url = reverse("org:event_delete", args=[world.year.pk, event.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Yes, remove it" in confirm.content.decode()
    assert CalendarEvent.objects.filter(pk=event.pk).exists()
    client.post(url)
    assert not CalendarEvent.objects.filter(pk=event.pk).exists()
    entry = AuditEntry.objects.get(action="org.calendar.delete")
    assert entry.before["name"] == "Fall break" and entry.after is None


def test_calendar_entry_outside_the_year_is_refused(world, login):
    client = login(world.users["pm"])
    response = client.post(
        reverse("org:event_new", args=[world.year.pk]),
        {
            "kind": "holiday",
            "name": "Stray day",
            "start_date": "2028-01-01",
            "end_date": "2028-01-01",
        },
    )
    assert response.status_code == 200
    assert "must fall inside the school year" in response.content.decode()
    assert not CalendarEvent.objects.filter(name="Stray day").exists()


def test_staff_edit_by_hr_is_audited(world, login):
    client = login(world.users["hr"])
    teacher = world.staff["teacher_a"]
    client.post(
        reverse("org:staff_edit", args=[teacher.pk]),
        {
            "employee_id": teacher.employee_id,
            "first_name": "Tess",
            "last_name": "Ash-Smith",
            "email": teacher.email,
            "position": teacher.position_id,
            "probationary": "on",
            "active": "on",
        },
    )
    entry = AuditEntry.objects.get(action="org.staff.update")
    assert (entry.before["last_name"], entry.after["last_name"]) == ("Ash", "Ash-Smith")
    assert (entry.before["probationary"], entry.after["probationary"]) == (False, True)


def test_the_log_cannot_be_changed_or_deleted(world, login):
    login(world.users["admin"]).post(
        reverse("org:network_edit", args=[world.network_1.pk]), {"code": "N1", "name": "Renamed"}
    )
    entry = AuditEntry.objects.get()
    entry.note = "tampered"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().update(note="tampered")
    with pytest.raises(AppendOnlyError):
        AuditEntry.objects.all().delete()
    # Below the ORM, the database refuses too.
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditentry SET note = 'tampered'")
    assert AuditEntry.objects.get().note == ""


def test_audit_page_filters(world, login):
    client = login(world.users["admin"])
    client.post(
        reverse("org:network_edit", args=[world.network_1.pk]), {"code": "N1", "name": "One"}
    )
    client.post(
        reverse("org:network_edit", args=[world.network_2.pk]), {"code": "N2", "name": "Two"}
    )
    body = client.get(reverse("audit:list"), {"object": "Two"}).content.decode()
    assert "1 entry" in body
    body = client.get(reverse("audit:list"), {"actor": "nobody"}).content.decode()
    assert "No entries match." in body


def test_audit_page_offers_no_edit_or_delete(world, login):
    from districtpm.audit import urls

    assert [p.name for p in urls.urlpatterns] == ["list"]
    assert login(world.users["admin"]).post(reverse("audit:list")).status_code == 405


def test_changes_made_in_django_admin_are_audited(world, client):
    superuser = world.users["admin"]
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    client.force_login(superuser)
    from districtpm.accounts.models import RoleAssignment

    ra = RoleAssignment.objects.get(user=world.users["principal_a"])
    response = client.post(
        f"/admin/accounts/roleassignment/{ra.pk}/change/",
        {
            "user": world.users["principal_a"].pk,
            "role": "principal",
            "school": world.school_b.pk,
            "network": "",
            "team": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = AuditEntry.objects.get(action="admin.accounts.roleassignment.update")
    assert (entry.before["school"], entry.after["school"]) == ("Aspen Elementary", "Birch Middle")
    assert entry.source == "admin" and entry.actor == superuser

    response = client.post(f"/admin/accounts/roleassignment/{ra.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert AuditEntry.objects.filter(action="admin.accounts.roleassignment.delete").exists()


def test_reading_someone_elses_personnel_record_is_logged(world, login):
    teacher = world.staff["teacher_a"]
    login(world.users["teacher_a"]).get(reverse("org:staff_detail", args=[teacher.pk]))
    assert not AuditEntry.objects.filter(action="org.staff.read").exists()  # own record
    login(world.users["hr"]).get(reverse("org:staff_detail", args=[teacher.pk]))
    entry = AuditEntry.objects.get(action="org.staff.read")
    assert entry.actor == world.users["hr"] and entry.object_id == str(teacher.pk)


def test_assignments_are_added_and_removed_with_an_audit_trail(world, login):
    client = login(world.users["hr"])
    teacher = world.staff["teacher_a"]
    url = reverse("org:staff_detail", args=[teacher.pk])
    response = client.post(
        url, {"school": world.school_b.pk, "position": teacher.position_id, "fte": "0.5"}
    )
    assert response.status_code == 302
    assignment = teacher.assignments.get(school=world.school_b)
    assert str(assignment.fte) == "0.50"
    remove = reverse("org:assignment_remove", args=[assignment.pk])
    assert "Yes, remove it" in client.get(remove).content.decode()
    client.post(remove)
    assert not teacher.assignments.filter(school=world.school_b).exists()
    actions = list(
        AuditEntry.objects.filter(action__startswith="org.assignment").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["org.assignment.add", "org.assignment.remove"]


def test_principal_cannot_change_assignments(world, login):
    client = login(world.users["principal_a"])
    teacher = world.staff["teacher_a"]
    response = client.post(
        reverse("org:staff_detail", args=[teacher.pk]),
        {"school": world.school_a.pk, "position": teacher.position_id, "fte": 1},
    )
    assert response.status_code == 403
    assignment = teacher.assignments.get()
    assert client.get(reverse("org:assignment_remove", args=[assignment.pk])).status_code == 403


def test_the_log_reads_in_words_with_fields_named_and_values_written_out(world, login):
    from districtpm.audit.log import record

    record(
        actor=world.users["admin"],
        action="org.school.change",
        obj=world.school_a,
        before={"lowest_grade": "K", "grades": ["K", "1"], "open": True},
        after={"lowest_grade": "PK", "grades": ["PK", "K", "1"], "open": False},
    )
    record(
        actor=world.users["admin"],
        action="data.import.unchanged",
        after={"file": "results.csv", "rows": {"assessments": 2}},
    )
    page = login(world.users["admin"]).get(reverse("audit:list")).content.decode()
    assert "Organisation: school changed" in page
    assert "Data and metrics: import found unchanged" in page
    assert "<strong>Lowest grade</strong>: <del>K</del> → <ins>PK</ins>" in page
    assert "<del>K, 1</del> → <ins>PK, K, 1</ins>" in page
    assert "<del>yes</del> → <ins>no</ins>" in page
    assert "<ins>assessments: 2</ins>" in page
    assert "{&#x27;" not in page  # no raw Python mapping anywhere
