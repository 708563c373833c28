"""Who sees which action teams, their plans and their status updates."""

from __future__ import annotations

from django.db.models import Q

from districtpm.core.roles import DISTRICT_LEADERS
from districtpm.core.scoping import Access, scope_rule


@scope_rule("actionplans.ActionTeam")
def action_teams(access: Access) -> Q | None:
    if not access.can("actionplans.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return Q(name__in=access.teams) | Q(lead_id=access.user_id)


def _through_team(access: Access) -> Q | None:
    from districtpm.actionplans.models import ActionTeam

    if not access.can("actionplans.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    return Q(team_id__in=ActionTeam.objects.visible_to_access(access).values("id"))


scope_rule("actionplans.ActionPlan")(_through_team)
scope_rule("actionplans.StatusUpdate")(_through_team)
