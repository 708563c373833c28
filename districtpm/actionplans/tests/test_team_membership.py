"""Team membership is a relation: who is on a team reaches its work, whatever the team is called;
its plans, actions and updates follow the team's rules."""

from __future__ import annotations

import pytest

from districtpm.actionplans.models import ActionPlan, ActionTeam, PlanAction, StatusUpdate
from districtpm.core.scoping import allowed, restrict
from districtpm.plans.models import Plan, Priority


@pytest.fixture
def team(world):
    plan = Plan.objects.create(name="Plan", first_year="2026-2027", last_year="2029-2030")
    whole = Priority.objects.create(plan=plan, name="Whole Child", order=1)
    gap = Priority.objects.create(plan=plan, name="Opportunity Gap", order=2)
    team = ActionTeam.objects.create(priority=whole, name="Whole Child")
    team.members.set([world.users["team_lead"], world.users["team_member"]])
    ActionTeam.objects.create(priority=gap, name="Opportunity Gap", lead=world.users["slt"])
    return team


def _reach(world, team):
    """For every user: sees the team, changes its plan, sends its update, sees its plan's actions."""
    plan = ActionPlan.objects.get_or_create(team=team, school_year="2026-2027")[0]
    action = PlanAction.objects.get_or_create(plan=plan, name="Coach visits")[0]
    return {
        name: (
            ActionTeam.objects.restrict(user).filter(pk=team.pk).exists(),
            allowed(user, ActionPlan(team=team), "change"),
            allowed(user, StatusUpdate(team=team), "change"),
            action in restrict(PlanAction.objects.all(), user),
            allowed(user, action, "change"),
        )
        for name, user in world.users.items()
    }


def test_members_reach_their_team_and_others_do_not(world, team):
    reach = _reach(world, team)
    assert reach["team_lead"] == (True, True, True, True, True)
    assert reach["team_member"] == (True, False, True, True, False)
    assert reach["pm"] == (True, True, True, True, True)
    assert reach["principal_a"] == (False, False, False, False, False)
    other = ActionTeam.objects.get(name="Opportunity Gap")
    assert not ActionTeam.objects.restrict(world.users["team_member"]).filter(pk=other.pk).exists()
    assert not allowed(world.users["team_member"], StatusUpdate(team=other), "change")


def test_renaming_a_team_changes_nobodys_access(world, team):
    before = _reach(world, team)
    team.name = "Whole Child and Family"
    team.save()
    assert _reach(world, team) == before
    # and a team given the old name reaches nobody new
    ActionTeam.objects.create(priority=team.priority, name="Whole Child")
    newcomer = ActionTeam.objects.get(name="Whole Child")
    assert (
        not ActionTeam.objects.restrict(world.users["team_member"]).filter(pk=newcomer.pk).exists()
    )


def test_leaving_a_team_ends_its_reach(world, team):
    member = world.users["team_member"]
    team.members.remove(member)
    member = type(member).objects.get(pk=member.pk)  # a fresh request
    assert not ActionTeam.objects.restrict(member).filter(pk=team.pk).exists()
    assert not allowed(member, StatusUpdate(team=team), "change")
    assert not StatusUpdate.objects.restrict(member).exists()


def test_only_district_leaders_set_up_teams(world, team):
    for name, user in world.users.items():
        assert allowed(user, team, "change") == (name in {"admin", "pm", "slt"}), name
