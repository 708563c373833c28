"""School visits: who sees them, who records them, the audit row, and the list's queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from districtpm.audit.models import AuditEntry
from districtpm.skeleton.actions import record_visit
from districtpm.skeleton.models import SchoolVisit

DAY = dt.date(2026, 10, 6)


def test_a_principal_sees_the_visits_to_their_school_only(world):
    record_visit(world.school_a, DAY, "Reading blocks", acting_user=world.users["admin"])
    record_visit(world.school_b, DAY, "Math talk", acting_user=world.users["admin"])
    seen = SchoolVisit.objects.visible_to(world.users["principal_a"])
    assert [v.school for v in seen] == [world.school_a]
    assert SchoolVisit.objects.visible_to(world.users["pm"]).count() == 2
    assert SchoolVisit.objects.visible_to(world.users["teacher_a"]).count() == 0


def test_recording_a_visit_writes_one_audit_row(world):
    visit = record_visit(world.school_a, DAY, "Reading", acting_user=world.users["principal_a"])
    entry = AuditEntry.objects.get(action="skeleton.visit.create")
    assert entry.object_id == str(visit.pk)
    assert entry.actor == world.users["principal_a"]


def test_a_principal_cannot_record_a_visit_to_another_school(world):
    with pytest.raises(PermissionDenied):
        record_visit(world.school_b, DAY, "Math", acting_user=world.users["principal_a"])
    assert not SchoolVisit.objects.exists()


def test_the_form_records_through_the_action(world, login):
    client = login(world.users["principal_a"])
    response = client.post(
        "/visits/new/",
        {"school": world.school_a.pk, "visited_on": "2026-10-06", "focus": "Reading"},
    )
    assert response.status_code == 302
    assert SchoolVisit.objects.get().focus == "Reading"
    refused = client.post(
        "/visits/new/",
        {"school": world.school_b.pk, "visited_on": "2026-10-06", "focus": "Math"},
    )
    assert refused.status_code == 200  # the other school is not a choice
    assert SchoolVisit.objects.count() == 1


def test_roles_without_the_permission_are_refused(world, login):
    assert login(world.users["teacher_a"]).get("/visits/").status_code == 403
    assert login(world.users["principal_a"]).get("/visits/").status_code == 200


def test_the_app_is_in_the_navigation(world, login):
    page = login(world.users["principal_a"]).get("/").content.decode()
    assert 'href="/visits/"' in page and "School visits" in page


def test_the_list_runs_as_many_queries_for_six_visits_as_for_two(world, login, query_count):
    client = login(world.users["pm"])
    for day in range(2):
        record_visit(world.school_a, DAY + dt.timedelta(day), "A", acting_user=world.users["pm"])
    two = query_count.page(client, "/visits/")
    for day in range(4):
        record_visit(world.school_b, DAY + dt.timedelta(day), "B", acting_user=world.users["pm"])
    assert query_count.page(client, "/visits/") == two
