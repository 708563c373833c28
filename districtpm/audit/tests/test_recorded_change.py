"""The one helper behind an action's three steps: the permission check (`require`), one
transaction, and the audit entry with before and after; and the list question `parents_reached`."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from districtpm.actionplans.models import ActionTeam, StatusUpdate
from districtpm.audit.log import recorded_change
from districtpm.audit.models import AuditEntry
from districtpm.core.scoping import SYSTEM, allowed, parents_reached, require
from districtpm.org.models import School
from districtpm.plans.models import Plan, Priority


def test_a_change_is_saved_with_its_before_and_after(world):
    school = world.school_a
    with recorded_change(school, acting_user=world.users["admin"], action="org.school.update"):
        school.name = "Aspen Community School"
    school.refresh_from_db()
    assert school.name == "Aspen Community School"
    entry = AuditEntry.objects.get(action="org.school.update")
    assert entry.before["name"] == "Aspen Elementary"
    assert entry.after["name"] == "Aspen Community School"
    assert entry.actor == world.users["admin"]


def test_a_new_object_is_recorded_with_no_before(world):
    school = School(district=world.district, network=world.network_1, code="103", name="Cedar")
    with recorded_change(
        school, acting_user=world.users["admin"], action="org.school.create"
    ) as before:
        assert before is None
        school.level, school.lowest_grade, school.highest_grade = "elementary", "K", "5"
    entry = AuditEntry.objects.get(action="org.school.create")
    assert entry.before is None and entry.after["code"] == "103"
    assert School.objects.filter(code="103").exists()


def test_a_user_without_the_right_changes_nothing_and_leaves_no_entry(world):
    school = world.school_a
    with pytest.raises(PermissionDenied, match="does not allow changing schools"):
        with recorded_change(school, acting_user=world.users["principal_a"], action="x"):
            school.name = "Renamed by a principal"
    school.refresh_from_db()
    assert school.name == "Aspen Elementary"
    assert not AuditEntry.objects.filter(action="x").exists()


def test_an_invalid_object_or_an_error_in_the_block_saves_and_records_nothing(world):
    school = world.school_a
    with pytest.raises(ValidationError):
        with recorded_change(school, acting_user=world.users["admin"], action="y"):
            school.name = ""
    with pytest.raises(RuntimeError):
        with recorded_change(school, acting_user=world.users["admin"], action="y"):
            school.name = "Half done"
            raise RuntimeError("stopped half way")
    assert School.objects.get(pk=school.pk).name == "Aspen Elementary"
    assert not AuditEntry.objects.filter(action="y").exists()


def test_require_is_allowed_with_a_message_and_only_the_named_system_passes(world):
    require(SYSTEM, School)  # a command or the demo builder, said so
    with pytest.raises(PermissionDenied):
        require(None, School)  # a forgotten user is nobody, not the system
    require(world.users["admin"], world.school_a)
    with pytest.raises(PermissionDenied, match="^Only the office$"):
        require(world.users["teacher_a"], School, message="Only the office")


def test_parents_reached_is_allowed_per_row_in_one_query(world, query_count):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    priority = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    teams = [ActionTeam.objects.create(priority=priority, name=f"Team {i}") for i in range(4)]
    teams[0].members.add(world.users["team_member"])
    teams[2].lead = world.users["team_lead"]
    teams[2].save()
    for user in world.users.values():
        expected = {t.pk for t in teams if allowed(user, StatusUpdate(team=t), "change")}
        found: set[int] = set()
        count = query_count(
            lambda user=user, found=found: found.update(
                parents_reached(StatusUpdate, user).values_list("pk", flat=True)
            )
        )
        assert found & {t.pk for t in teams} == expected, user.username
        assert count <= 1, user.username  # the list itself: the user's access is cached
