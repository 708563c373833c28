"""One access call for reading and changing: `restrict(user, action)`, deny by default, child
models following their parent, permissions registered by the apps, checked lazily."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import path

from districtpm.core.access import requires
from districtpm.core.roles import PERMISSIONS, register_permissions, unknown_rules
from districtpm.core.scoping import access_for, allowed, restrict
from districtpm.org.models import Assignment, CalendarEvent, Designation, School, Staff

# Each model's change rule against the permission the code checked before it had rules.
CHANGE_WAS = {
    School: "org.change",
    Staff: "staff.change",
    "org.SchoolYear": "org.calendar.change",
    "plans.Plan": "plan.change",
    "plans.Goal": "plan.change",
    "meetings.Cycle": "meetings.change",
    "actionplans.ActionTeam": "actionplans.teams",
}


def _model(key):
    from django.apps import apps

    return apps.get_model(key) if isinstance(key, str) else key


def test_visible_to_is_restrict_for_viewing(world):
    for user in world.users.values():
        assert set(School.objects.visible_to(user)) == set(School.objects.restrict(user, "view"))
        assert set(School.objects.restrict(user)) == set(School.objects.visible_to(user))


def test_an_action_without_a_rule_of_its_own_reaches_nothing(world):
    admin = world.users["admin"]  # a district admin, not a superuser
    assert School.objects.restrict(admin, "change").count() == 2
    assert School.objects.restrict(admin, "delete").count() == 0
    assert School.objects.restrict(admin, "archive").count() == 0
    assert not allowed(admin, School, "delete")


@pytest.mark.parametrize("key", list(CHANGE_WAS))
def test_change_rules_allow_whom_the_permissions_did(world, key):
    model = _model(key)
    for name, user in world.users.items():
        assert allowed(user, model, "change") == access_for(user).can(CHANGE_WAS[key]), name


def test_child_models_follow_their_parent(world):
    school = world.school_a
    designation = Designation.objects.create(school=school, school_year=world.year, kind="csi")
    assignment = Assignment.objects.filter(school=school).first()
    event = CalendarEvent.objects.first()
    for name, user in world.users.items():
        can_school = allowed(user, school, "change")
        assert allowed(user, Designation(school=school), "change") == can_school, name
        assert allowed(user, designation, "delete") == can_school, name
        assert allowed(user, assignment, "delete") == allowed(user, assignment.staff), name
        assert allowed(user, event, "delete") == allowed(user, event.school_year), name
        assert set(restrict(Designation.objects.all(), user, "change")) == (
            {designation} if can_school else set()
        ), name


def test_every_app_registered_its_permissions():
    for name in ("org.view", "audit.view", "data.view", "plan.change", "actionplans.teams"):
        assert name in PERMISSIONS
    for placeholder in ("rubrics.view", "improvement.view", "evaluation.view", "processmaps.view"):
        assert placeholder in PERMISSIONS  # by web, which shows their pages


def test_a_permission_registered_twice_differently_is_refused():
    register_permissions({"org.change": PERMISSIONS["org.change"]})  # the same again is fine
    with pytest.raises(ImproperlyConfigured):
        register_permissions({"org.change": {"teacher"}})
    with pytest.raises(ImproperlyConfigured):
        register_permissions({"x.view": {"no_such_role"}})
    assert "x.view" not in PERMISSIONS


def test_an_unknown_permission_fails_at_first_request_and_in_the_system_check(world):
    def view(request):
        raise AssertionError("never reached")

    guarded = requires("no.such.permission")(view)  # importing a view must not fail: too early
    request = RequestFactory().get("/")
    request.user = world.users["admin"]
    with pytest.raises(ImproperlyConfigured, match="no.such.permission"):
        guarded(request)
    assert unknown_rules([path("x/", guarded)]) == ["x/ requires 'no.such.permission'"]
    assert unknown_rules() == []


def test_every_model_with_a_rule_answers_restrict_on_its_manager():
    """`Model.objects.restrict(user, action)` works for every model some app gave a rule, child
    models included (they follow their parent's)."""
    from django.apps import apps

    from districtpm.core.scoping import _RULES

    labels = sorted({label for label, _ in _RULES})
    assert "plans.KeyAction" in labels and "meetings.MeetingItem" in labels
    missing = [label for label in labels if not hasattr(apps.get_model(label).objects, "restrict")]
    assert missing == []
