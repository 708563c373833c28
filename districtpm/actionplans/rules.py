"""Who sees and changes which action teams, their plans and their status updates. A user is on a
team as its lead or one of its members — a relation, never the team's name."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import ACTION_TEAMS, DISTRICT_LEADERS, register_permissions
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, follows, scope_rule

PERMISSIONS = {
    "actionplans.view": DISTRICT_LEADERS | ACTION_TEAMS,
    "actionplans.change": DISTRICT_LEADERS | {R.ACTION_TEAM_LEAD},
    "actionplans.teams": DISTRICT_LEADERS,
}
register_permissions(PERMISSIONS)


def led_by(access: Access) -> Q:
    """Teams the user leads."""
    return Q(lead_id=access.user_id)


def joined_by(access: Access) -> Q:
    """Teams the user is a member of (a subquery, so a team is listed once)."""
    from districtpm.actionplans.models import ActionTeam

    memberships = ActionTeam.members.through.objects.filter(user_id=access.user_id)
    return Q(id__in=memberships.values("actionteam_id"))


@scope_rule("actionplans.ActionTeam")
def action_teams(access: Access) -> Q | None:
    if not access.can("actionplans.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return joined_by(access) | led_by(access)


@scope_rule("actionplans.ActionTeam", "change")
def team_definitions(access: Access) -> Q | None:
    """A team's name, priority, lead and members are the district leaders' to set."""
    return Q() if access.can("actionplans.teams") else None


def plan_keepers(access: Access) -> Q | None:
    """Teams whose plans and actions the user changes: leaders every team's, a lead their own."""
    if not access.can("actionplans.change"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    if access.has_role(R.ACTION_TEAM_LEAD):
        return led_by(access) | joined_by(access)
    return led_by(access)


def update_senders(access: Access) -> Q | None:
    """Teams whose monthly update the user sends: the team's lead, its members, and the
    performance management office."""
    if access.has_role(R.DISTRICT_ADMIN, R.PM_OFFICE):
        return Q()
    if access.has_role(*ACTION_TEAMS):
        return led_by(access) | joined_by(access)
    return led_by(access)


follows("actionplans.ActionPlan", parent="team", actions=("view",))
follows("actionplans.ActionPlan", parent="team", actions=("change", "delete"), via=plan_keepers)
follows("actionplans.PlanAction", parent="plan")
follows("actionplans.StatusUpdate", parent="team", actions=("view",))
follows("actionplans.StatusUpdate", parent="team", actions=("change",), via=update_senders)
