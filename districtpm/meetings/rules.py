"""Who sees which meetings of a cycle."""

from __future__ import annotations

from django.db.models import Q

from districtpm.accounts.rules import any_of
from districtpm.core.roles import DISTRICT_LEADERS
from districtpm.core.roles import Role as R
from districtpm.core.scoping import Access, scope_rule


def _team_priorities(access: Access) -> Q:
    """Priorities whose action team the user belongs to (by role assignment or as its lead)."""
    from districtpm.actionplans.models import ActionTeam

    teams = ActionTeam.objects.filter(Q(name__in=access.teams) | Q(lead_id=access.user_id))
    return Q(priority_id__in=teams.values("priority_id")) | Q(priority__name__in=access.teams)


@scope_rule("meetings.Cycle")
def cycles(access: Access) -> Q | None:
    return Q() if access.can("meetings.view") else None


@scope_rule("meetings.Meeting")
def meetings(access: Access) -> Q | None:
    """Leaders see every meeting; the Board its study sessions; action teams the Engage
    meetings and their own priority's meetings."""
    if not access.can("meetings.view"):
        return None
    if access.has_role(*DISTRICT_LEADERS):
        return Q()
    conditions = []
    if access.has_role(R.BOARD_MEMBER):
        conditions.append(Q(rule__kind="empower"))
    if access.has_role(R.ACTION_TEAM_LEAD, R.ACTION_TEAM_MEMBER):
        conditions += [Q(rule__kind="engage"), _team_priorities(access)]
    return any_of(conditions)
